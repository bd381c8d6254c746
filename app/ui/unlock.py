"""Ask for the offline-unlock password of a store whose device key is sealed under it."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit


def ask_unlock_password(store_name: str) -> str | None:
    """The password typed by the person, or None if they cancelled (a QApplication must exist)."""
    dialog = QInputDialog()
    dialog.setObjectName("unlockDialog")
    dialog.setWindowTitle("Unlock SiteSync")
    dialog.setLabelText(
        f"The device key of {store_name} is protected by your offline-unlock password.\n"
        "Enter it to open the store:"
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    dialog.setOkButtonText("Unlock")
    if dialog.exec() != QInputDialog.DialogCode.Accepted:
        return None
    return dialog.textValue()
