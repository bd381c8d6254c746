"""Parts used and photos of the visit form."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import PhotoInput, VisitEntries
from app.domain.errors import ValidationError
from app.domain.work import PartUsed
from app.ui.stores import documents_folder

_PART_COLUMNS = ("Part number", "Description", "Qty", "Serials (comma separated)")
THUMB = 72

type ThumbnailLoader = Callable[[list[str]], None]
"""Asks for thumbnails of photo files (read off the Qt thread); answers via ``set_thumbnails``."""


def thumbnail(data: bytes, size: int = THUMB) -> QImage | None:
    """A thumbnail of image bytes (QImage is safe off the Qt thread), or None if unreadable."""
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return image.scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _with_buttons(
    owner: QWidget,
    content: QWidget,
    add: tuple[str, str, Callable[[], None]],
    remove: tuple[str, Callable[[], None]],
) -> None:
    """Lay ``content`` out with an add button (text, object name, action) and a remove button
    (text, action) beside it."""
    add_text, add_name, add_action = add
    add_button = QPushButton(add_text)
    add_button.setObjectName(add_name)
    add_button.clicked.connect(add_action)
    remove_text, remove_action = remove
    remove_button = QPushButton(remove_text)
    remove_button.clicked.connect(remove_action)
    buttons = QVBoxLayout()
    buttons.addWidget(add_button)
    buttons.addWidget(remove_button)
    buttons.addStretch(1)
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(content, 1)
    layout.addLayout(buttons)


class PartsEditor(QWidget):
    """A small editable table of parts; rows with no part number are ignored."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recorded = 0  # the first rows are parts already stored on the visit (read-only)
        self.table = QTableWidget(0, len(_PART_COLUMNS))
        self.table.setObjectName("partsTable")
        self.table.setHorizontalHeaderLabels(list(_PART_COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setMaximumHeight(110)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        add = ("Add part", "addPart", lambda: self.add_part())
        _with_buttons(self, self.table, add, ("Remove part", self._remove))

    def add_part(self, values: list[str] | None = None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate(values or ["", "", "1", ""]):
            self.table.setItem(row, column, QTableWidgetItem(text))
        self.changed.emit()

    def show_recorded(self, parts: list[PartUsed]) -> None:
        """Show the parts already stored on the visit, greyed and read-only, above new ones."""
        for index, part in enumerate(parts):
            self.table.insertRow(index)
            values = [
                part.part_number,
                part.description or "",
                str(part.quantity),
                ", ".join(part.serials),
            ]
            for column, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
                cell.setForeground(QBrush(QColor("#616161")))
                cell.setToolTip("Recorded on the visit")
                self.table.setItem(index, column, cell)
        self.recorded += len(parts)

    def _remove(self) -> None:
        if self.table.currentRow() >= self.recorded:
            self.table.removeRow(self.table.currentRow())
            self.changed.emit()

    def texts(self) -> list[list[str]]:
        """The cells of the new rows (not those already stored)."""
        rows = []
        for row in range(self.recorded, self.table.rowCount()):
            cells = [self.table.item(row, c) for c in range(len(_PART_COLUMNS))]
            rows.append([cell.text().strip() if cell else "" for cell in cells])
        return rows


class PhotoStrip(QWidget):
    """Photos chosen from disk, shown as thumbnails."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths: list[str] = []  # new photos, by file path
        self.recorded = 0  # the first items are photos already stored on the visit
        self.loader: ThumbnailLoader | None = None
        self.list = QListWidget()
        self.list.setObjectName("photoStrip")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMaximumHeight(104)
        add = ("Add photos…", "addPhotos", self._choose)
        _with_buttons(self, self.list, add, ("Remove photo", self._remove))

    def _choose(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(
            self, "Add photos", documents_folder(), "Images (*.png *.jpg *.jpeg *.heic)"
        )
        self.add_files(files)

    def add_files(self, files: list[str]) -> None:
        """Add photos by path; their thumbnails come later from the loader (never read here)."""
        for path in files:
            item = QListWidgetItem(Path(path).name)
            item.setToolTip(path)
            self.list.addItem(item)
            self.paths.append(path)
        if files and self.loader is not None:
            self.loader(list(files))
        self.changed.emit()

    def set_thumbnails(self, thumbs: dict[str, QImage | None]) -> None:
        """Show the thumbnails read for new photos (a missing one keeps the plain name)."""
        for offset, path in enumerate(self.paths):
            image = thumbs.get(path)
            item = self.list.item(self.recorded + offset)
            if image is not None and item is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def show_recorded(self, photos: list[tuple[str, QImage | None]]) -> None:
        """Show the photos already stored on the visit (caption, thumbnail) before new ones."""
        for index, (caption, image) in enumerate(photos):
            item = QListWidgetItem(caption)
            item.setToolTip("Recorded on the visit")
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self.list.insertItem(index, item)
        self.recorded += len(photos)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= self.recorded:
            self.list.takeItem(row)
            del self.paths[row - self.recorded]
            self.changed.emit()


def read_photos(paths: Sequence[str]) -> list[bytes]:
    """The photos' bytes (run it off the Qt thread); a ValidationError names an unreadable file."""
    data = []
    for path in paths:
        try:
            data.append(Path(path).read_bytes())
        except OSError as error:
            raise ValidationError(
                f"Photo {Path(path).name} cannot be read ({error.strerror}).",
                field="photos",
                hint="Remove it or add it again.",
            ) from error
    return data


def read_thumbnails(paths: list[str]) -> dict[str, QImage | None]:
    """Thumbnails of photo files, None for one that cannot be read (run off the Qt thread)."""
    thumbs: dict[str, QImage | None] = {}
    for path in paths:
        try:
            thumbs[path] = thumbnail(Path(path).read_bytes())
        except OSError:
            thumbs[path] = None
    return thumbs


def with_photos[E: VisitEntries](
    cmd: E, items: Mapping[str, Sequence[str]], photos: Sequence[str]
) -> E:
    """``cmd`` with the photo files read in: per checklist item and for the whole visit."""
    answers = tuple(
        a.model_copy(update={"photos": tuple(read_photos(items[a.key]))}) if a.key in items else a
        for a in cmd.items
    )
    inputs = tuple(PhotoInput(data=data) for data in read_photos(photos))
    return cmd.model_copy(update={"items": answers, "photos": inputs})
