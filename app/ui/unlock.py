"""Ask for the offline-unlock password of a store whose device key is sealed under it.

A wrong password is said in the prompt, which stays open for another try. The check (an
argon2id derivation, a fraction of a second) runs on a thread, so the prompt never freezes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import SiteSyncError
from app.ui.widgets.forms import error_label

type PasswordCheck = Callable[[str], None]
"""Raises a SiteSyncError (e.g. "The offline-unlock password is wrong.") for a wrong password."""


class _Answer(QObject):
    checked = Signal(object)  # None, or the error


class UnlockDialog(QDialog):
    """The password prompt; accepted only once ``check`` passed (when there is one)."""

    def __init__(
        self, store_name: str, check: PasswordCheck | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle("Unlock SiteSync")
        self.check = check
        text = QLabel(
            f"The device key of {store_name} is protected by your offline-unlock password.\n"
            "Enter it to open the store:"
        )
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = error_label("unlockError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Unlock")
        self.buttons.accepted.connect(self.try_password)
        self.buttons.rejected.connect(self.reject)
        self._answer = _Answer(self)
        self._answer.checked.connect(self._checked, Qt.ConnectionType.QueuedConnection)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def try_password(self) -> None:
        """Check the typed password off the Qt thread; accept, or say it is wrong."""
        self.error.hide()
        typed = self.password.text()
        if not typed:
            self._checked(SiteSyncError("Enter the password."))
            return
        if self.check is None:
            self.accept()
            return
        check, answer = self.check, self._answer
        self.ok.setEnabled(False)
        self.ok.setText("Checking…")

        def run() -> None:
            try:
                check(typed)
            except SiteSyncError as error:
                answer.checked.emit(error)
            else:
                answer.checked.emit(None)

        threading.Thread(target=run, name="unlock-check", daemon=True).start()

    def _checked(self, error: SiteSyncError | None) -> None:
        self.ok.setEnabled(True)
        self.ok.setText("Unlock")
        if error is None:
            self.accept()
            return
        self.error.setText(f"{error.message} {error.hint}" if error.hint else error.message)
        self.error.show()
        self.password.selectAll()
        self.password.setFocus()


def ask_unlock_password(store_name: str, check: PasswordCheck | None = None) -> str | None:
    """The password typed by the person, or None if they cancelled (a QApplication must exist).

    With ``check``, a wrong password is said in the prompt and may be tried again.
    """
    dialog = UnlockDialog(store_name, check)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.password.text()
