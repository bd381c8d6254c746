"""Opening a password-sealed store from the desktop asks for the offline-unlock password.

A wrong password is said in the prompt, which stays open for another try; the check is the
real one (the sealed device key beside a store, opened with the typed password).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from app.keystore import check_sealed_password, new_sealed_key_store, sealed_key_path
from app.ui.unlock import UnlockDialog, ask_unlock_password


def _answer(text: str | None) -> None:
    def respond() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, UnlockDialog)
        assert dialog.objectName() == "unlockDialog"
        assert dialog.password.echoMode() is QLineEdit.EchoMode.Password
        if text is None:
            dialog.reject()
        else:
            dialog.password.setText(text)
            dialog.ok.click()

    QTimer.singleShot(50, respond)


def test_typed_password_is_returned(qtbot: QtBot) -> None:
    _answer("correct horse")
    assert ask_unlock_password("fleet.sqlite") == "correct horse"


def test_cancel_returns_none(qtbot: QtBot) -> None:
    _answer(None)
    assert ask_unlock_password("fleet.sqlite") is None


def test_a_wrong_password_can_be_tried_again(qtbot: QtBot, tmp_path: Path) -> None:
    store = tmp_path / "fleet.sqlite"
    new_sealed_key_store(store, lambda: "correct horse").set("device-key", b"k" * 32)
    assert sealed_key_path(store).exists()
    dialog = UnlockDialog("fleet.sqlite", lambda pw: check_sealed_password(store, pw))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("wrong horse")
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert "password is wrong" in dialog.error.text()
    assert dialog.isVisible()
    assert dialog.ok.isEnabled()

    dialog.password.setText("correct horse")
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.result() == UnlockDialog.DialogCode.Accepted, timeout=10000)
    assert not dialog.isVisible()
