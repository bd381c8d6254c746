"""The Work screen: scheduled, in-progress and finished visits, and what can be done with them."""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from PySide6.QtWidgets import QComboBox

from app.domain.enums import VisitStatus
from app.domain.work import Visit
from app.services.queries import FleetRow, user_names, visit_log
from app.ui.actions import Actions
from app.ui.backend import Backend
from app.ui.models.records import VisitLine, VisitTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.list_base import ListView
from app.ui.views.screens.record_buttons import VisitButtons

SCOPES: Final = (
    ("Open work (scheduled or in progress)", (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)),
    ("All open and recent visits", ()),
    ("Completed, waiting to be locked", (VisitStatus.COMPLETED,)),
)
"""The Work list's choices: a label and the visit statuses it shows (every one when empty)."""

type WorkRows = tuple[list[tuple[Visit, FleetRow]], dict[UUID, str]]


async def _work(backend: Backend, today: date) -> WorkRows:
    units = await backend.figures.every_row(today=today)
    return await visit_log(backend.unit_of_work, units), await user_names(backend.unit_of_work)


class WorkView(ListView):
    """Open work first; supervisors also schedule visits from here."""

    def __init__(self, session: Session, actions: Actions) -> None:
        super().__init__(session, "Work", VisitTableModel(), "visitTable")  # type: ignore[arg-type]
        self.scope = QComboBox()
        self.scope.setObjectName("visitScope")
        for text, statuses in SCOPES:
            self.scope.addItem(text, statuses)
        self.scope.currentIndexChanged.connect(self.apply_filter)
        self.leave_out_when_narrow("Addenda", "Customer sign-off", "Items")
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
        templates = self.session.templates
        self._units = {v.id: u for v, u in rows}
        self.show_rows(
            [
                VisitLine(
                    v,
                    u.title,
                    names.get(v.technician_id, "") if v.technician_id else "",
                    u.time_zone,
                    templates.title(v.template_id, v.template_version),
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
        statuses = self.scope.currentData()
        if not statuses or not isinstance(row, VisitLine):
            return True
        return row.visit.status in statuses

    def unit_of(self, row: object) -> FleetRow | None:
        return self._units.get(row.visit.id) if isinstance(row, VisitLine) else None
