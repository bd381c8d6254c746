"""A supervisor's or administrator's local profile needs its PIN before anyone acts as it."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from app.domain.enums import Role
from app.domain.payloads import UserPinSet
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.views.dialogs.pin import ChoosePinDialog
from app.ui.views.dialogs.profile import ProfileDialog, describe_role
from tests.ui.factories import SUPERVISOR, TECHNICIAN, Fleet


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


def test_the_first_switch_chooses_a_pin_and_later_ones_ask_for_it(
    qtbot: QtBot, tech_session: Session, settings: QSettings, fleet: Fleet
) -> None:
    window = MainWindow(tech_session, settings)
    qtbot.addWidget(window)
    window.show()
    dialog = _pick(qtbot, window, "Sam Super")
    qtbot.waitUntil(
        lambda: dialog.gate is not None and isinstance(dialog.gate.dialog, ChoosePinDialog),
        timeout=5000,
    )
    assert dialog.gate is not None
    choose = dialog.gate.dialog
    assert isinstance(choose, ChoosePinDialog)
    assert tech_session.actor == TECHNICIAN  # nothing switched yet
    choose.pin.setText("12")
    choose.again.setText("12")
    choose.ok.click()
    assert "4 to 64 characters" in choose.problem.text()
    choose.pin.setText("4821")
    choose.again.setText("4812")
    choose.ok.click()
    assert choose.problem.text() == "The two PINs differ. Type the same PIN twice."
    choose.again.setText("4821")
    choose.ok.click()
    qtbot.waitUntil(lambda: tech_session.actor == SUPERVISOR, timeout=10000)
    recorded = fleet.store.events[-1]
    assert recorded.type == "user.pin_set"
    assert recorded.entity_id == SUPERVISOR.user_id
    assert isinstance(recorded.payload, UserPinSet)
    assert "4821" not in recorded.payload.verifier  # an argon2id hash, never the PIN
    assert recorded.payload.verifier.startswith("$argon2id$")
    # hand over to the technician (no PIN), then back: now the PIN is asked, again if wrong
    tech_session.switch_profile(TECHNICIAN)
    again = _pick(qtbot, window, "Sam Super")
    pin = _pin_dialog(qtbot, again)
    pin.setTextValue("0000")
    pin.accept()

    def asked_again() -> bool:
        shown = again.gate.dialog if again.gate is not None else None
        return (
            isinstance(shown, QInputDialog)
            and shown is not pin
            and "That PIN is wrong. Try again." in shown.labelText()
        )

    qtbot.waitUntil(asked_again, timeout=10000)
    assert tech_session.actor == TECHNICIAN
    retry = _pin_dialog(qtbot, again)
    retry.setTextValue("4821")
    retry.accept()
    qtbot.waitUntil(lambda: tech_session.actor == SUPERVISOR, timeout=10000)
    assert "Sam Super" in window.profile_label.text()


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
