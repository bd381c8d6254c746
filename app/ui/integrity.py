"""The status bar's word on the store's full integrity check, which runs after the window shows."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


class IntegrityStatus(QLabel):
    """ "Checking the store…", then "Store checked" or, in red, "Store damaged"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Checking the store…", parent)
        self.setObjectName("integrityStatus")
        self.setToolTip("SQLite's full integrity check of the local database is running.")

    def passed(self, seconds: float) -> None:
        """The full check found nothing wrong."""
        self.setText("Store checked")
        self.setToolTip(f"SQLite's full integrity check found no damage ({seconds:.1f} s).")

    def failed(self, message: str) -> None:
        """The full check found damage: nothing more is saved to this store."""
        self.setText("Store damaged: nothing is saved")
        self.setStyleSheet("color: #b00020; font-weight: bold;")
        self.setToolTip(message)
