"""A store signed in to a server opens with its user's password, checked offline.

Real SQLite stores (created through ``app.bootstrap.StoreFiles``), the real argon2id verifier
(``sync.client.offline_unlock``, at its cheapest cost) and ``app.desktop_sync.DesktopUnlock``;
the store is joined by writing its account, as a sign-in does, so no server is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import keyring
import nacl.pwhash
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles
from app.desktop_sync import DesktopUnlock, SessionVaults
from app.store.sync_state import SyncAccount, SyncStateWriter
from app.ui.app import Startup, start_gui
from sync.client.offline_unlock import Hardness, KnownUser, OfflineUnlock
from tests.integration.keys.test_keystores import DictKeyring
from tests.ui.helpers import set_first_admin_pin

pytestmark = pytest.mark.timeout(60)

PASSWORD = "correct horse battery"
SEAL_PASSWORD = "another long password"
SAM = "sam@example.com"
CHEAP = Hardness(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
SIGNED_IN_PROMPT = "signed in to the server as sam@example.com"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


@pytest.fixture
def os_keyring() -> Iterator[DictKeyring]:
    """A computer with a secure keyring (an in-memory one standing in for the OS's)."""
    before = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def _signed_in_store(path: Path, seal: str | None, *, password: str = PASSWORD) -> UUID:
    """A store signed in as Sam (``seal``: its key's password; None: in the OS keyring)."""

    async def make() -> UUID:
        ws = await StoreFiles().create(path, "Acme Lifts", seal)
        try:
            async with ws.store.sync_transaction() as db:
                await SyncStateWriter(db).set_account(
                    SyncAccount(
                        server_url="https://sync.example.com",
                        organization_id=str(uuid4()),
                        user_id=str(uuid4()),
                        email=SAM,
                        device_id=str(ws.device.device_id),
                        ledger_origin="sync.example.com/ledger",
                        ledger_key_name="sync.example.com",
                        ledger_public_key=bytes(32),
                        joined_at=datetime.now(UTC),
                    )
                )
            user = KnownUser(uuid4(), SAM, "Sam")
            await OfflineUnlock(ws.store, hardness=CHEAP).remember(user, password)
            return ws.device.device_id
        finally:
            await ws.close()

    return asyncio.run(make())


def _start(path: Path, tmp_path: Path, vaults: SessionVaults, quits: list[bool]) -> Startup:
    return start_gui(
        _app(),
        path,
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.ini",
        quit_app=lambda: quits.append(True),
        stores=StoreFiles(),
        signed_in=DesktopUnlock(vaults),
    )


def _prompt(qtbot: QtBot, startup: Startup, expect: str) -> QInputDialog:
    opener = startup.opener
    assert opener is not None
    qtbot.waitUntil(
        lambda: (
            opener.dialog is not None
            and opener.dialog.isVisible()
            and expect in opener.dialog.labelText()
        ),
        timeout=15000,
    )
    assert opener.dialog is not None
    return opener.dialog


def _answer(qtbot: QtBot, startup: Startup, text: str, *, expect: str) -> None:
    dialog = _prompt(qtbot, startup, expect)
    dialog.setTextValue(text)
    dialog.accept()


def _close(startup: Startup) -> None:
    if startup.window is not None:
        startup.window.close()
    startup.shutdown()


def test_a_signed_in_store_with_its_key_in_the_keyring_asks_its_users_password(
    qtbot: QtBot, tmp_path: Path, os_keyring: DictKeyring
) -> None:
    store = tmp_path / "sam.sqlite"
    device_id = _signed_in_store(store, None)
    vaults, quits = SessionVaults(), list[bool]()
    startup = _start(store, tmp_path, vaults, quits)
    try:
        _answer(qtbot, startup, "not the password", expect=SIGNED_IN_PROMPT)
        assert startup.window is None  # nothing opens on a wrong password
        _answer(qtbot, startup, PASSWORD, expect="That password is wrong. Try again.")
        set_first_admin_pin(qtbot, startup)
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        assert startup.exit_code == 0
        assert quits == []
        # the password that unlocked the store waits for its sync, which keeps no token yet
        assert vaults.password(device_id) == PASSWORD
    finally:
        _close(startup)


def test_cancelling_the_users_password_leaves_with_exit_code_1(
    qtbot: QtBot, tmp_path: Path, os_keyring: DictKeyring
) -> None:
    store = tmp_path / "sam.sqlite"
    device_id = _signed_in_store(store, None)
    vaults, quits = SessionVaults(), list[bool]()
    startup = _start(store, tmp_path, vaults, quits)
    try:
        _prompt(qtbot, startup, SIGNED_IN_PROMPT).reject()
        qtbot.waitUntil(lambda: quits == [True], timeout=15000)
        assert startup.exit_code == 1
        assert startup.window is None
        assert vaults.password(device_id) is None
    finally:
        _close(startup)


def test_a_store_sealed_with_the_users_password_asks_only_once(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    store = tmp_path / "sam.sqlite"
    device_id = _signed_in_store(store, PASSWORD)
    vaults, quits = SessionVaults(), list[bool]()
    startup = _start(store, tmp_path, vaults, quits)
    asked: list[str] = []
    try:
        _answer(qtbot, startup, PASSWORD, expect="offline-unlock password")
        opener = startup.opener
        assert opener is not None
        first = opener.dialog

        def opened_or_asked_again() -> bool:
            dialog = opener.dialog
            if dialog is not first and dialog is not None and dialog.isVisible():
                asked.append(dialog.labelText())
            return startup.window is not None or bool(asked)

        set_first_admin_pin(qtbot, startup)
        qtbot.waitUntil(opened_or_asked_again, timeout=15000)
        assert asked == []  # one prompt unlocked the key and the user
        assert startup.window is not None
        assert vaults.password(device_id) == PASSWORD  # and it lets sync sign in again
    finally:
        _close(startup)


def test_a_store_sealed_with_another_password_asks_for_the_users_too(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    store = tmp_path / "sam.sqlite"
    _signed_in_store(store, SEAL_PASSWORD)
    vaults, quits = SessionVaults(), list[bool]()
    startup = _start(store, tmp_path, vaults, quits)
    try:
        _answer(qtbot, startup, SEAL_PASSWORD, expect="offline-unlock password")
        _answer(qtbot, startup, PASSWORD, expect=SIGNED_IN_PROMPT)
        set_first_admin_pin(qtbot, startup)
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        assert startup.exit_code == 0
    finally:
        _close(startup)


def test_a_store_never_signed_in_opens_with_no_password(
    qtbot: QtBot, tmp_path: Path, os_keyring: DictKeyring
) -> None:
    store = tmp_path / "local.sqlite"

    async def make() -> None:
        ws = await StoreFiles().create(store, "First Lifts", None)
        await ws.close()

    asyncio.run(make())
    quits: list[bool] = []
    startup = _start(store, tmp_path, SessionVaults(), quits)
    try:
        set_first_admin_pin(qtbot, startup)
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        opener = startup.opener
        assert opener is not None
        assert opener.dialog is None
    finally:
        _close(startup)
