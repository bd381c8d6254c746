"""Sites & Units: a search-as-you-type unit finder beside the unit page."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from app.domain.wording import plural
from app.services.queries import FleetList, FleetRow, matches
from app.ui.actions import Actions
from app.ui.backend import Backend
from app.ui.models.records import FleetTableModel
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.screens.base import ColumnFitter, View, fit_columns, make_table
from app.ui.views.unit.page import UnitPage
from app.ui.widgets.reflow import scrolling

COLUMN_WIDTH = 180
"""The widest a column of the unit list gets."""
OPTIONAL_COLUMNS = ("Make", "Customer", "Status")
"""What the unit list leaves out, in turn, when it is narrow: the finder still matches them,
and the unit page shows them."""


class FleetView(View):
    """The finder filters the loaded fleet on every keystroke; no query per key.

    The rows come from the fleet's kept figures at once, then again once current if events
    came in since (``FleetFigures``).
    """

    def __init__(self, session: Session, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.model = FleetTableModel(self)
        self.table, self.proxy = make_table(self.model, "fleetTable")
        self.search = QLineEdit()
        self.search.setObjectName("unitSearch")
        self.search.setPlaceholderText("Find a unit: number, site, customer, serial… (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._open_first)
        self.count = QLabel()
        self.count.setObjectName("unitCount")
        self.page = UnitPage(session, actions)
        finder = QWidget()
        column = QVBoxLayout(finder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search)
        column.addWidget(self.table, 1)
        column.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(finder)
        splitter.addWidget(scrolling(self.page))  # a short screen scrolls the unit page
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([440, 660])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.columns = ColumnFitter(self.table, OPTIONAL_COLUMNS, COLUMN_WIDTH)
        self.table.activated.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._open_index(current)
        )

    def refresh(self) -> None:
        self._ask(self.session.today(), wait=False)

    def _ask(self, today: date, *, wait: bool) -> None:
        async def job(backend: Backend, _progress: Progress) -> FleetList | None:
            return await backend.figures.fleet_list(today=today, wait=wait)

        def answered(found: FleetList | None) -> None:
            if found is not None:
                self._loaded(list(found.rows))
            if not wait and (found is None or found.stale):
                self._ask(today, wait=True)

        self.session.work(job, answered, label="load the fleet", parent=self)

    def _loaded(self, rows: list[FleetRow]) -> None:
        self.model.set_rows(rows)
        fit_columns(self.table, COLUMN_WIDTH)
        self.columns.fit()
        self._filter(self.search.text())
        if self.page.elevator_id is not None:
            self._select(self.page.elevator_id)

    def _filter(self, text: str) -> None:
        self.proxy.set_predicate((lambda row: matches(row, text)) if text.strip() else None)
        self.count.setText(f"{self.proxy.rowCount()} of {plural(self.model.rowCount(), 'unit')}")

    def _open_first(self) -> None:
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))
            self.table.setFocus()

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            row: FleetRow = self.proxy.row_object(index.row())
            if row.elevator_id != self.page.elevator_id:
                self.page.show_unit(row.elevator_id, row)

    def show_unit(self, elevator_id: UUID) -> None:
        """Open a unit (e.g. from a dashboard drill-down)."""
        found = self.model.find_row(lambda row: row.elevator_id == elevator_id)
        self.page.show_unit(elevator_id, self.model.row_at(found) if found >= 0 else None)
        self._select(elevator_id)

    def _select(self, elevator_id: UUID) -> None:
        found = self.model.find_row(lambda row: row.elevator_id == elevator_id)
        shown = self.proxy.proxy_row(found) if found >= 0 else -1
        if shown >= 0:
            self.table.selectRow(shown)
