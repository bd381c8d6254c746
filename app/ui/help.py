"""Help → User guide and Keyboard shortcuts.

The shortcuts are read from the window's own actions when the dialog opens, so the list is
always the one the keyboard really answers to (for the profile signed in). The user guide is
``docs/USER-GUIDE.md``, shipped with the app (the bundle carries it as data) and shown as
rendered Markdown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import app
from app.domain.errors import SiteSyncError
from app.ui.backend import Backend
from app.ui.runtime import Progress
from app.ui.session import Session


def user_guide_path() -> Path:
    """Where the user guide is: ``docs/USER-GUIDE.md`` beside the app (source tree or bundle)."""
    return Path(app.__file__).resolve().parent.parent / "docs" / "USER-GUIDE.md"


def read_user_guide(path: Path) -> str:
    """The guide's Markdown text (blocking: run it off the Qt thread)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteSyncError(
            f"The user guide could not be read from {path}: {exc.strerror or exc}.",
            hint="Reinstall SiteSync, or read docs/USER-GUIDE.md in its source.",
        ) from None


def _plain(text: str) -> str:
    """A menu text as read: without its mnemonic '&' (a doubled one is a real '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def _keys(sequences: list[QKeySequence]) -> str:
    shown = [s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences]
    return ", ".join(key for key in shown if key)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, what it does, keys) for every enabled action and shortcut of ``window``.

    Actions are listed under the menu they appear in, in menu order; the others (a screen's
    own actions, ``QShortcut``s) follow under "Window".
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[QAction] = set()
    for entry in window.menuBar().actions():
        menu = entry.menu()
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            seen.add(action)
            keys = _keys(action.shortcuts())
            if keys and action.isEnabled() and action.isVisible():
                rows.append((_plain(entry.text()), _plain(action.text()), keys))
    for action in window.findChildren(QAction):
        keys = _keys(action.shortcuts())
        if action in seen or not keys or not action.isEnabled() or not action.text():
            continue
        rows.append(("Window", _plain(action.text()), keys))
    for shortcut in window.findChildren(QShortcut):
        keys = _keys(shortcut.keys())
        if keys and shortcut.isEnabled():
            what = shortcut.whatsThis() or shortcut.objectName() or "shortcut"
            rows.append(("Window", what, keys))
    return rows


class ShortcutsDialog(QDialog):
    """A table of the window's keyboard shortcuts, as they are when it opens."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.table)
        column.addWidget(buttons)
        self.resize(520, 460)


class UserGuideDialog(QDialog):
    """The user guide rendered from Markdown; links to web pages open in the browser."""

    def __init__(self, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userGuide")
        self.setWindowTitle("SiteSync user guide")
        self.browser = QTextBrowser()
        self.browser.setObjectName("userGuideText")
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.browser)
        column.addWidget(buttons)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.resize(760, 560)


class HelpWindows:
    """Opens the help dialogs of the main window (one of each at a time)."""

    def __init__(self, session: Session, window: QMainWindow) -> None:
        self.session, self.window = session, window
        self.guide_path = user_guide_path()
        self.shortcuts: ShortcutsDialog | None = None
        self.guide: UserGuideDialog | None = None

    def show_shortcuts(self) -> ShortcutsDialog:
        """Open the keyboard shortcuts, listed from the window as it is now."""
        if self.shortcuts is not None:
            self.shortcuts.close()
        self.shortcuts = ShortcutsDialog(self.window)
        self.shortcuts.open()
        return self.shortcuts

    def show_user_guide(self) -> None:
        """Read the guide on the worker, then show it."""
        path = self.guide_path

        async def read(_backend: Backend, _progress: Progress) -> str:
            return await asyncio.to_thread(read_user_guide, path)

        def opened(markdown: str) -> None:
            if self.guide is not None:
                self.guide.close()
            self.guide = UserGuideDialog(markdown, self.window)
            self.guide.show()

        self.session.work(read, opened, label="open the user guide", parent=self.window)
