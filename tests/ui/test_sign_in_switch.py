"""A sign-in that starts a store of its own moves the window to it (real SQLite stores).

The sync ports are the hand-written fake (``tests/ui/fake_sync.py``); the stores, the core
worker, ``Startup`` and the widgets are real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles
from app.ui.app import Startup, start_gui
from app.ui.backend import Backend
from app.ui.sync.sign_in import SignInDialog
from tests.integration.keys.test_keystores import DictKeyring
from tests.ui.fake_sync import PASSWORD, FakeSyncPort, Status
from tests.ui.helpers import set_first_admin_pin

pytestmark = pytest.mark.timeout(60)

SAM = Status(joined=True, server_url="https://sync.example.com", email="sam@example.com", pending=3)


@pytest.fixture(autouse=True)
def os_keyring() -> Iterator[DictKeyring]:
    before = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def _create(path: Path, organization: str) -> None:
    async def make() -> None:
        ws = await StoreFiles().create(path, organization, None)
        await ws.close()

    asyncio.run(make())


def _start(tmp_path: Path, first: Path, first_port: FakeSyncPort) -> tuple[Startup, Path]:
    """The app on ``first``; a sign-in starts ``second`` (its port signed in as Kim)."""
    second = tmp_path / "stores" / "kim-acme.sqlite"
    second.parent.mkdir()
    ports: dict[int, FakeSyncPort] = {}

    async def new_store() -> tuple[Path, object]:
        return second, await StoreFiles().create(second, "Acme Lifts", None)

    first_port.new_store = new_store

    async def open_sync(backend: object) -> FakeSyncPort:
        if not ports:
            ports[id(backend)] = first_port
            return first_port
        kim = Status(joined=True, server_url="https://sync.example.com", email="kim@example.com")
        return ports.setdefault(id(backend), FakeSyncPort(status_now=kim))

    async def open_first() -> Backend:
        return await StoreFiles().open(first, None)

    startup = start_gui(
        _app(),
        open_first,
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.ini",
        quit_app=lambda: None,
        open_sync=open_sync,
        stores=StoreFiles(),
    )
    return startup, second


def _sign_in(qtbot: QtBot, dialog: SignInDialog, email: str) -> None:
    dialog.server.setText("https://sync.example.com")
    dialog.email.setText(email)
    dialog.password.setText(PASSWORD)
    dialog.ok.click()


def _close(startup: Startup) -> None:
    if startup.window is not None:
        startup.window.close()
    startup.shutdown()


def test_signing_in_from_the_demo_store_moves_the_window_to_the_new_store(
    qtbot: QtBot, tmp_path: Path
) -> None:
    demo = tmp_path / "demo.sqlite"
    _create(demo, "Demo Lifts")
    startup, second = _start(tmp_path, demo, FakeSyncPort(demo=True))
    try:
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        first_window = startup.window
        assert first_window is not None
        assert first_window.sync is not None
        assert "Demo Lifts" in first_window.store_label.text()
        _sign_in(qtbot, first_window.sync.sign_in(), "kim@example.com")
        set_first_admin_pin(qtbot, startup)  # the new store has no PIN yet

        qtbot.waitUntil(
            lambda: startup.window is not None and startup.window is not first_window,
            timeout=15000,
        )
        window = startup.window
        assert window is not None
        assert "Acme Lifts" in window.store_label.text()
        assert startup.store_path == second
        qtbot.waitUntil(lambda: startup.message is not None, timeout=5000)
        message = startup.message
        assert isinstance(message, QMessageBox)
        assert str(second) in message.text()
        assert "stays as it was and is not synced" in message.text()
    finally:
        _close(startup)


def test_signing_in_as_someone_else_opens_their_store_and_keeps_the_first_users_records(
    qtbot: QtBot, tmp_path: Path
) -> None:
    first = tmp_path / "sam.sqlite"
    _create(first, "Acme Lifts (Sam)")
    startup, second = _start(tmp_path, first, FakeSyncPort(status_now=SAM))
    try:
        set_first_admin_pin(qtbot, startup)  # Sam has no profile: the store's administrator
        qtbot.waitUntil(lambda: startup.window is not None, timeout=15000)
        sam_window = startup.window
        assert sam_window is not None
        assert sam_window.sync is not None
        chrome = sam_window.sync
        qtbot.waitUntil(lambda: chrome.someone_else_action.isEnabled(), timeout=5000)
        chrome.someone_else_action.trigger()
        dialog = chrome.dialog
        assert isinstance(dialog, SignInDialog)
        assert dialog.windowTitle() == "Sign in as someone else"
        assert dialog.email.text() == ""  # not Sam's
        assert dialog.server.text() == "https://sync.example.com"
        note = dialog.note.text()
        assert "sam@example.com stays signed in to this store" in note
        assert "3 record(s) not yet sent stay in it" in note

        _sign_in(qtbot, dialog, "kim@example.com")
        set_first_admin_pin(qtbot, startup)
        qtbot.waitUntil(
            lambda: startup.window is not None and startup.window is not sam_window,
            timeout=15000,
        )
        assert startup.store_path == second
        qtbot.waitUntil(lambda: startup.message is not None, timeout=5000)
        assert startup.message is not None
        text = startup.message.text()
        assert "Signed in as kim@example.com" in text
        assert "3 record(s) not yet sent stay there, waiting for sam@example.com" in text
    finally:
        _close(startup)
