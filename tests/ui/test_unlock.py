"""Opening a password-sealed store from the desktop asks for the offline-unlock password."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit
from pytestqt.qtbot import QtBot

from app.ui.unlock import ask_unlock_password


def _answer(text: str | None) -> None:
    def respond() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        assert dialog.objectName() == "unlockDialog"
        assert dialog.textEchoMode() is QLineEdit.EchoMode.Password
        if text is None:
            dialog.reject()
        else:
            dialog.setTextValue(text)
            dialog.accept()

    QTimer.singleShot(50, respond)


def test_typed_password_is_returned(qtbot: QtBot) -> None:
    _answer("correct horse")
    assert ask_unlock_password("fleet.sqlite") == "correct horse"


def test_cancel_returns_none(qtbot: QtBot) -> None:
    _answer(None)
    assert ask_unlock_password("fleet.sqlite") is None
