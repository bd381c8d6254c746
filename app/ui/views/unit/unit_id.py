"""The unit's id on its page: selectable, with a Copy button, for the commands that need it."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget


class UnitIdLine(QWidget):
    """``Unit id: …`` and a Copy button; hidden until a unit is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unitIdLine")
        self.unit_id: UUID | None = None
        self.text = QLabel()
        self.text.setObjectName("unitId")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setToolTip("The unit's id, for commands such as: sitesync audit export --unit ID")
        self.copy = QPushButton("Copy id")
        self.copy.setObjectName("copyUnitId")
        self.copy.setToolTip("Copy the unit's id to the clipboard")
        self.copy.clicked.connect(self.copy_id)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.text)
        row.addWidget(self.copy)
        row.addStretch(1)
        self.hide()

    def show_id(self, unit_id: UUID) -> None:
        """Show ``unit_id``."""
        self.unit_id = unit_id
        self.text.setText(f"Unit id: {unit_id}")
        self.copy.setText("Copy id")
        self.show()

    def copy_id(self) -> None:
        """Put the id on the clipboard and say so on the button."""
        if self.unit_id is None:
            return
        QApplication.clipboard().setText(str(self.unit_id))
        self.copy.setText("Copied")
