"""What every screen shares: the session, lazy refresh on "what changed", table helpers."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from PySide6.QtCore import QAbstractTableModel, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from app.services.context import Changes
from app.ui.models.table import RowFilterProxy
from app.ui.session import Session


class View(QWidget):
    """A screen: refreshes when shown after a change, never while hidden."""

    unit_requested = Signal(object)  # UUID of a unit to open

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._stale = True
        session.changed.connect(self._on_changed)
        session.profile_changed.connect(lambda _actor: self._on_changed(Changes()))

    def refresh(self) -> None:
        """Load the screen's data (asynchronously)."""

    def relevant(self, changes: Changes) -> bool:
        """Whether ``changes`` affect this screen (all changes do, unless a view says less)."""
        return True

    def _on_changed(self, changes: Changes) -> None:
        if not self.relevant(changes):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def open_unit(self, elevator_id: UUID) -> None:
        self.unit_requested.emit(elevator_id)


FIT_ROWS = 100
"""Rows beyond those in view that ``fit_columns`` measures."""


def make_table(
    model: QAbstractTableModel, name: str, *, sortable: bool = True
) -> tuple[QTableView, RowFilterProxy]:
    """A read-only, row-selecting, sortable table view over ``model`` through a proxy."""
    proxy = RowFilterProxy(model)
    table = QTableView()
    table.setObjectName(name)
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    # Keep the order the rows came in until the user sorts by a column.
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    table.setSortingEnabled(sortable)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    # Fit columns to the rows in view and this many more, not to the first thousand: fitting
    # asks every cell for its text and size, a call into Python each.
    header.setResizeContentsPrecision(FIT_ROWS)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return table, proxy


def fit_columns(table: QTableView, maximum: int = 260) -> None:
    """Size columns to their contents, none wider than ``maximum`` pixels."""
    table.resizeColumnsToContents()
    for column in range(table.model().columnCount() - 1):
        table.setColumnWidth(column, min(table.columnWidth(column), maximum))


def heading(text: str, size: int = 15) -> QLabel:
    title = QLabel(text)
    title.setStyleSheet(f"font-size: {size}pt; font-weight: 600;")
    return title


def selected_row(table: QTableView, proxy: RowFilterProxy) -> object | None:
    """The row object of the table's current row, or None."""
    index = table.currentIndex()
    return proxy.row_object(index.row()) if index.isValid() else None


class ColumnFitter(QObject):
    """Leaves out the ``optional`` columns (by title), in that order, while the table is too
    narrow to show every column at its fitted width: a small screen shows fewer columns
    rather than scrolling sideways."""

    def __init__(self, table: QTableView, optional: Sequence[str], maximum: int = 260) -> None:
        super().__init__(table)
        self.table, self.optional, self.maximum = table, tuple(optional), maximum
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        """Show or leave out the optional columns for the table's width now."""
        model, header = self.table.model(), self.table.horizontalHeader()
        count = model.columnCount()
        natural = [
            min(self.maximum, max(self.table.sizeHintForColumn(c), header.sectionSizeHint(c)))
            for c in range(count)
        ]
        titles = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(count)]
        shown = set(range(count))
        for title in self.optional:
            if sum(natural[c] for c in shown) <= self.table.viewport().width():
                break
            if title in titles:
                shown.discard(titles.index(title))
        for column in range(count):
            header.setSectionHidden(column, column not in shown)
        # the stretched last column never shrinks below the size it had before it was last:
        # give it its fitted width, or it can push the others out of view
        last = max((c for c in shown), key=header.visualIndex, default=-1)
        if last >= 0 and header.sectionSize(last) > natural[last]:
            header.resizeSection(last, natural[last])
