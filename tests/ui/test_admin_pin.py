"""The administrator's PIN on real SQLite stores: chosen with the store, never by whoever switches.

A store made with File → New store holds the administrator's PIN from its first event on; a
store made by the command line (or an older one) lets its administrator set the first PIN of
the store at the first switch, and no other "choose a PIN" path remains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles, Workspace, open_workspace
from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.services.context import Actor
from app.services.profiles import has_pin, pin_matches
from app.services.users import register_user
from app.ui.errors import ErrorPresenter
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.views.dialogs.pin import FIRST_PIN_WARNING, ChoosePinDialog
from app.ui.views.dialogs.profile import ProfileDialog
from tests.ui.conftest import FixedClock

PASSWORD = "correct horse battery"
ADMIN_PIN = "9753"
WAIT = 15000


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


def _store(path: Path, admin_pin: str | None) -> tuple[Actor, Actor, Actor]:
    """A store (with ``admin_pin``, as New store makes it) holding a technician and a supervisor."""

    async def make() -> tuple[Actor, Actor, Actor]:
        ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD, admin_pin)
        try:
            admin = await ws.actor()
            made = []
            for name, email, role in (
                ("Tia Tech", "tia@acme.test", Role.TECHNICIAN),
                ("Sam Super", "sam@acme.test", Role.SUPERVISOR),
            ):
                actor = Actor(ws.ids.new_id(), role, name)
                cmd = RegisterUser(user_id=actor.user_id, email=email, display_name=name, role=role)
                await register_user(cmd, ctx=ws.context(admin))
                made.append(actor)
            return admin, made[0], made[1]
        finally:
            await ws.close()

    return asyncio.run(make())


def _session(runtime: CoreRuntime, path: Path, actor: Actor, tmp_path: Path) -> Session:
    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(path, password=lambda: PASSWORD)

    backend = runtime.run_sync(open_job)
    errors = ErrorPresenter(log_file=tmp_path / "log.txt", show=lambda _report, _parent: None)
    return Session(
        runtime, backend, clock=FixedClock(), errors=errors, data_dir=tmp_path, actor=actor
    )


def _close(runtime: CoreRuntime, session: Session) -> None:
    backend = session.backend

    async def close(_progress: Progress) -> None:
        await backend.aclose()

    runtime.run_sync(close)


def _pick(qtbot: QtBot, session: Session, name: str) -> ProfileDialog:
    dialog = ProfileDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.count() == 3, timeout=WAIT)
    row = next(r for r in range(dialog.list.count()) if name in dialog.list.item(r).text())
    dialog.list.setCurrentRow(row)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    return dialog


def _shown[T](qtbot: QtBot, dialog: ProfileDialog, kind: type[T]) -> T:
    qtbot.waitUntil(
        lambda: dialog.gate is not None and isinstance(dialog.gate.dialog, kind), timeout=WAIT
    )
    assert dialog.gate is not None
    shown = dialog.gate.dialog
    assert isinstance(shown, kind)
    return shown


def _check(runtime: CoreRuntime, session: Session, user: Actor, pin: str) -> tuple[bool, bool]:
    uow = session.backend.unit_of_work

    async def job(_progress: Progress) -> tuple[bool, bool]:
        return await has_pin(uow, user.user_id), await pin_matches(uow, user.user_id, pin)

    return runtime.run_sync(job)


def test_a_technician_cannot_choose_the_pin_of_a_new_stores_administrator(
    qtbot: QtBot, runtime: CoreRuntime, tmp_path: Path
) -> None:
    path = tmp_path / "acme.sqlite"
    admin, tech, sup = _store(path, ADMIN_PIN)
    session = _session(runtime, path, tech, tmp_path)
    try:
        # the administrator: its PIN is asked (the one chosen with the store), never chosen
        dialog = _pick(qtbot, session, "Administrator")
        asked = _shown(qtbot, dialog, QInputDialog)
        assert "Enter the PIN of Administrator" in asked.labelText()
        asked.setTextValue("1111")
        asked.accept()
        qtbot.waitUntil(
            lambda: (
                isinstance(dialog.gate and dialog.gate.dialog, QInputDialog)
                and dialog.gate is not None
                and dialog.gate.dialog is not asked
            ),
            timeout=WAIT,
        )
        assert session.actor == tech
        assert dialog.gate is not None
        retry = dialog.gate.dialog
        assert isinstance(retry, QInputDialog)
        assert "That PIN is wrong" in retry.labelText()
        retry.reject()
        # the supervisor without a PIN: refused, with who can set it
        dialog = _pick(qtbot, session, "Sam Super")
        refused = _shown(qtbot, dialog, QMessageBox)
        assert "Sam Super has no PIN yet" in refused.text()
        refused.accept()
        assert session.actor == tech
        assert _check(runtime, session, sup, "1111") == (False, False)
        assert _check(runtime, session, admin, ADMIN_PIN) == (True, True)
        # the administrator, signed in with the PIN, sets the supervisor's
        dialog = _pick(qtbot, session, "Administrator")
        asked = _shown(qtbot, dialog, QInputDialog)
        asked.setTextValue(ADMIN_PIN)
        asked.accept()
        qtbot.waitUntil(lambda: session.actor == admin, timeout=WAIT)
        profiles = ProfileDialog(session)
        qtbot.addWidget(profiles)
        qtbot.waitUntil(lambda: profiles.list.count() == 3, timeout=WAIT)
        assert profiles.pin_button.isVisibleTo(profiles)
        row = next(r for r in range(3) if "Sam Super" in profiles.list.item(r).text())
        profiles.list.setCurrentRow(row)
        form = profiles.set_pin()
        assert isinstance(form, ChoosePinDialog)
        form.pin.setText("2222")
        form.again.setText("2222")
        form.ok.click()
        qtbot.waitUntil(
            lambda: "The PIN of Sam Super is set." in profiles.hint.text(), timeout=WAIT
        )
        assert _check(runtime, session, sup, "2222") == (True, True)
    finally:
        _close(runtime, session)


def test_a_store_without_any_pin_has_its_administrator_set_the_first_one(
    qtbot: QtBot, runtime: CoreRuntime, tmp_path: Path
) -> None:
    path = tmp_path / "cli.sqlite"
    admin, tech, _sup = _store(path, None)  # as `sitesync import` makes it
    session = _session(runtime, path, tech, tmp_path)
    try:
        dialog = _pick(qtbot, session, "Administrator")
        choose = _shown(qtbot, dialog, ChoosePinDialog)
        intro = choose.findChild(QLabel, "choosePinIntro")
        assert isinstance(intro, QLabel)
        assert FIRST_PIN_WARNING in intro.text()
        choose.pin.setText("2468")
        choose.again.setText("2468")
        choose.ok.click()
        qtbot.waitUntil(lambda: session.actor == admin, timeout=WAIT)
        assert _check(runtime, session, admin, "2468") == (True, True)
        # from now on the PIN is asked: no path to choose another remains
        session.switch_profile(tech)
        again = _pick(qtbot, session, "Administrator")
        asked = _shown(qtbot, again, QInputDialog)
        assert "Enter the PIN of Administrator" in asked.labelText()
        asked.reject()
        assert session.actor == tech
    finally:
        _close(runtime, session)


def test_a_demo_store_keeps_profiles_without_a_pin_and_says_so(
    qtbot: QtBot, runtime: CoreRuntime, tmp_path: Path
) -> None:
    path = tmp_path / "demo-like.sqlite"
    _admin, tech, sup = _store(path, None)
    session = _session(runtime, path, tech, tmp_path)
    session.demo = True
    try:
        dialog = _pick(qtbot, session, "Sam Super")
        assert dialog.demo_note.isVisibleTo(dialog)
        assert "This is a demo store" in dialog.demo_note.text()
        qtbot.waitUntil(lambda: session.actor == sup, timeout=WAIT)
    finally:
        _close(runtime, session)
