"""Layouts for small screens: tiles that reflow into the columns that fit, and scrolling."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QWidget

TITLE_BAR = 40
"""What a window's title bar and frame take from the screen's free height."""


def fit_on_screen(window: QWidget, size: QSize | None = None) -> None:
    """Size ``window`` to ``size`` (its own by default), no larger than its screen's free area
    less the title bar, never smaller than its minimum: a small screen shows all of it."""
    wanted = size or window.size()
    screen = window.screen()
    if screen is not None:
        wanted = wanted.boundedTo(screen.availableGeometry().size() - QSize(0, TITLE_BAR))
    window.resize(wanted.expandedTo(window.minimumSizeHint()))


class TileGrid(QWidget):
    """Tiles in rows of at most ``columns``, fewer when the width holds fewer: on a small
    screen they wrap onto more rows rather than squeeze or clip."""

    def __init__(
        self,
        tiles: Sequence[QWidget],
        *,
        columns: int,
        tile_width: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tiles = list(tiles)
        self._most = columns
        self._tile_width = tile_width
        self._columns = 0
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        for tile in self._tiles:
            tile.setMinimumWidth(tile_width)
        self._place(columns)

    @property
    def columns(self) -> int:
        """How many tiles a row holds now."""
        return self._columns

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for tile in self._tiles:
            self._grid.removeWidget(tile)
        for n, tile in enumerate(self._tiles):
            self._grid.addWidget(tile, n // columns, n % columns)
        for column in range(self._most):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)
        self.updateGeometry()

    def fitting(self, width: int) -> int:
        """How many columns of tiles ``width`` pixels hold (at least one)."""
        spacing = self._grid.horizontalSpacing()
        return max(1, min(self._most, (width + spacing) // (self._tile_width + spacing)))

    def minimumSizeHint(self) -> QSize:
        # one column at the least; the height is that of the rows as placed now
        return QSize(self._tile_width, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place(self.fitting(event.size().width()))


class VerticalScroll(QScrollArea):
    """A frameless scroll area that scrolls up and down, never sideways: it is as wide as its
    content needs at the least, and as short as the screen makes it."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        bar = self.verticalScrollBar().sizeHint().width()
        width = content.minimumSizeHint().width() if content is not None else 0
        return QSize(width + bar, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        content = self.widget()
        hint = content.sizeHint() if content is not None else super().sizeHint()
        return QSize(hint.width() + self.verticalScrollBar().sizeHint().width(), hint.height())


def scrolling(content: QWidget) -> VerticalScroll:
    """``content`` in a :class:`VerticalScroll`: a screen or form taller than a small screen
    stays whole and scrolls."""
    return VerticalScroll(content)
