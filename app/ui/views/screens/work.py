"""The Work screen: scheduled, in-progress and finished visits, and what can be done with them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtWidgets import QComboBox

from app.domain.work import UNFINISHED, Visit
from app.services.queries import FleetRow, user_names, visit_log
from app.ui.actions import Actions
from app.ui.backend import Backend
from app.ui.models.records import VisitLine, VisitTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.list_base import ListView
from app.ui.views.screens.record_buttons import VisitButtons

type WorkRows = tuple[list[tuple[Visit, FleetRow]], dict[UUID, str]]


async def _work(backend: Backend, today: date) -> WorkRows:
    units = await backend.figures.every_row(today=today)
    return await visit_log(backend.unit_of_work, units), await user_names(backend.unit_of_work)


class WorkView(ListView):
    """Open work first; supervisors also schedule visits from here."""

    def __init__(self, session: Session, actions: Actions) -> None:
        super().__init__(session, "Visits", VisitTableModel(), "visitTable")  # type: ignore[arg-type]
        self.scope = QComboBox()
        self.scope.setObjectName("visitScope")
        self.scope.addItems(
            ["Open work (scheduled, in progress, not locked)", "All open and recent visits"]
        )
        self.scope.currentIndexChanged.connect(self.apply_filter)
        self.tools.insertWidget(2, self.scope)
        self.add_button("&Record visit…", "recordVisit", actions.record_visit)
        self.schedule = self.add_button("Sc&hedule visit…", "scheduleVisit", actions.schedule_visit)
        self.buttons = VisitButtons(actions, self.selected_visit)
        self.column.addWidget(self.buttons)
        self._units: dict[object, FleetRow] = {}
        session.profile_changed.connect(lambda _actor: self._role_changed())
        self._role_changed()

    def _role_changed(self) -> None:
        self.schedule.setVisible(self.session.is_supervisor)

    def refresh(self) -> None:
        today = self.session.today()

        async def job(backend: Backend, _progress: Progress) -> WorkRows:
            return await _work(backend, today)

        self.session.work(job, self._loaded, label="load the visits", parent=self)

    def _loaded(self, found: WorkRows) -> None:
        rows, names = found
        self._units = {v.id: u for v, u in rows}
        self.show_rows(
            [
                VisitLine(
                    v,
                    u.title,
                    names.get(v.technician_id, "") if v.technician_id else "",
                    u.time_zone,
                )
                for v, u in rows
            ]
        )

    def selected_visit(self) -> Visit | None:
        line = self.selected()
        return line.visit if isinstance(line, VisitLine) else None

    def selection_changed(self) -> None:
        self.buttons.update_state()

    def extra_filter(self, row: object) -> bool:
        if self.scope.currentIndex() == 1 or not isinstance(row, VisitLine):
            return True
        return row.visit.status in UNFINISHED

    def unit_of(self, row: object) -> FleetRow | None:
        return self._units.get(row.visit.id) if isinstance(row, VisitLine) else None
