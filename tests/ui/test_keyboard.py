"""Keyboard-only use and a 1366x768 screen: every field is reached with Tab, nothing is cut off."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow
from app.ui.views.dialogs.log_callback import CallbackForm
from app.ui.views.visit.form import VisitForm
from tests.ui.factories import Fleet

SMALL_SCREEN = (1366, 768)
_INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit, QAbstractButton)


def _inputs(dialog: QWidget) -> set[QWidget]:
    """What a keyboard user must be able to reach: visible, enabled, tab-focusable inputs.

    Radio buttons are left out: Tab enters their group once and the arrow keys choose.
    """
    return {
        w
        for w in dialog.findChildren(QWidget)
        if isinstance(w, _INPUTS)
        and not isinstance(w, QRadioButton)
        and not isinstance(w.parent(), QAbstractSpinBox)  # its own line edit: the box has focus
        and w.isVisibleTo(dialog)
        and w.isEnabled()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus
    }


def _tab_through(qtbot: QtBot, dialog: QDialog) -> set[QWidget]:
    """Press Tab from the first field until focus comes back round; returns every widget seen."""
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5000)
    seen: list[QWidget] = []
    for _ in range(200):
        current = QApplication.focusWidget()
        assert current is not None
        if current in seen[:1] and len(seen) > 1:
            break
        seen.append(current)
        for _section in range(8):  # a date-time edit takes Tab from section to section first
            QTest.keyClick(current, Qt.Key.Key_Tab)
            if QApplication.focusWidget() is not current:
                break
        assert QApplication.focusWidget() is not current, f"Tab is trapped in {current!r}"
    return set(seen)


def _fits(dialog: QWidget) -> bool:
    hint = dialog.minimumSizeHint()
    return hint.width() <= SMALL_SCREEN[0] and hint.height() <= SMALL_SCREEN[1] - 40


def test_every_field_of_the_callback_form_is_reached_with_tab(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = window.forms.log_callback(fleet.units["Quay House/L2"])
    assert isinstance(form, CallbackForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.unit.currentIndex() > 0, timeout=5000)
    form.entrapment.setChecked(True)  # enables the entrapment fields too
    seen = _tab_through(qtbot, form)
    missing = _inputs(form) - seen
    assert not missing, [w.objectName() or type(w).__name__ for w in missing]
    assert _fits(form)


def test_every_field_of_the_visit_form_is_reached_with_tab(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = window.forms.record_visit(fleet.units["Quay House/L2"])
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: len(form.checklist.rows) > 3, timeout=5000)
    seen = _tab_through(qtbot, form)
    missing = _inputs(form) - seen
    assert not missing, [w.objectName() or type(w).__name__ for w in missing]
    assert _fits(form)


def test_the_main_window_fits_a_1366x768_screen(qtbot: QtBot, window: MainWindow) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL_SCREEN[0]
    assert hint.height() <= SMALL_SCREEN[1]
    window.resize(*SMALL_SCREEN)
    for name in ("Dashboard", "Sites & Units", "Work", "Callbacks", "Compliance", "Audit"):
        window.go(name)
        qtbot.wait(10)
        assert window.width() <= SMALL_SCREEN[0]
        assert window.height() <= SMALL_SCREEN[1]
