"""A supervisor's or administrator's local profile needs its PIN before anyone acts as it."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.enums import Role
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.views.dialogs.pin import ChoosePinDialog
from app.ui.views.dialogs.profile import ProfileDialog, describe_role
from tests.ui.factories import TECHNICIAN, Fleet


def _pick(qtbot: QtBot, window: MainWindow, name: str) -> ProfileDialog:
    dialog = window.switch_profile()  # a child of the window: it goes with it
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=5000)
    row = next(r for r in range(dialog.list.count()) if name in dialog.list.item(r).text())
    dialog.list.setCurrentRow(row)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    return dialog


def _pin_dialog(qtbot: QtBot, dialog: ProfileDialog) -> QInputDialog:
    qtbot.waitUntil(
        lambda: dialog.gate is not None and isinstance(dialog.gate.dialog, QInputDialog),
        timeout=5000,
    )
    assert dialog.gate is not None
    pin = dialog.gate.dialog
    assert isinstance(pin, QInputDialog)
    qtbot.waitUntil(pin.isVisible, timeout=5000)
    return pin


def test_a_technician_cannot_choose_the_pin_of_a_supervisor_without_one(
    qtbot: QtBot, tech_session: Session, settings: QSettings, fleet: Fleet
) -> None:
    window = MainWindow(tech_session, settings)
    qtbot.addWidget(window)
    window.show()
    dialog = _pick(qtbot, window, "Sam Super")
    qtbot.waitUntil(
        lambda: dialog.gate is not None and isinstance(dialog.gate.dialog, QMessageBox),
        timeout=5000,
    )
    assert dialog.gate is not None
    refused = dialog.gate.dialog
    assert isinstance(refused, QMessageBox)
    assert "has no PIN yet" in refused.text()
    assert "Only an administrator signed in with their own PIN" in refused.informativeText()
    assert not isinstance(refused, ChoosePinDialog)
    refused.accept()
    assert tech_session.actor == TECHNICIAN  # nothing switched
    assert all(e.type != "user.pin_set" for e in fleet.store.events)
    assert not dialog.pin_button.isVisible()  # a technician sets no PIN


def test_switching_to_a_technician_asks_nothing(
    qtbot: QtBot, window: MainWindow, session: Session
) -> None:
    _pick(qtbot, window, "Tia Tech")
    assert session.actor == TECHNICIAN


def test_each_role_is_described_with_its_article_and_pin() -> None:
    assert describe_role(Role.ADMIN).startswith("An administrator sees every screen")
    assert describe_role(Role.ADMIN).endswith("Switching to it asks for its PIN.")
    assert describe_role(Role.TECHNICIAN) == (
        "A technician sees Sites & Units, Work, Callbacks, Audit."
    )
