"""The list screens: Callbacks and Compliance, and the list base the Work screen shares."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from app.domain.enums import IncidentStatus
from app.domain.work import Incident
from app.services.queries import ComplianceRow, FleetRow, callback_log
from app.ui.actions import Actions
from app.ui.backend import Backend
from app.ui.models.records import CallbackLine, CallbackTableModel, ComplianceTableModel
from app.ui.models.table import RowTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.base import View, fit_columns, heading, make_table, selected_row
from app.ui.views.screens.record_buttons import CallbackButtons


class ListView(View):
    """A title, a filter box, a row of buttons and one table; activating a row opens its unit."""

    def __init__(
        self, session: Session, title: str, model: RowTableModel[object], name: str
    ) -> None:
        super().__init__(session)
        self.model = model
        self.table, self.proxy = make_table(model, name)
        self.filter = QLineEdit()
        self.filter.setObjectName(f"{name}Filter")
        self.filter.setPlaceholderText("Filter…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        self.tools = QHBoxLayout()
        self.tools.addWidget(heading(title))
        self.tools.addStretch(1)
        self.tools.addWidget(self.filter)
        self.column = QVBoxLayout(self)
        self.column.addLayout(self.tools)
        self.column.addWidget(self.table, 1)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.selection_changed())

    def add_button(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(lambda: slot())
        self.tools.addWidget(button)
        return button

    def show_rows(self, rows: list[object]) -> None:
        self.model.set_rows(rows)
        fit_columns(self.table)
        self.apply_filter()
        self.selection_changed()

    def selected(self) -> object | None:
        return selected_row(self.table, self.proxy)

    def selection_changed(self) -> None:
        """Hook: the current row changed (enable the buttons acting on it)."""

    def extra_filter(self, row: object) -> bool:
        return True

    def apply_filter(self, *_args: object) -> None:
        words = self.filter.text().casefold().split()
        columns = self.model.columns

        def accept(row: object) -> bool:
            text = " ".join(c.text(row) for c in columns).casefold()
            return self.extra_filter(row) and all(w in text for w in words)

        self.proxy.set_predicate(accept)

    def unit_of(self, row: object) -> FleetRow | None:
        return None

    def _activated(self, index: QModelIndex) -> None:
        unit = self.unit_of(self.proxy.row_object(index.row()))
        if unit is not None:
            self.open_unit(unit.elevator_id)


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
        self._units: dict[object, FleetRow] = {}

    def refresh(self) -> None:
        today = self.session.today()

        async def job(backend: Backend, _progress: Progress) -> list[tuple[Incident, FleetRow]]:
            units = await backend.figures.every_row(today=today)
            return await callback_log(backend.unit_of_work, units)

        self.session.work(job, self._loaded, label="load the callbacks", parent=self)

    def _loaded(self, rows: list[tuple[Incident, FleetRow]]) -> None:
        self._units = {i.id: u for i, u in rows}
        self.show_rows([CallbackLine(i, u.title) for i, u in rows])

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


class ComplianceView(ListView):
    def __init__(self, session: Session) -> None:
        super().__init__(session, "Compliance", ComplianceTableModel(), "complianceTable")  # type: ignore[arg-type]
        self.scope = QComboBox()
        self.scope.setObjectName("complianceScope")
        self.scope.addItems(["Needs attention", "Everything"])
        # a large fleet has tens of thousands of items: "Everything" is loaded when asked for
        self.scope.currentIndexChanged.connect(lambda _index: self.refresh())
        self.tools.insertWidget(2, self.scope)

    def refresh(self) -> None:
        today, everything = self.session.today(), self.scope.currentIndex() == 1

        async def job(backend: Backend, _progress: Progress) -> list[ComplianceRow]:
            return await backend.figures.compliance(today=today, everything=everything)

        self.session.work(job, self._loaded, label="load compliance", parent=self)

    def _loaded(self, rows: list[ComplianceRow]) -> None:
        self.show_rows(list(rows))

    def unit_of(self, row: object) -> FleetRow | None:
        return row.unit if isinstance(row, ComplianceRow) else None
