"""Buttons acting on the selected visit or callback, shared by the lists and the unit page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.domain.enums import IncidentStatus, VisitStatus
from app.domain.work import Incident, Visit
from app.ui.actions import Actions


def _button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setEnabled(False)
    button.clicked.connect(lambda: slot())
    return button


class VisitButtons(QWidget):
    """Start (scheduled), continue (in progress), lock (completed), add addendum (completed or
    locked)."""

    def __init__(
        self, actions: Actions, selected: Callable[[], Visit | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.selected = selected
        self.start = _button("&Start visit…", "startVisit", lambda: self._act(actions.open_visit))
        self.resume = _button(
            "C&ontinue visit…", "continueVisit", lambda: self._act(actions.open_visit)
        )
        self.lock = _button("Loc&k visit…", "lockVisit", lambda: self._act(actions.lock_visit))
        self.addendum = _button(
            "Add &addendum…", "addAddendum", lambda: self._act(actions.add_addendum)
        )
        self.cancel = _button(
            "Cancel visi&t…", "cancelVisit", lambda: self._act(actions.records.cancel_visit)
        )
        self.wanted = {
            self.cancel: {VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS},
            self.start: {VisitStatus.SCHEDULED},
            self.resume: {VisitStatus.IN_PROGRESS},
            self.lock: {VisitStatus.COMPLETED},
            self.addendum: {VisitStatus.COMPLETED, VisitStatus.LOCKED},
        }
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        for button in self.wanted:
            row.addWidget(button)

    def update_state(self) -> None:
        """Enable the buttons that apply to the selected visit."""
        visit = self.selected()
        for button, statuses in self.wanted.items():
            button.setEnabled(visit is not None and visit.status in statuses)

    def _act(self, action: Callable[[Visit], object]) -> None:
        visit = self.selected()
        if visit is not None:
            action(visit)


class CallbackButtons(QWidget):
    """Attend an open callback (a linked callback visit) or close it (back in service)."""

    def __init__(
        self,
        actions: Actions,
        selected: Callable[[], Incident | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.selected = selected
        self.attend = _button(
            "A&ttend…", "attendCallback", lambda: self._act(actions.attend_callback)
        )
        self.close_button = _button(
            "&Close callback…", "closeCallback", lambda: self._act(actions.close_callback)
        )
        self.edit = _button(
            "&Edit callback…", "editCallback", lambda: self._act(actions.records.edit_callback)
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.edit)
        row.addWidget(self.attend)
        row.addWidget(self.close_button)

    def update_state(self) -> None:
        incident = self.selected()
        open_call = incident is not None and incident.status is IncidentStatus.OPEN
        self.attend.setEnabled(open_call)
        self.close_button.setEnabled(open_call)
        self.edit.setEnabled(open_call)

    def _act(self, action: Callable[[Incident], object]) -> None:
        incident = self.selected()
        if incident is not None and incident.status is IncidentStatus.OPEN:
            action(incident)
