"""Small forms of the unit page: change a unit's status with a reason; add an addendum."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from app.domain.commands import AddAddendum, ChangeElevatorStatus
from app.domain.entities import Elevator
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.errors import ValidationError
from app.domain.work import Visit
from app.services.elevators import change_elevator_status
from app.services.visits import add_addendum
from app.ui.format import label, when
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.widgets.forms import text_box
from app.ui.widgets.when_edit import OptionalWhen


class StatusDialog(FormDialog):
    """Move a unit to another status; a reason is always required.

    "Effective from" records a change after the fact: downtime then counts from when the status
    really changed (not in the future, not before the unit's previous change).
    """

    def __init__(
        self, session: Session, unit: Elevator, parent: QWidget | None = None, *, title: str = ""
    ) -> None:
        where = title or f"unit {unit.unit_number}"
        super().__init__(session, f"Change the status of {where}", parent)
        self.title, self.unit = where, unit
        form = QFormLayout()
        form.addRow("Current status", QLabel(label(unit.status)))
        self.status = QComboBox()
        self.status.setObjectName("newStatus")
        for status in ElevatorStatus:
            if status is unit.status:
                continue
            if status is ElevatorStatus.DECOMMISSIONED and not session.is_supervisor:
                continue
            self.status.addItem(label(status), status)
        self.cause = QComboBox()
        self.cause.setObjectName("cause")
        self.cause.addItem("Unplanned (fault, other)", DowntimeCause.OTHER)
        self.cause.addItem("Planned work", DowntimeCause.PLANNED)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("Why does the status change?")
        self.effective = OptionalWhen("Earlier, at", session.now(), "effectiveAt")
        self.effective.setToolTip(
            "Tick to record a change that happened earlier: downtime counts from then. "
            f"The previous change was at {when(unit.status_since)}."
        )
        self.errors.add_row(form, "New status", self.status, "status")
        self.errors.add_row(form, "Downtime cause", self.cause, "cause")
        self.errors.add_row(form, "Reason", self.reason, "reason")
        self.errors.add_row(form, "Effective from", self.effective, "effective_at")
        self.status.currentIndexChanged.connect(self._cause_applies)
        self._cause_applies()
        self.body.addLayout(form)
        self.finish_layout()

    def _cause_applies(self) -> None:
        self.cause.setEnabled(self.status.currentData() == ElevatorStatus.OUT_OF_SERVICE)

    def submit(self) -> None:
        if not self.reason.text().strip():
            raise ValidationError(
                "A reason is required for every status change.",
                field="reason",
                hint="Say briefly why the status changes.",
            )
        status = ElevatorStatus(self.status.currentData())
        cause = self.cause.currentData() if self.cause.isEnabled() else None
        cmd = ChangeElevatorStatus(
            elevator_id=self.unit.id,
            status=status,
            reason=self.reason.text(),
            cause=cause,
            effective_at=self.effective.value(),
        )
        self.run(lambda ctx: change_elevator_status(cmd, ctx=ctx), label="change the status")

    def done_text(self, result: object) -> str:
        return f"{self.title}: status changed to {self.status.currentText().lower()}."


class AddendumDialog(FormDialog):
    """Append a correction to a locked visit."""

    def __init__(self, session: Session, visit: Visit, parent: QWidget | None = None) -> None:
        super().__init__(session, "Add an addendum", parent)
        self.visit = visit
        form = QFormLayout()
        form.addRow("Visit", QLabel(f"{label(visit.type)} visit, {when(visit.arrived_at)}"))
        self.text = text_box()
        self.text.setObjectName("addendumText")
        self.text.setPlaceholderText("What needs correcting, and why")
        self.errors.add_row(form, "Addendum", self.text, "text")
        self.body.addLayout(form)
        self.finish_layout()

    def submit(self) -> None:
        cmd = AddAddendum(visit_id=self.visit.id, text=self.text.toPlainText())
        self.run(lambda ctx: add_addendum(cmd, ctx=ctx), label="add the addendum")

    def done_text(self, result: object) -> str:
        return "Addendum added to the visit."
