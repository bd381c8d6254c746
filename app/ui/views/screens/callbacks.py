"""The Callbacks screen: open (or all) callbacks; log one, attend it or close it from here."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from app.domain.enums import IncidentStatus
from app.domain.work import Incident
from app.services.queries import FleetRow, callback_log
from app.ui.actions import Actions
from app.ui.backend import Backend
from app.ui.models.records import CallbackLine, CallbackTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.list_base import ListView
from app.ui.views.screens.record_buttons import CallbackButtons


class CallbacksView(ListView):
    def __init__(self, session: Session, actions: Actions) -> None:
        super().__init__(session, "Callbacks", CallbackTableModel(), "callbackTable")  # type: ignore[arg-type]
        self.scope = QComboBox()
        self.scope.setObjectName("callbackScope")
        self.scope.addItems(["Open callbacks", "All callbacks"])
        self.scope.currentIndexChanged.connect(self.apply_filter)
        self.tools.insertWidget(2, self.scope)
        self.add_button("&Log callback…", "logCallback", actions.log_callback)
        self.buttons = CallbackButtons(actions, self.selected_incident)
        self.close_button = self.buttons.close_button
        self.column.addWidget(self.buttons)
        self.forms = actions
        self.leave_out_when_narrow("In KPIs", "Channel", "Fault", "Entrapment")
        self._units: dict[object, FleetRow] = {}

    def refresh(self) -> None:
        today = self.session.today()

        async def job(backend: Backend, _progress: Progress) -> list[tuple[Incident, FleetRow]]:
            units = await backend.figures.every_row(today=today)
            return await callback_log(backend.unit_of_work, units)

        self.session.work(job, self._loaded, label="load the callbacks", parent=self)

    def _loaded(self, rows: list[tuple[Incident, FleetRow]]) -> None:
        self._units = {i.id: u for i, u in rows}
        self.show_rows([CallbackLine(i, u.title, u.time_zone) for i, u in rows])

    def selected_incident(self) -> Incident | None:
        line = self.selected()
        return line.incident if isinstance(line, CallbackLine) else None

    def selection_changed(self) -> None:
        self.buttons.update_state()

    def extra_filter(self, row: object) -> bool:
        if self.scope.currentIndex() == 1 or not isinstance(row, CallbackLine):
            return True
        return row.incident.status is IncidentStatus.OPEN

    def unit_of(self, row: object) -> FleetRow | None:
        return self._units.get(row.incident.id) if isinstance(row, CallbackLine) else None
