"""The sync engine on a real SQLite store against a hand-written server (``FakeSyncApi``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from app.services.context import ServiceContext
from app.store import Store
from app.store.sync_state import SyncAccount, SyncStateWriter
from app.sync_cli import describe_summary
from sync.client.engine import SyncEngine
from sync.client.errors import AuthExpiredError, TransientSyncError, UpdateRequiredError
from sync.client.status import (
    RunOutcome,
    SyncPhase,
    SyncProgress,
    read_recent_runs,
    read_sync_status,
)
from sync.protocol import MAX_PUSH_EVENTS, PullResponse
from tests.fakes.sync_api import KEY_NAME, ORIGIN, CountingTokens, FakeSyncApi
from tests.integration.sync.support import record_unit


@pytest.fixture
async def api(store: Store, ctx: ServiceContext) -> FakeSyncApi:
    """A fake server the store is joined to."""
    fake = FakeSyncApi()
    async with store.sync_transaction() as db:
        await SyncStateWriter(db).set_account(
            SyncAccount(
                server_url="http://fake.example",
                organization_id=str(ctx.device.organization_id),
                user_id=str(ctx.actor.user_id),
                email="tech@example.com",
                device_id=str(ctx.device.device_id),
                ledger_origin=ORIGIN,
                ledger_key_name=KEY_NAME,
                ledger_public_key=fake.signer.public_key,
                joined_at=datetime.now(UTC),
            )
        )
    return fake


async def test_pending_events_go_in_batches_and_every_answer_is_kept(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    for i in range(MAX_PUSH_EVENTS + 20):
        await record_unit(ctx, f"Customer {i}")
    seen: list[SyncProgress] = []
    summary = await SyncEngine(store, api, CountingTokens()).run_once(seen.append)
    assert summary.ok, summary
    assert [len(r.events) for r in api.pushed] == [MAX_PUSH_EVENTS, 20]
    seqs = [seq for r in api.pushed for seq in (e.canonical for e in r.events)]
    assert len(seqs) == len(set(seqs)) == MAX_PUSH_EVENTS + 20
    assert summary.pushed == summary.accepted == MAX_PUSH_EVENTS + 20
    status = await read_sync_status(store)
    assert status.pending == 0
    assert status.last_success_at is not None
    assert seen[-1].phase is SyncPhase.DONE
    assert any(p.phase is SyncPhase.PUSH and p.done == MAX_PUSH_EVENTS for p in seen)
    again = await SyncEngine(store, api, CountingTokens()).run_once()
    assert again.pushed == 0  # nothing is sent twice


async def test_a_rejected_event_is_kept_with_its_reason_and_the_rest_go_on(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    first = await record_unit(ctx, "A")
    await record_unit(ctx, "B")
    api.rejected[first] = "Unit L1 is decommissioned."
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.ok
    assert (summary.rejected, summary.accepted) == (1, 1)
    status = await read_sync_status(store)
    assert status.pending == 0
    assert [(i.event_id, i.reason) for i in status.needs_attention] == [
        (first, "Unit L1 is decommissioned.")
    ]


async def test_an_unreachable_server_fails_the_run_for_a_retry_and_keeps_the_queue(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    await record_unit(ctx, "A")
    api.fail("push", TransientSyncError("Could not reach the server.", retry_after=7.0))
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.FAILED
    assert summary.retry_after == 7.0
    status = await read_sync_status(store)
    assert status.pending == 1
    assert status.problem == "Could not reach the server."
    assert status.problem_kind == "transient"
    assert status.last_success_at is None
    recovered = await SyncEngine(store, api, CountingTokens()).run_once()
    assert recovered.ok
    status = await read_sync_status(store)
    assert status.pending == 0
    assert status.problem is None
    runs = await read_recent_runs(store)
    assert [(r.outcome, r.pushed, r.problem) for r in runs] == [
        ("ok", 1, None),
        ("failed", 0, "Could not reach the server."),
    ]
    assert all(r.finished_at is not None for r in runs)


async def test_an_expired_token_is_refreshed_once_and_the_request_sent_again(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    await record_unit(ctx, "A")
    api.fail("push", AuthExpiredError("expired"))
    tokens = CountingTokens()
    summary = await SyncEngine(store, api, tokens).run_once()
    assert summary.ok
    assert tokens.refreshes == 1
    assert api.calls[:2] == ["push", "push"]
    assert api.tokens[:2] == ["token-1", "token-2"]
    assert len(api.pushed) == 1  # the refused attempt never reached the fake's ledger


async def test_a_token_refused_twice_stops_sync_until_sign_in(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    await record_unit(ctx, "A")
    api.fail("push", AuthExpiredError("expired"), AuthExpiredError("expired"))
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.STOPPED
    status = await read_sync_status(store)
    assert status.problem_kind == "auth"
    assert status.hint is not None
    assert "Sign in" in status.hint
    assert status.pending == 1


async def test_an_old_protocol_stops_sync_and_keeps_the_queue(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    await record_unit(ctx, "A")
    api.fail("push", UpdateRequiredError("update", hint="Install the current version."))
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.STOPPED
    status = await read_sync_status(store)
    assert (status.problem_kind, status.pending) == ("update", 1)


async def test_a_clock_off_by_more_than_five_minutes_is_reported(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    api.clock_offset = timedelta(minutes=-20)
    assert (await SyncEngine(store, api, CountingTokens()).run_once()).ok
    status = await read_sync_status(store)
    assert status.skew_seconds is not None
    assert round(status.skew_seconds) == -1200
    assert status.skew_warning is not None
    assert "20 minutes ahead of" in status.skew_warning


async def test_a_store_not_joined_does_not_sync(store: Store) -> None:
    summary = await SyncEngine(store, FakeSyncApi(), CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.STOPPED
    assert summary.hint is not None
    assert "sitesync login" in summary.hint


async def test_a_checkpoint_inconsistent_with_the_verified_one_stops_sync(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    leaf = hashlib.sha256(b"\x00first entry").digest()
    async with store.sync_transaction() as db:
        await SyncStateWriter(db).update_state(
            cursor=1, checkpoint_size=1, checkpoint_root=leaf, frontier=leaf
        )
    await record_unit(ctx, "A")
    forged_root = hashlib.sha256(b"another history").digest()
    api.pull_answer = PullResponse(
        entries=[],
        checkpoint=api.checkpoint_model(2, forged_root),
        consistency_proof=[hashlib.sha256(b"made up").digest()],
        next_after=1,
        more=True,
    )
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.STOPPED
    assert summary.problem is not None
    assert "consistency proof from size 1 to 2" in summary.problem
    status = await read_sync_status(store)
    assert (status.problem_kind, status.cursor, status.checkpoint_size) == ("integrity", 1, 1)
    assert status.pending == 0  # the push went through before the pull; nothing was lost


async def test_a_checkpoint_signed_by_another_key_stops_sync(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    impostor = FakeSyncApi()
    api.pull_answer = PullResponse(
        entries=[], checkpoint=impostor.checkpoint_model(), next_after=0, more=False
    )
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.STOPPED
    assert summary.problem is not None
    assert "not signed by the pinned server key" in summary.problem


async def test_a_run_that_fails_before_pulling_reports_where_the_store_stands(
    store: Store, ctx: ServiceContext, api: FakeSyncApi
) -> None:
    await record_unit(ctx, "A")
    async with store.sync_transaction() as db:
        await SyncStateWriter(db).update_state(cursor=7)
    api.fail("push", TransientSyncError("Could not reach the server."))
    summary = await SyncEngine(store, api, CountingTokens()).run_once()
    assert summary.outcome is RunOutcome.FAILED
    assert summary.cursor == 7
    assert "0 new conflicts to review, ledger position 7" in describe_summary(summary)
