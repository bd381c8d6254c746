"""Offer to rebuild the demo store when its last build was stopped before the end."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def ask_rebuild_demo(store_name: str) -> bool:
    """Whether the person wants the unfinished demo store rebuilt (a QApplication must exist)."""
    box = QMessageBox()
    box.setObjectName("rebuildDemoDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unfinished demo store")
    box.setText(
        f"The demo store {store_name} was not finished: building it was stopped before the "
        "end, so it holds only part of the demo."
    )
    box.setInformativeText(
        "Rebuild it now? The unfinished store is deleted and a new demo is built (this takes "
        "a few seconds). It holds demo data only."
    )
    rebuild = box.addButton("Rebuild the demo", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(rebuild)
    box.exec()
    return box.clickedButton() is rebuild
