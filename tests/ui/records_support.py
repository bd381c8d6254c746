"""What the record-screen tests share: driving a form and checking the signed log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.audit.chain import StaticDeviceKeys, verify_events
from app.ui.main_window import MainWindow
from app.ui.views.records.base import RecordDialog
from tests.ui.factories import Fleet


def type_into(field: QLineEdit | QPlainTextEdit, text: str) -> None:
    """Replace the field's text as a user would: select all, then type."""
    field.setFocus()
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            QTest.keyClick(field, Qt.Key.Key_Return)
        QTest.keyClicks(field, line)


def wait_for_dialog[D: QDialog](
    qtbot: QtBot, window: MainWindow, kind: type[D], timeout: int = 5000
) -> D:
    """The record form the last click opened (forms that load data first open a moment later)."""
    qtbot.waitUntil(lambda: isinstance(window.forms.records.last_dialog, kind), timeout=timeout)
    dialog = window.forms.records.last_dialog
    assert isinstance(dialog, kind)
    qtbot.addWidget(dialog)
    return dialog


def save(qtbot: QtBot, dialog: RecordDialog) -> None:
    """Click Save and wait until the form has saved and closed."""
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def click_save_expecting_problems(dialog: RecordDialog) -> dict[str, str]:
    """Click Save on a form that should refuse; the problems it shows by field."""
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    return dialog.errors.messages()


def signed_types(fleet: Fleet, since: int) -> list[str]:
    """Types of the events appended since position ``since``, after checking that the whole
    log is contiguous, hashed and signed by the device key."""
    sealed = [s for s, _e in fleet.store.state.log]
    keys = StaticDeviceKeys({s.body.device_id: fleet.signer().public_key for s in sealed})
    report = verify_events(fleet.store.stored_events(), keys)
    assert report.events == len(sealed)
    return [event.type for event in fleet.store.events[since:]]
