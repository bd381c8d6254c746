"""Offline unlock and a second user on one laptop, against a real server on loopback.

Real parts: password-sealed SQLite stores (no secure keyring), ``app.desktop_sync`` with its
engine, token manager and scheduler, the argon2id verifier, a server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import keyring
import pytest
from keyring.backends import fail

from app.bootstrap import Workspace, create_member_workspace, open_workspace
from app.demo.seeding import record
from app.desktop_sync import DesktopSync, DesktopUnlock, SessionVaults
from app.domain import payloads as p
from app.domain.enums import Role
from app.services.context import Actor
from app.ui.sync.port import SyncProgressInfo, SyncSummaryInfo
from sync.client.scheduler import ScheduleSettings
from sync.client.status import read_sync_status
from tests.e2e.conftest import Organization
from tests.e2e.support import PASSWORD
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(120)
QUIET = ScheduleSettings(interval=3600, debounce=0.2, max_debounce=1, wake_check=3600)
SAM, TOM = "sam@example.com", "tom@example.com"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A computer without a secure keyring: keys sealed under the password, tokens not kept."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


class Runs:
    """A sync listener that hands each run's summary to the test."""

    def __init__(self) -> None:
        self.summaries: asyncio.Queue[SyncSummaryInfo] = asyncio.Queue()

    def run_started(self) -> None:
        pass

    def run_progressed(self, progress: SyncProgressInfo) -> None:
        pass

    def run_finished(self, summary: SyncSummaryInfo) -> None:
        self.summaries.put_nowait(summary)

    async def next(self) -> SyncSummaryInfo:
        return await asyncio.wait_for(self.summaries.get(), timeout=30)


async def _user_id(ws: Workspace) -> UUID:
    async with ws.store.read_db() as db:
        row = await db.fetchone("SELECT user_id FROM sync_account")
    assert row is not None
    return UUID(str(row[0]))


@pytest.mark.usefixtures("no_keyring")
async def test_a_second_user_gets_a_store_and_the_unlock_password_signs_sync_in_again(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    path, stores = tmp_path / "sam.sqlite", tmp_path / "stores"
    ws = await create_member_workspace(
        path,
        organization_id=organization.id,
        organization_name="Acme Lifts",
        password=lambda: PASSWORD,
    )
    port = DesktopSync(ws, stores_dir=stores, demo=False, schedule=QUIET)
    try:
        assert (await port.sign_in(server.url, SAM, PASSWORD)).new_store is None
        sam = Actor(await _user_id(ws), Role.SUPERVISOR, "Sam")
        await record(ws.context(sam), uuid4(), p.CustomerCreated(name="Acme Towers"))

        # Tom signs in on Sam's laptop: a store of his own; Sam's record stays, unsent, in Sam's.
        signed_in = await port.sign_in(server.url, TOM, PASSWORD)
        assert signed_in.new_store is not None
        assert signed_in.new_store.parent == stores
        assert (signed_in.previous_email, signed_in.kept_pending) == (SAM, 1)
        toms = signed_in.opened
        assert isinstance(toms, Workspace)
        assert (await read_sync_status(toms.store)).email == TOM
        await toms.close()
        after = await read_sync_status(ws.store)
        assert (after.email, after.pending) == (SAM, 1)
    finally:
        await port.stop()
        await ws.close()

    # The app starts again (a new process: no refresh token kept without a keyring).
    ws = await open_workspace(path, password=lambda: PASSWORD)
    vaults, runs = SessionVaults(), Runs()
    port = DesktopSync(ws, stores_dir=stores, demo=False, schedule=QUIET, vaults=vaults)
    try:
        await port.start(runs)
        refused = await runs.next()  # nobody typed a password yet: sync must ask for one
        assert refused.outcome == "stopped"
        assert refused.problem is not None

        unlock = DesktopUnlock(vaults)
        assert await unlock.signed_in_as(ws) == SAM
        assert not await unlock.unlock(ws, "not the password")
        assert await unlock.unlock(ws, PASSWORD)
        await port.run_now()
        synced = await runs.next()
        assert synced.ok, synced.problem
        assert synced.pushed == 1  # Sam's record, under Sam's name
        assert (await read_sync_status(ws.store)).pending == 0
        assert vaults.password(ws.device.device_id) is None  # used once, then forgotten
    finally:
        await port.stop()
        await ws.close()
