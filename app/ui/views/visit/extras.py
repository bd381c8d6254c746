"""The "Parts, notes and photos" part of the visit form."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from app.domain.work import Visit
from app.ui.views.visit.command import PartRow
from app.ui.views.visit.parts_and_photos import PartsEditor, PhotoStrip
from app.ui.widgets.forms import FormErrors, text_box


class ExtrasSection(QGroupBox):
    """Parts used, a note and photos; on a visit in progress, also those already recorded."""

    changed = Signal()

    def __init__(self, errors: FormErrors, parent: QWidget | None = None) -> None:
        super().__init__("Parts, notes and photos", parent)
        form = QFormLayout(self)
        self.parts = PartsEditor()
        self.recorded_notes = QLabel()
        self.recorded_notes.setObjectName("recordedNotes")
        self.recorded_notes.setWordWrap(True)
        self.recorded_notes.hide()
        self.notes = text_box()
        self.notes.setObjectName("notes")
        self.notes.setMaximumHeight(70)
        self.photos = PhotoStrip()
        errors.add_row(form, "Parts used", self.parts, "parts")
        form.addRow("", self.recorded_notes)
        errors.add_row(form, "Notes", self.notes, "notes")
        errors.add_row(form, "Photos", self.photos, "photos")
        self.parts.changed.connect(self.changed)
        self.photos.changed.connect(self.changed)
        self.notes.textChanged.connect(self.changed)

    def show_stored(self, visit: Visit, photos: list[tuple[str, QImage | None]]) -> None:
        """Show the parts, notes and photos the visit already holds (only new ones are added)."""
        self.parts.show_recorded(list(visit.parts))
        if visit.notes:
            lines = "\n".join(f"• {n.text}" for n in visit.notes)
            self.recorded_notes.setText(f"Recorded notes:\n{lines}")
            self.recorded_notes.show()
        self.notes.setPlaceholderText("Add a note")
        self.photos.show_recorded(photos)

    def part_rows(self) -> tuple[PartRow, ...]:
        """The new rows of the parts table, as typed."""
        return tuple((row[0], row[1], row[2], row[3]) for row in self.parts.texts())

    def note(self) -> str:
        return self.notes.toPlainText()

    # -- drafts ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What a draft keeps of this part."""
        return {
            "parts": self.parts.texts(),
            "notes": self.notes.toPlainText(),
            "photos": self.photos.paths,
        }

    def restore(self, draft: dict[str, Any]) -> None:
        for values in draft.get("parts", []):
            self.parts.add_part(values)
        self.notes.setPlainText(draft.get("notes", ""))
        self.photos.add_files(draft.get("photos", []))
