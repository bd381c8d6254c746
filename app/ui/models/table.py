"""Plain table models fed whole rows (``set_rows``); ``data()`` only formats, never queries."""

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
    """A read-only table of ``T`` rows described by columns."""

    def __init__(self, columns: Sequence[Column[T]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

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
    """Sorts by each column's sort key; filters rows with a predicate on the row object."""

    def __init__(self, source: QAbstractTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self._accept: Callable[[Any], bool] | None = None

    def set_predicate(self, accept: Callable[[Any], bool] | None) -> None:
        """Show only rows ``accept`` admits (None shows all)."""
        self.beginFilterChange()
        self._accept = accept
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._accept is None:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self._accept(index.data(ROW_ROLE))

    def row_object(self, proxy_row: int) -> Any:
        """The row object shown at ``proxy_row``."""
        return self.index(proxy_row, 0).data(ROW_ROLE)
