"""The status bar's sync indicator: always visible, one click opens the Sync page."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton, QWidget

from app.ui.sync.bridge import SyncBridge
from app.ui.sync.state import Indicator, Level, SyncState, describe

COLORS: Final = {
    Level.IDLE: "#616161",
    Level.BUSY: "#1565c0",
    Level.OK: "#2e7d32",
    Level.OFFLINE: "#b26a00",
    Level.ERROR: "#c62828",
}
MARKS: Final = {
    Level.IDLE: "○",
    Level.BUSY: "⟳",
    Level.OK: "✔",
    Level.OFFLINE: "◌",
    Level.ERROR: "✖",
}


class SyncIndicator(QToolButton):
    """Shows :func:`describe` of the bridge's state; its tooltip has the detail."""

    def __init__(self, bridge: SyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Sync status")
        self.current = describe(bridge.state)
        bridge.state_changed.connect(self.show_state)
        self.show_state(bridge.state)

    def show_state(self, state: SyncState) -> None:
        self.show_indicator(describe(state))

    def show_indicator(self, indicator: Indicator) -> None:
        self.current = indicator
        self.setText(f"{MARKS[indicator.level]} {indicator.text}")
        self.setToolTip(f"{indicator.detail}\n\nClick for the Sync page.")
        self.setAccessibleDescription(indicator.detail)
        self.setStyleSheet(f"QToolButton {{ color: {COLORS[indicator.level]}; font-weight: 600; }}")
