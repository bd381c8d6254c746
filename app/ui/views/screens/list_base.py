"""What the list screens (Work, Callbacks, Compliance) share: title, filter, buttons, one table."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from app.services.queries import FleetRow
from app.ui.models.table import RowTableModel
from app.ui.session import Session
from app.ui.views.screens.base import (
    ColumnFitter,
    View,
    fit_columns,
    heading,
    make_table,
    selected_row,
)


class ListView(View):
    """A title, a filter box, a row of buttons and one table; activating a row opens its unit."""

    def __init__(
        self, session: Session, title: str, model: RowTableModel[object], name: str
    ) -> None:
        super().__init__(session)
        self.model = model
        self.table, self.proxy = make_table(model, name)
        self.columns: ColumnFitter | None = None
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

    def leave_out_when_narrow(self, *titles: str) -> None:
        """Columns the list may leave out, in this order, rather than scroll sideways."""
        self.columns = ColumnFitter(self.table, titles)

    def show_rows(self, rows: list[object]) -> None:
        self.model.set_rows(rows)
        fit_columns(self.table)
        if self.columns is not None:
            self.columns.fit()
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
