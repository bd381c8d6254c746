"""Open a deficiency on a unit by hand; move one through its lifecycle (fixed, verified,
invalid, open again) with the resolution the service asks for."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from app.domain.commands import ChangeDeficiencyStatus, OpenDeficiency
from app.domain.entities import Elevator
from app.domain.enums import DeficiencySeverity, DeficiencyStatus
from app.domain.work import Deficiency
from app.services.deficiencies import ALLOWED, change_deficiency_status, open_deficiency
from app.ui.format import day, label, when
from app.ui.session import Session
from app.ui.views.records.base import Problem, RecordDialog
from app.ui.views.records.fields import OptionalDate, blank_to_none, choice
from app.ui.views.records.inspection import SEVERITY_NAMES
from app.ui.widgets.forms import text_box

MOVE_NAMES = {
    DeficiencyStatus.FIXED: "Fixed (say how)",
    DeficiencyStatus.VERIFIED: "Verified (the fix was checked)",
    DeficiencyStatus.INVALID: "Invalid (say why)",
    DeficiencyStatus.OPEN: "Open again",
}
"""The status moves as the form offers them."""


class OpenDeficiencyDialog(RecordDialog):
    """A deficiency found on a unit outside a visit or an inspection report."""

    def __init__(
        self, session: Session, unit: Elevator, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Open a deficiency on {title}", parent)
        self.setObjectName("deficiencyForm")
        self.unit, self.title = unit, title
        self.severity = choice(
            "severity", list(DeficiencySeverity), DeficiencySeverity.DEFICIENT, names=SEVERITY_NAMES
        )
        self.description = text_box()
        self.description.setObjectName("description")
        self.description.setPlaceholderText("What is wrong, and where")
        self.description.setMaximumHeight(80)
        self.due = OptionalDate("Correct by", None, session.today(), "dueDate")
        form = QFormLayout()
        self.add_row(form, "Severity", self.severity, "severity")
        self.add_row(form, "Description", self.description, "description")
        self.add_row(form, "Due", self.due, "due_date")
        self.body.addLayout(form)
        self.finish_layout()
        self.resize(520, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        if not self.description.toPlainText().strip():
            return [("description", "Describe the deficiency.")]
        return []

    def submit(self) -> None:
        cmd = OpenDeficiency(
            elevator_id=self.unit.id,
            severity=self.severity.currentData(),
            description=self.description.toPlainText().strip(),
            due_date=self.due.value(),
        )
        self.run(lambda ctx: open_deficiency(cmd, ctx=ctx), label="open the deficiency")

    def done_text(self, result: object) -> str:
        severity = label(self.severity.currentData()).lower()
        return f"Deficiency opened on {self.title} ({severity})."


class DeficiencyStatusDialog(RecordDialog):
    """Only the moves the lifecycle allows from the current status are offered."""

    def __init__(
        self, session: Session, deficiency: Deficiency, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, f"Deficiency on {title}", parent)
        self.setObjectName("deficiencyStatusForm")
        self.deficiency, self.title = deficiency, title
        moves = [s for s in MOVE_NAMES if s in ALLOWED[deficiency.status]]
        self.status = QComboBox()
        self.status.setObjectName("deficiencyStatus")
        for status in moves:
            self.status.addItem(MOVE_NAMES[status], status)
        self.resolution = text_box(deficiency.resolution or "")
        self.resolution.setObjectName("resolution")
        self.resolution.setPlaceholderText("How it was fixed, or why it is invalid")
        self.resolution.setMaximumHeight(80)
        form = QFormLayout()
        due = f", correct by {day(deficiency.due_date)}" if deficiency.due_date else ""
        about = QLabel(
            f"{label(deficiency.severity)}, opened {when(deficiency.opened_at)}{due}:\n"
            f"{deficiency.description}"
        )
        about.setWordWrap(True)
        form.addRow("Deficiency", about)
        form.addRow("Now", QLabel(label(deficiency.status)))
        self.add_row(form, "Change to", self.status, "status")
        self.add_row(form, "Resolution", self.resolution, "resolution")
        self.body.addLayout(form)
        if not moves:
            final = QLabel("A verified deficiency is final: its status no longer changes.")
            final.setObjectName("finalNote")
            self.body.addWidget(final)
            self.save_button.setEnabled(False)
        self.finish_layout()
        self.resize(520, self.sizeHint().height())

    def problems(self) -> list[Problem]:
        status = self.status.currentData()
        if status in (DeficiencyStatus.FIXED, DeficiencyStatus.INVALID) and not (
            self.resolution.toPlainText().strip()
        ):
            verb = "was fixed" if status == DeficiencyStatus.FIXED else "is invalid"
            return [("resolution", f"Say how or why the deficiency {verb}.")]
        return []

    def submit(self) -> None:
        cmd = ChangeDeficiencyStatus(
            deficiency_id=self.deficiency.id,
            status=self.status.currentData(),
            resolution=blank_to_none(self.resolution.toPlainText()),
        )
        self.run(lambda ctx: change_deficiency_status(cmd, ctx=ctx), label="change the deficiency")

    def done_text(self, result: object) -> str:
        status = DeficiencyStatus(self.status.currentData())
        return f"Deficiency on {self.title} marked {label(status).lower()}."
