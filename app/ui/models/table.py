"""Plain table models fed whole rows (``set_rows``); ``data()`` only formats, never queries.

Sorting and filtering run in Python over the row objects, once per row: a
``QSortFilterProxyModel`` sorting by itself would call back into Python twice per comparison
(about 280,000 calls, over a second, for 10,000 rows). The source model sorts its list by each
row's key (``RowTableModel.sort``, which the proxy hands every sort to) and the proxy only
filters, asking the predicate once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

type Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column[T]:
    """One column: its title, its text, and optionally its sort key, colour and tooltip."""

    title: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    color: Callable[[T], QColor | None] | None = None
    tooltip: Callable[[T], str] | None = None
    numeric: bool = False


class RowTableModel[T](QAbstractTableModel):
    """A read-only table of ``T`` rows described by columns; sorts itself (see the module)."""

    def __init__(self, columns: Sequence[Column[T]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[T] = []
        self._order: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[T]) -> None:
        """Replace every row (kept in the order the user sorted by, if any)."""
        self.beginResetModel()
        self._rows = self._sorted(list(rows))
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by a column's sort key (a column of -1 keeps the current order)."""
        if not 0 <= column < len(self.columns):
            self._order = None
            return
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        held = [self._rows[index.row()] for index in before]
        self._rows = self._sorted(self._rows)
        where = {id(row): n for n, row in enumerate(self._rows)}
        after = [self.index(where[id(r)], i.column()) for r, i in zip(held, before, strict=True)]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[T]) -> list[T]:
        if self._order is None:
            return rows
        column, order = self._order
        spec = self.columns[column]

        def key(row: T) -> tuple[bool, Any]:
            value = spec.sort(row) if spec.sort else spec.text(row).casefold()
            return (value is not None, value)  # no value sorts first, as Qt sorts an empty one

        return sorted(rows, key=key, reverse=order is Qt.SortOrder.DescendingOrder)

    def find_row(self, accept: Callable[[T], bool]) -> int:
        """The position of the first row ``accept`` admits, or -1."""
        return next((n for n, row in enumerate(self._rows) if accept(row)), -1)

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_at(self, row: int) -> T:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item, column = self._rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(item)
        if role == SORT_ROLE:
            return column.sort(item) if column.sort else column.text(item).casefold()
        if role == ROW_ROLE:
            return item
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            return column.color(item)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(item)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RowFilterProxy(QSortFilterProxyModel):
    """Filters rows with a predicate on the row object; a ``RowTableModel`` source sorts itself."""

    def __init__(self, source: QAbstractTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self._accept: Callable[[Any], bool] | None = None
        self._rows = source if isinstance(source, RowTableModel) else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Hand the sort to the source model (once per row), or sort here for any other model."""
        if self._rows is not None:
            self._rows.sort(column, order)
        else:
            super().sort(column, order)

    def set_predicate(self, accept: Callable[[Any], bool] | None) -> None:
        """Show only rows ``accept`` admits (None shows all)."""
        self.beginFilterChange()
        self._accept = accept
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._accept is None:
            return True
        if self._rows is not None:
            return self._accept(self._rows.row_at(source_row))
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self._accept(index.data(ROW_ROLE))

    def proxy_row(self, source_row: int) -> int:
        """Where a source row shows, or -1 when it is filtered out."""
        return self.mapFromSource(self.sourceModel().index(source_row, 0)).row()

    def row_object(self, proxy_row: int) -> Any:
        """The row object shown at ``proxy_row``."""
        return self.index(proxy_row, 0).data(ROW_ROLE)
