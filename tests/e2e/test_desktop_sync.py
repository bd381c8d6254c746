"""The desktop app against a real server on loopback: sign in, sync, resolve a conflict.

Real parts throughout: the window offscreen, the core worker with the store opened on its
loop, ``app.desktop_sync`` with the engine, token manager and scheduler, a server process.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace, create_member_workspace
from app.demo.seeding import record
from app.desktop_sync import DesktopSync, open_desktop_sync
from app.domain import payloads as p
from app.domain.enums import Role
from app.domain.events import EventPayload
from app.services.context import Actor, Changes, ServiceContext
from app.ui.errors import ErrorPresenter, ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.page import SyncView
from app.ui.sync.port import AnchorState, EventAnchor
from app.ui.sync.sign_in import SignInDialog
from sync.client.scheduler import ScheduleSettings
from tests.e2e.conftest import Organization
from tests.e2e.support import KEY_PASSWORD, PASSWORD, new_laptop
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(120)
QUIET = ScheduleSettings(interval=3600, debounce=0.2, max_debounce=1, wake_check=3600)
"""Runs when asked and after commits, not on a timer the test does not control."""


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def runtime(qtbot: QtBot) -> Iterator[CoreRuntime]:
    core = CoreRuntime()
    core.start()
    yield core
    core.stop()


def _open(runtime: CoreRuntime, path: Path, organization: Organization) -> Workspace:
    async def job(_progress: Progress) -> Workspace:
        return await create_member_workspace(
            path,
            organization_id=organization.id,
            organization_name="Acme Lifts",
            password=lambda: KEY_PASSWORD,
        )

    return runtime.run_sync(job)


def test_sign_in_sync_and_resolve_a_conflict_from_the_window(
    qtbot: QtBot,
    tmp_path: Path,
    runtime: CoreRuntime,
    server: ServerProcess,
    organization: Organization,
) -> None:
    ws = _open(runtime, tmp_path / "desk.sqlite", organization)

    async def make_port(_progress: Progress) -> DesktopSync:
        port = await open_desktop_sync(ws, stores_dir=tmp_path / "stores")
        port._schedule = QUIET
        return port

    port = runtime.run_sync(make_port)
    shown: list[ErrorReport] = []
    errors = ErrorPresenter(log_file=tmp_path / "log.txt", show=lambda r, _p: shown.append(r))
    session = Session(runtime, ws, clock=Clock(), errors=errors, data_dir=tmp_path)
    bridge = SyncBridge(session, port)
    window = MainWindow(
        session, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), sync=bridge
    )
    qtbot.addWidget(window)
    window.show()
    bridge.start()
    assert window.sync is not None
    indicator = window.sync.indicator
    qtbot.waitUntil(lambda: "Not signed in" in indicator.text(), timeout=10000)

    # Sign in: a wrong password is said in the dialog and may be tried again.
    dialog = window.sync.sign_in()
    assert isinstance(dialog, SignInDialog)
    dialog.server.setText(server.url)
    dialog.email.setText("sam@example.com")
    dialog.password.setText("not the password")
    dialog.ok.click()
    qtbot.waitUntil(lambda: bool(dialog.errors.messages()), timeout=10000)
    assert dialog.isVisible()
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    assert shown == []
    qtbot.waitUntil(lambda: "Up to date" in indicator.text(), timeout=20000)

    # Sam (a supervisor) works in the window; the commit is sent on its own.
    status = bridge.state.status
    assert status is not None
    assert status.email == "sam@example.com"
    account = runtime.run_sync(lambda _p: port.status())
    sam = Actor(_user_id(runtime, ws), Role.SUPERVISOR, "Sam")
    session.switch_profile(sam)
    customer = uuid4()
    runs: list[object] = []
    bridge.run_finished.connect(runs.append)
    done: list[Changes] = []
    session.act(
        lambda ctx: _record(
            ctx, customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann")
        ),
        done.append,
        label="add a customer",
    )
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    qtbot.waitUntil(lambda: any(getattr(r, "pushed", 0) for r in runs), timeout=20000)
    qtbot.waitUntil(lambda: _settled(bridge), timeout=20000)
    assert account.joined

    # Its event is anchored in the ledger under the verified checkpoint.
    event_id = done[0].events[0].event_id
    anchors: list[Mapping[UUID, EventAnchor]] = []
    bridge.anchors([event_id], anchors.append)
    qtbot.waitUntil(lambda: bool(anchors), timeout=10000)
    anchor = anchors[0][event_id]
    assert anchor.state is AnchorState.ANCHORED
    assert anchor.ledger_index is not None
    assert anchor.checkpoint_size is not None
    assert anchor.ledger_index <= anchor.checkpoint_size

    # Tom edits the same field on his laptop; Sam too, offline; both sync.
    async def tom_edits(_progress: Progress) -> None:
        tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
        try:
            await tom.record(customer, p.CustomerUpdated(contact_name="Cal"))
            assert (await tom.sync()).ok
        finally:
            await tom.close()

    runtime.run_sync(tom_edits, timeout=60)
    done.clear()
    session.act(
        lambda ctx: _record(ctx, customer, p.CustomerUpdated(contact_name="Bea")),
        done.append,
        label="edit the customer",
    )
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    bridge.sync_now()
    window.go("Sync")
    page = window.views["Sync"]
    assert isinstance(page, SyncView)
    qtbot.waitUntil(lambda: len(page.cards) == 1, timeout=20000)
    card = page.cards[0]
    assert card.conflict.field == "contact_name"
    assert {card.conflict.kept_value, card.conflict.other_value} == {'"Bea"', '"Cal"'}
    qtbot.waitUntil(lambda: page.runs.rowCount() >= 2, timeout=10000)

    # One click keeps Tom's value: a new event, synced, and the conflict is resolved.
    keep = "kept" if card.conflict.kept_value == '"Cal"' else "other"
    card.buttons[keep].click()
    qtbot.waitUntil(
        lambda: (
            (s := bridge.state.status) is not None
            and not s.open_conflicts
            and s.pending == 0
            and not bridge.state.running
        ),
        timeout=20000,
    )
    qtbot.waitUntil(lambda: page.cards == [], timeout=10000)
    assert shown == []

    window.close()
    bridge.stop()
    QTest.qWait(50)

    async def close(_progress: Progress) -> None:
        await ws.close()

    runtime.run_sync(close)


async def _record(ctx: ServiceContext, entity_id: UUID, payload: EventPayload) -> Changes:
    return await record(ctx, entity_id, payload)


def _user_id(runtime: CoreRuntime, ws: Workspace) -> UUID:
    async def job(_progress: Progress) -> UUID:
        async with ws.store.read_db() as db:
            row = await db.fetchone("SELECT user_id FROM sync_account")
        assert row is not None
        return UUID(str(row[0]))

    return runtime.run_sync(job)


def _settled(bridge: SyncBridge) -> bool:
    """Nothing waiting and no run going on."""
    status = bridge.state.status
    return status is not None and status.pending == 0 and not bridge.state.running
