"""Help → Keyboard shortcuts and User guide, and the unit's id on its page."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableWidget
from pytestqt.qtbot import QtBot

from app.ui.errors import ErrorReport
from app.ui.help import ShortcutsDialog, UserGuideDialog, user_guide_path
from app.ui.main_window import MainWindow
from app.ui.session import Session
from tests.ui.factories import TECHNICIAN, Fleet

SPEC = Path(__file__).resolve().parents[2] / "packaging" / "sitesync.spec"


def _rows(dialog: ShortcutsDialog) -> list[tuple[str, str, str]]:
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    assert table is not None
    rows: list[tuple[str, str, str]] = []
    for r in range(table.rowCount()):
        menu, what, keys = (table.item(r, c) for c in range(3))
        assert menu is not None
        assert what is not None
        assert keys is not None
        rows.append((menu.text(), what.text(), keys.text()))
    return rows


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def _trigger(window: MainWindow, name: str) -> None:
    action = window.findChild(QAction, name)
    assert action is not None, name
    action.trigger()


def test_shortcuts_are_read_from_the_window(qtbot: QtBot, window: MainWindow) -> None:
    _trigger(window, "shortcuts")
    dialog = window.help.shortcuts
    assert dialog is not None
    qtbot.waitExposed(dialog)
    rows = _rows(dialog)
    assert ("Record", "Record visit", _native("Ctrl+N")) in rows
    assert ("Record", "Log callback", _native("Ctrl+L")) in rows
    assert ("File", "Switch profile", _native("Ctrl+Shift+P")) in rows
    assert ("Go", "Dashboard", _native("Ctrl+1")) in rows
    assert ("Help", "Keyboard shortcuts", _native("Ctrl+/")) in rows
    assert all(keys for _menu, _what, keys in rows)
    # a shortcut added to the window is listed the next time: nothing is a copy
    extra = QAction("Print the page", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+F12"))
    window.addAction(extra)
    _trigger(window, "shortcuts")
    assert window.help.shortcuts is not None
    assert ("Window", "Print the page", _native("Ctrl+Shift+F12")) in _rows(window.help.shortcuts)


def test_a_technician_is_not_shown_the_shortcuts_of_hidden_screens(
    qtbot: QtBot, window: MainWindow, session: Session
) -> None:
    session.switch_profile(TECHNICIAN)
    assert not window.go_actions["Dashboard"].isEnabled()
    rows = _rows(window.help.show_shortcuts())
    assert ("Go", "Sites & Units", _native("Ctrl+2")) in rows
    assert not [row for row in rows if row[1] in {"Dashboard", "Compliance"}]


def test_the_user_guide_opens_rendered_from_its_markdown(qtbot: QtBot, window: MainWindow) -> None:
    _trigger(window, "userGuide")
    qtbot.waitUntil(lambda: window.help.guide is not None, timeout=5000)
    guide = window.help.guide
    assert isinstance(guide, UserGuideDialog)
    text = guide.browser.toPlainText()
    for section in (
        "First start",
        "Recording a visit",
        "Callbacks and entrapments",
        "Inspections and deficiencies",
        "Entering the fleet",
        "Stores, profiles and PINs",
        "Signing in and sync",
        "Audit and evidence",
    ):
        assert section in text, section
    assert "## " not in text  # rendered, not shown as source
    assert "**" not in text


def test_a_missing_user_guide_names_the_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, shown_errors: list[ErrorReport]
) -> None:
    window.help.guide_path = tmp_path / "USER-GUIDE.md"
    window.help.show_user_guide()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=5000)
    assert f"could not be read from {tmp_path / 'USER-GUIDE.md'}" in shown_errors[-1].message
    assert window.help.guide is None


def test_the_user_guide_ships_in_the_bundle() -> None:
    assert user_guide_path().is_file()
    spec = SPEC.read_text(encoding="utf-8")
    assert '(str(ROOT / "docs" / "USER-GUIDE.md"), "docs")' in spec


def test_the_unit_page_shows_its_id_to_copy(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> None:
    unit = fleet.units["Harbour View/L1"]
    window.open_unit(unit)
    page = window.fleet.page
    qtbot.waitUntil(lambda: page.unit_id.isVisible(), timeout=5000)
    assert page.unit_id.text.text() == f"Unit id: {unit}"
    QApplication.clipboard().clear()
    QTest.mouseClick(page.unit_id.copy, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == str(unit)
    assert page.unit_id.copy.text() == "Copied"
