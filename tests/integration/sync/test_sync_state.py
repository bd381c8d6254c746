"""The sync state lives in the store: written in the store's transactions, read as a status."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from app.services.context import ServiceContext
from app.store import Store
from app.store.sync_schema import PushStatus
from app.store.sync_state import (
    ConflictValues,
    EventAnswer,
    SyncAccount,
    SyncStateWriter,
)
from sync.client.status import read_sync_status
from tests.integration.sync.support import record_unit


def _account(device_id: str) -> SyncAccount:
    return SyncAccount(
        server_url="http://127.0.0.1:1",
        organization_id="00000000-0000-0000-0000-00000000000a",
        user_id="00000000-0000-0000-0000-00000000000b",
        email="tech@example.com",
        device_id=device_id,
        ledger_origin="example.test/ledger",
        ledger_key_name="example.test",
        ledger_public_key=b"k" * 32,
        joined_at=datetime(2026, 12, 5, tzinfo=UTC),
    )


async def test_a_store_never_joined_reports_it(store: Store) -> None:
    status = await read_sync_status(store)
    assert not status.joined
    assert status.pending == 0


async def test_state_answers_and_conflicts_read_back_as_status(
    store: Store, ctx: ServiceContext
) -> None:
    first = await record_unit(ctx, "A-1")
    await record_unit(ctx, "A-2")
    device = str(ctx.device.device_id)
    async with store.sync_transaction() as db:
        state = SyncStateWriter(db)
        await state.set_account(_account(device))
        await state.update_state(cursor=7, checkpoint_size=7, checkpoint_root=b"\x01" * 32)
        await state.update_state(problem="Offline", problem_hint="Later", problem_kind="transient")
        await state.record_answers([EventAnswer(first, PushStatus.REJECTED, 3, "Decommissioned")])
        await state.record_conflicts(
            [ConflictValues("c1", "elevator", "e1", "status", '"a"', '"b"', "k", "o", "h1", "h2")]
        )
    status = await read_sync_status(store)
    assert status.joined
    assert status.device_id == device
    assert status.cursor == 7
    assert status.checkpoint_root == "01" * 32
    assert status.problem == "Offline"
    assert status.problem_kind == "transient"
    assert status.pending == 1  # the rejected one is in the ledger; the other is pending
    assert [(a.event_id, a.reason) for a in status.needs_attention] == [(first, "Decommissioned")]
    assert [c.field for c in status.open_conflicts] == ["status"]


async def test_a_failed_sync_transaction_leaves_no_trace(store: Store, ctx: ServiceContext) -> None:
    device = str(ctx.device.device_id)

    async def join_then_fail() -> None:
        async with store.sync_transaction() as db:
            await SyncStateWriter(db).set_account(_account(device))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await join_then_fail()
    assert not (await read_sync_status(store)).joined


async def test_skew_over_five_minutes_is_reported(store: Store, ctx: ServiceContext) -> None:
    async with store.sync_transaction() as db:
        state = SyncStateWriter(db)
        await state.set_account(_account(str(ctx.device.device_id)))
        await state.update_state(clock_offset_seconds=301.0)
    status = await read_sync_status(store)
    assert status.skew_seconds == 301.0
    assert status.skew_warning is not None
    assert "behind" in status.skew_warning


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5, 8])
async def test_a_sync_transaction_cancelled_anywhere_leaves_the_store_usable(
    store: Store, ctx: ServiceContext, turns: int
) -> None:
    """Cancelled while it begins, works or commits, the next transaction still runs."""
    first = await record_unit(ctx, "A-1")
    async with store.sync_transaction() as db:
        await SyncStateWriter(db).set_account(_account(str(ctx.device.device_id)))

    async def answer() -> None:
        async with store.sync_transaction() as db:
            await SyncStateWriter(db).record_answers(
                [EventAnswer(first, PushStatus.ACCEPTED, 1, None)]
            )

    task = asyncio.ensure_future(answer())
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    async with store.sync_transaction() as db:
        await SyncStateWriter(db).update_state(cursor=3)
    assert (await read_sync_status(store)).cursor == 3
