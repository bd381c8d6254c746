"""Opens the form dialogs; owned by the main window and handed to the views that need it."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from app.domain.commands import LockVisit
from app.domain.entities import Elevator
from app.domain.enums import IncidentStatus, VisitStatus
from app.domain.work import Incident, Visit
from app.services.visits import lock_visit
from app.ui.exports import Exporter
from app.ui.session import Session
from app.ui.views.dialogs.status_and_addendum import AddendumDialog, StatusDialog
from app.ui.views.records.actions import RecordActions
from app.ui.views.visit.plan import VisitPlan, plan_from_reference


def confirm(parent: QWidget, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
    """Ask a yes/no question without blocking; ``on_yes`` runs if the answer is yes."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setObjectName("confirmBox")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.finished.connect(
        lambda result: on_yes() if result == QMessageBox.StandardButton.Yes else None
    )
    box.open()
    return box


class Actions:
    """One place that opens each form, so every screen offers the same ones."""

    def __init__(self, session: Session, window: QWidget) -> None:
        self.session = session
        self.window = window
        self.current_unit: UUID | None = None
        self.current_title = ""
        self.last_dialog: QDialog | None = None
        self.exports = Exporter(session, window)
        self.records = RecordActions(session, window)

    def current(self) -> tuple[UUID, str] | None:
        """The unit open in Sites & Units (its id and title), if any."""
        if self.current_unit is None:
            return None
        return self.current_unit, self.current_title or str(self.current_unit)[:8]

    def _open(self, dialog: QDialog) -> QDialog:
        self.last_dialog = dialog
        dialog.setModal(True)
        dialog.open()
        return dialog

    def change_status(self, unit: Elevator) -> QDialog:
        title = self.current_title if unit.id == self.current_unit else ""
        return self._open(StatusDialog(self.session, unit, self.window, title=title))

    def add_addendum(self, visit: Visit) -> QDialog:
        return self._open(AddendumDialog(self.session, visit, self.window))

    def close_callback(self, incident: Incident) -> QDialog:
        from app.ui.views.dialogs.close_callback import CloseCallbackDialog

        return self._open(CloseCallbackDialog(self.session, incident, self.window))

    def visit_form(self, plan: VisitPlan) -> QDialog:
        from app.ui.views.visit.form import VisitForm

        return self._open(VisitForm(self.session, plan, self.window))

    def record_visit(self, elevator_id: UUID | None = None) -> QDialog:
        return self.visit_form(VisitPlan(elevator_id=elevator_id or self.current_unit))

    def open_visit(self, visit: Visit) -> QDialog:
        """Start a scheduled visit, or record the rest of one in progress."""
        return self.visit_form(VisitPlan(visit=visit))

    def attend_callback(self, incident: Incident) -> QDialog | None:
        """Record the callback visit answering an open callback (linked to it)."""
        if incident.status is not IncidentStatus.OPEN:
            return None
        return self.visit_form(VisitPlan(incident=incident))

    def lock_visit(self, visit: Visit) -> QMessageBox | None:
        """Lock a completed visit after asking; from then on only addenda correct it."""
        if visit.status is not VisitStatus.COMPLETED:
            return None
        cmd = LockVisit(visit_id=visit.id)

        def lock() -> None:
            self.session.act(
                lambda ctx: lock_visit(cmd, ctx=ctx),
                lambda _changes: None,
                label="lock the visit",
                parent=self.window,
            )

        return confirm(
            self.window,
            "Lock the visit",
            "Lock this visit? It can no longer change; corrections become addenda.",
            lock,
        )

    def schedule_visit(self, elevator_id: UUID | None = None) -> QDialog:
        from app.ui.views.dialogs.schedule_visit import ScheduleDialog

        unit = elevator_id or self.current_unit
        return self._open(ScheduleDialog(self.session, unit, self.window))

    def resume_draft(self, reference: dict[str, str]) -> None:
        """Reopen the visit form a saved draft belongs to (it restores the draft itself)."""

        def opened(plan: VisitPlan) -> None:
            self.visit_form(plan)

        self.session.read(
            lambda uow: plan_from_reference(uow, reference),
            opened,
            label="reopen the draft",
            parent=self.window,
        )

    def log_callback(self, elevator_id: UUID | None = None) -> QDialog:
        from app.ui.views.dialogs.log_callback import CallbackForm

        return self._open(CallbackForm(self.session, elevator_id or self.current_unit, self.window))
