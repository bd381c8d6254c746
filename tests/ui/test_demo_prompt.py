"""An unfinished demo store: the desktop offers to rebuild it before the window opens."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.demo_prompt import ask_rebuild_demo


def _answer(rebuild: bool) -> None:
    def respond() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        assert box.objectName() == "rebuildDemoDialog"
        assert "was not finished" in box.text()
        if rebuild:
            box.defaultButton().click()
        else:
            box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(50, respond)


def test_rebuild_is_offered_and_accepted(qtbot: QtBot) -> None:
    _answer(rebuild=True)
    assert ask_rebuild_demo("sitesync-demo.sqlite") is True


def test_declining_keeps_the_store(qtbot: QtBot) -> None:
    _answer(rebuild=False)
    assert ask_rebuild_demo("sitesync-demo.sqlite") is False
