"""An evidence bundle exported from the desktop app, anchored through the app's own sign-in.

Real parts throughout: the window offscreen, the core worker with the store on its loop,
``app.desktop_sync`` with its engine and token manager, a server process on loopback, and the
``sitesync audit verify`` command checking the bundle with the server's key.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.bootstrap import Workspace, create_member_workspace
from app.demo.seeding import record
from app.desktop_sync import DesktopSync, open_desktop_sync
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus, Role
from app.domain.events import EventPayload
from app.services.context import Actor, Changes, ServiceContext
from app.ui.errors import ErrorPresenter, ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import SignedIn, SyncSummaryInfo
from sync.client.api import HttpSyncApi
from sync.client.scheduler import ScheduleSettings
from tests.e2e.conftest import Organization
from tests.e2e.support import KEY_PASSWORD, PASSWORD
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(120)
QUIET = ScheduleSettings(interval=3600, debounce=0.2, max_debounce=1, wake_check=3600)
"""Runs when asked and after commits, not on a timer the test does not control."""
NOT_ANCHORED = "not anchored: sync first to include the ledger proof"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def runtime(qtbot: QtBot) -> Iterator[CoreRuntime]:
    core = CoreRuntime()
    core.start()
    yield core
    core.stop()


def test_the_app_exports_a_bundle_anchored_through_its_own_sign_in(
    qtbot: QtBot,
    tmp_path: Path,
    runtime: CoreRuntime,
    server: ServerProcess,
    organization: Organization,
) -> None:
    async def open_store(_progress: Progress) -> tuple[Workspace, DesktopSync]:
        ws = await create_member_workspace(
            tmp_path / "desk.sqlite",
            organization_id=organization.id,
            organization_name="Acme Lifts",
            password=lambda: KEY_PASSWORD,
        )
        port = await open_desktop_sync(ws, stores_dir=tmp_path / "stores")
        port._schedule = QUIET
        return ws, port

    ws, port = runtime.run_sync(open_store)
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
    exporter = window.forms.exports
    out = tmp_path / "evidence.json"
    messages: list[str] = []
    exporter.ask_path = lambda _parent, _caption, _suggested, _filter: str(out)

    def notify(_parent: QWidget, _title: str, text: str) -> None:
        messages.append(text)

    exporter.notify = notify

    def export(unit: UUID) -> str:
        messages.clear()
        exporter.evidence_bundle(unit, "North/L1")
        qtbot.waitUntil(lambda: bool(messages), timeout=20000)
        assert shown == []
        return messages[0]

    signed_in: list[SignedIn] = []
    bridge.sign_in(server.url, "sam@example.com", PASSWORD, signed_in.append, _fail)
    qtbot.waitUntil(lambda: bool(signed_in), timeout=20000)
    status = runtime.run_sync(lambda _p: port.status())
    assert status.joined
    session.switch_profile(Actor(_user_id(runtime, ws), Role.SUPERVISOR, "Sam"))

    # Sam registers a unit and records a breakdown; the commits sync on their own.
    customer, site, unit = uuid4(), uuid4(), uuid4()
    _act(qtbot, session, customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
    _act(qtbot, session, site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
    _act(qtbot, session, unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
    _act(qtbot, session, unit, _breakdown())
    _wait_synced(qtbot, bridge)

    # Exported from the window: the checkpoint and a proof of each of the unit's events.
    text = export(unit)
    document = json.loads(out.read_text())
    assert len(document["events"]) == 3  # the site, the unit's two events
    assert len(document["ledger"]["proofs"]) == 3
    assert "anchored: 3 of its events, with the server's signed checkpoint" in text
    assert f"sitesync audit verify --bundle {out} --server-key KEY" in text
    assert NOT_ANCHORED not in text
    key = _server_key(runtime, server)
    checked = _sitesync("audit", "verify", "--bundle", str(out), "--server-key", key)
    assert checked.returncode == 0, checked.stderr
    assert "signed by the server key" in checked.stdout

    # The proofs came through the app's own session: it goes on syncing without a new sign-in.
    runs: list[SyncSummaryInfo] = []
    bridge.run_finished.connect(runs.append)
    _act(qtbot, session, unit, p.ElevatorUpdated(model="MonoSpace"))
    qtbot.waitUntil(lambda: any(r.pushed for r in runs), timeout=30000)
    assert [r.problem for r in runs if r.pushed] == [None]
    _wait_synced(qtbot, bridge)

    # Offline, the bundle is written without the ledger part and the message says so.
    server.stop()
    text = export(unit)
    assert f"{NOT_ANCHORED} (the server could not be reached)" in text
    assert "ledger" not in json.loads(out.read_text())
    assert "--server-key" not in text

    # Signed out too.
    kept: list[int] = []
    bridge.sign_out(kept.append)
    qtbot.waitUntil(lambda: bool(kept), timeout=20000)
    text = export(unit)
    assert f"{NOT_ANCHORED} (this store is not signed in to a server)" in text
    assert "ledger" not in json.loads(out.read_text())
    plain = _sitesync("audit", "verify", "--bundle", str(out))
    assert plain.returncode == 0, plain.stderr

    window.close()
    bridge.stop()
    QTest.qWait(50)

    async def close(_progress: Progress) -> None:
        await ws.close()

    runtime.run_sync(close)


def _fail(error: BaseException) -> None:
    raise AssertionError(f"the sign-in failed: {error}")


def _breakdown() -> p.ElevatorStatusChanged:
    return p.ElevatorStatusChanged(
        previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.OUT_OF_SERVICE, reason="doors"
    )


def _act(qtbot: QtBot, session: Session, entity: UUID, payload: EventPayload) -> None:
    done: list[Changes] = []

    async def change(ctx: ServiceContext) -> Changes:
        return await record(ctx, entity, payload)

    session.act(change, done.append, label="record a change")
    qtbot.waitUntil(lambda: bool(done), timeout=10000)


def _wait_synced(qtbot: QtBot, bridge: SyncBridge) -> None:
    def settled() -> bool:
        status = bridge.state.status
        return status is not None and status.pending == 0 and not bridge.state.running

    qtbot.waitUntil(settled, timeout=30000)


def _user_id(runtime: CoreRuntime, ws: Workspace) -> UUID:
    async def job(_progress: Progress) -> UUID:
        async with ws.store.read_db() as db:
            row = await db.fetchone("SELECT user_id FROM sync_account")
        assert row is not None
        return UUID(str(row[0]))

    return runtime.run_sync(job)


def _server_key(runtime: CoreRuntime, server: ServerProcess) -> str:
    async def job(_progress: Progress) -> str:
        async with HttpSyncApi(server.url) as api:
            keys = await api.ledger_keys()
        return next(key.verifier_key for key in keys if key.current)

    return runtime.run_sync(job)


def _sitesync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
