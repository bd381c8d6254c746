"""RELIABILITY.md F2-F12, F15 and F17 over a faulty network: a real server process behind a
fault-injecting proxy on loopback. Every test ends the same way once the network heals:
nothing lost, nothing duplicated, no device left with a queue, every chain intact and every
device's projections equal to the server's (``assert_converged``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from app.domain import payloads as p
from app.domain.enums import Role
from app.store.sync_state import SyncStateWriter
from sync.client.api import HttpSyncApi
from sync.client.engine import FixedToken, PasswordTokens, SyncEngine
from sync.client.errors import PermanentSyncError, TransientSyncError
from sync.client.join import JoinRefused, join_store
from sync.client.status import RunOutcome, SyncSummary
from sync.protocol import PushRequest, WireEvent
from sync.server.auth.tokens import issue_access
from sync.server.db.roles import connect
from tests.e2e.conftest import Organization
from tests.e2e.fault_support import assert_converged, laptop_via, own_events, server_events
from tests.e2e.faultproxy import Fault, FaultProxy
from tests.e2e.support import PASSWORD, Laptop, local_projections, open_laptop
from tests.postgres import JWT_SECRET, ServerProcess

pytestmark = pytest.mark.timeout(180)

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
async def proxy(server: ServerProcess) -> AsyncIterator[FaultProxy]:
    """The proxy in front of the server; its RESTART kills and restarts the server process."""

    async def restart() -> None:
        await asyncio.to_thread(server.kill)
        await asyncio.to_thread(server.start)

    started = await FaultProxy(server.port, restart=restart).start()
    try:
        yield started
    finally:
        await started.close()


async def _laptops(
    proxy: FaultProxy, folder: Path, org: Organization, *emails: str
) -> list[Laptop]:
    return [
        await laptop_via(proxy.url, email.split("@")[0], folder, org.id, email) for email in emails
    ]


async def _close(*laptops: Laptop) -> None:
    for laptop in laptops:
        await laptop.close()


async def _edits(laptop: Laptop, entity: UUID, count: int, *, create: bool = False) -> None:
    """``count`` offline events about one customer (created first when ``create``)."""
    if create:
        await laptop.record(entity, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        count -= 1
    for n in range(count):
        await laptop.record(entity, p.CustomerUpdated(contact_phone=f"555-{laptop.name}-{n}"))


async def _until_ok(laptop: Laptop, attempts: int = 7) -> SyncSummary:
    """Sync until a run ends well, backing off as the scheduler does (0.25 s, doubling)."""
    summary = await laptop.sync()
    for attempt in range(attempts - 1):
        if summary.ok:
            break
        assert summary.outcome is RunOutcome.FAILED, summary
        await asyncio.sleep(0.25 * 2**attempt)
        summary = await laptop.sync()
    assert summary.ok, summary
    return summary


def _failed_transient(summary: SyncSummary) -> None:
    assert summary.outcome is RunOutcome.FAILED, summary
    assert summary.problem, summary


# -- F2 -----------------------------------------------------------------------------------------


async def test_f2_push_committed_answer_lost_then_device_restarts(
    tmp_path: Path, proxy: FaultProxy, server: ServerProcess, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 5, create=True)
        proxy.inject(PUSH, Fault.RESET)
        _failed_transient(await tom.sync())
        assert (await tom.status()).pending == 5  # the device never saw the answer
        ledger = await server_events(organization.settings, organization.id)
        device = str(tom.ws.device.device_id)
        assert sum(1 for _, d in ledger if d == device) == 5  # but the server committed
    finally:
        await tom.close()
    # the laptop is closed ("killed") and opened again: the re-push gets the stored results
    tom = await open_laptop("tom", tmp_path, proxy.url, "tom@example.com")
    try:
        again = await tom.sync()
        assert again.ok, again
        assert (again.pushed, again.duplicates, again.accepted) == (5, 5, 0)
        assert await server_events(organization.settings, organization.id) == ledger
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


# -- F3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PUSH, PULL])
async def test_f3_cut_reset_stall_and_drop_are_outcome_unknown_and_retried(
    tmp_path: Path, proxy: FaultProxy, organization: Organization, path: str
) -> None:
    sam, tom = await _laptops(proxy, tmp_path, organization, "sam@example.com", "tom@example.com")
    try:
        customer = uuid4()
        await _edits(sam, customer, 1, create=True)
        assert (await sam.sync()).ok
        assert (await tom.sync()).ok
        for n, fault in enumerate((Fault.CUT, Fault.RESET, Fault.STALL, Fault.DROP)):
            await _edits(tom, customer, 3)
            await _edits(sam, customer, 2)
            assert (await sam.sync()).ok  # so that tom has something to pull
            proxy.inject(path, fault)
            _failed_transient(await tom.sync())
            assert proxy.pending_faults == 0, fault
            retried = await tom.sync()  # the network healed: the same events again
            assert retried.ok, (fault, retried)
            assert (await tom.status()).pending == 0
            assert len(await own_events(tom)) == 3 * (n + 1)
        await _until_ok(sam)
        await assert_converged([sam, tom], organization.settings, organization.id)
    finally:
        await _close(sam, tom)


# -- F4 -----------------------------------------------------------------------------------------


async def test_f4_offline_for_days_work_goes_on_then_the_queue_drains(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await proxy.close()  # the network is gone
        customer = uuid4()
        await _edits(tom, customer, 30, create=True)
        for _ in range(3):
            started = asyncio.get_running_loop().time()
            summary = await tom.sync()
            assert asyncio.get_running_loop().time() - started < 5.0  # fails fast, no storm
            _failed_transient(summary)
            assert summary.problem is not None
            assert "Could not reach the server" in summary.problem
            assert summary.hint is not None
            assert "offline" in summary.hint
            status = await tom.status()
            assert status.pending == 30
            assert status.problem_kind == "transient"
        healed = await FaultProxy(proxy.upstream_port).start()
        tom.api = HttpSyncApi(healed.url)  # the laptop's address for the server is unchanged
        tom.engine.api = tom.api
        try:
            assert (await tom.sync()).ok
            assert (await tom.status()).problem is None
            await assert_converged([tom], organization.settings, organization.id)
        finally:
            await healed.close()
    finally:
        await tom.close()


# -- F5 -----------------------------------------------------------------------------------------


async def test_f5_server_killed_mid_push_is_all_or_nothing_and_retry_converges(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    sam, tom = await _laptops(proxy, tmp_path, organization, "sam@example.com", "tom@example.com")
    try:
        await _edits(tom, uuid4(), 300, create=True)
        proxy.inject(PUSH, Fault.RESTART)
        _failed_transient(await tom.sync())
        device = str(tom.ws.device.device_id)
        stored = sum(
            1 for _, d in await server_events(organization.settings, organization.id) if d == device
        )
        assert stored in (0, 300)  # one batch, one transaction
        summary = await _until_ok(tom)
        assert summary.pushed == 300
        assert summary.duplicates == stored
        await _edits(sam, uuid4(), 2, create=True)
        await _until_ok(sam)
        await _until_ok(tom)
        await assert_converged([sam, tom], organization.settings, organization.id)
    finally:
        await _close(sam, tom)


async def test_f5_database_connections_dropped_mid_push_and_the_pool_recovers(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    """What the server sees of a PostgreSQL restart: every connection of its pool dies."""
    settings = organization.settings
    assert settings.admin_database_url is not None
    owner_url = settings.admin_database_url

    async def drop_connections() -> None:
        conn = await connect(owner_url)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()

    proxy = await FaultProxy(server.port, restart=drop_connections).start()
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 300, create=True)
        proxy.inject(PUSH, Fault.RESTART)
        _failed_transient(await tom.sync())
        device = str(tom.ws.device.device_id)
        stored = sum(1 for _, d in await server_events(settings, organization.id) if d == device)
        assert stored in (0, 300)
        await _until_ok(tom)
        await _edits(tom, uuid4(), 3, create=True)
        assert (await tom.sync()).ok  # the pool serves again
        await assert_converged([tom], settings, organization.id)
    finally:
        await tom.close()
        await proxy.close()


# -- F6 -----------------------------------------------------------------------------------------


def _results(answer: bytes) -> list[tuple[Any, ...]]:
    return [
        (r["event_id"], r["device_seq"], r["status"], r["ledger_index"])
        for r in json.loads(answer)["results"]
    ]


@pytest.mark.parametrize("fault", [Fault.DUPLICATE, Fault.DUPLICATE_AT_ONCE])
async def test_f6_same_batch_twice_gives_identical_results_and_one_ledger_entry(
    tmp_path: Path, proxy: FaultProxy, organization: Organization, fault: Fault
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 20, create=True)
        proxy.inject(PUSH, fault)
        summary = await tom.sync()
        assert summary.ok, summary
        first, second = proxy.answers[PUSH]
        assert _results(first) == _results(second)
        flags = sorted(r["duplicate"] for r in json.loads(first)["results"]) + sorted(
            r["duplicate"] for r in json.loads(second)["results"]
        )
        assert flags.count(True) == 20  # one of the two was the stored answer
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


# -- F7 -----------------------------------------------------------------------------------------


async def test_f7_a_gap_in_device_seq_gets_409_with_the_expected_seq_and_nothing_is_lost(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 6, create=True)
        async with tom.ws.store.sync_transaction() as db:
            rows = await SyncStateWriter(db).pending(str(tom.ws.device.device_id), 0, 100)
        later = [WireEvent(canonical=c, hash=h, signature=s) for _, c, h, s in rows[3:]]
        request = PushRequest(
            device_id=tom.ws.device.device_id, events=later, sent_at=datetime.now(UTC)
        )
        with pytest.raises(PermanentSyncError) as refused:
            await tom.api.push(request)  # batches out of order: 4..6 before 1..3
        assert refused.value.status == 409
        assert refused.value.expected_device_seq == 1
        device = str(tom.ws.device.device_id)
        assert not [
            e for e, d in await server_events(organization.settings, organization.id) if d == device
        ]
        summary = await tom.sync()  # the device sends from the first pending event
        assert summary.ok, summary
        assert (summary.pushed, summary.accepted) == (6, 6)
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


# -- F8 -----------------------------------------------------------------------------------------


class _Skewed:
    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_f8_a_device_clock_off_by_a_day_changes_no_ordering(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    sam, tom = await _laptops(proxy, tmp_path, organization, "sam@example.com", "tom@example.com")
    try:
        customer = uuid4()
        await _edits(sam, customer, 1, create=True)
        await _until_ok(sam)
        await _until_ok(tom)
        tom.ws.clock = _Skewed(timedelta(hours=24))  # tom's events claim tomorrow
        sam.ws.clock = _Skewed(timedelta(hours=-24))  # sam's claim yesterday
        await tom.record(customer, p.CustomerUpdated(contact_name="Tom, tomorrow"))
        await sam.record(customer, p.CustomerUpdated(contact_name="Sam, yesterday"))
        await _until_ok(tom)
        await _until_ok(sam)  # later in the ledger: sam's value stands, whatever the clocks say
        await _until_ok(tom)
        await assert_converged([sam, tom], organization.settings, organization.id)
        status = await tom.status()
        assert status.clock_offset_seconds is not None
        assert abs(status.clock_offset_seconds) < 60  # the OS clock is right: no skew shown
        customers = (await local_projections(tom))["customer"]
        assert customers[str(customer)]["contact_name"] == "Sam, yesterday"
    finally:
        await _close(sam, tom)


# -- F9, F10, F12 -------------------------------------------------------------------------------


def _expired_token(user_id: UUID, organization_id: UUID, role: Role) -> str:
    return issue_access(
        JWT_SECRET.encode(),
        issuer="sitesync",
        audience="sitesync-api",
        user_id=user_id,
        organization_id=organization_id,
        role=role,
        issued_at=datetime.now(UTC) - timedelta(hours=2),
        lifetime=timedelta(minutes=15),
    )


async def test_f9_access_token_expired_mid_sync_one_refresh_one_retry(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 4, create=True)
        tokens = tom.engine.tokens
        assert isinstance(tokens, PasswordTokens)
        tokens._access = _expired_token(tom.actor.user_id, organization.id, tom.actor.role)
        pushes = proxy.count(PUSH)
        summary = await tom.sync()
        assert summary.ok, summary
        assert summary.accepted == 4
        assert proxy.count(REFRESH) == 1
        assert proxy.count(PUSH) - pushes == 2  # refused once, retried once
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


async def test_f10_refresh_token_gone_work_continues_and_uploads_after_sign_in(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        expired = _expired_token(tom.actor.user_id, organization.id, tom.actor.role)
        signed_out = SyncEngine(tom.ws.store, tom.api, FixedToken(expired))
        customer = uuid4()
        await _edits(tom, customer, 2, create=True)
        summary = await signed_out.run_once()
        assert summary.outcome is RunOutcome.STOPPED
        assert summary.hint is not None
        assert "Sign in" in summary.hint
        await _edits(tom, customer, 3)  # work continues
        status = await tom.status()
        assert status.pending == 5
        assert status.problem_kind == "auth"
        ledger = await server_events(organization.settings, organization.id)
        assert all(d != str(tom.ws.device.device_id) for _, d in ledger)
        tom.engine = SyncEngine(
            tom.ws.store, tom.api, PasswordTokens(tom.api, "tom@example.com", PASSWORD)
        )
        summary = await tom.sync()  # signed in again
        assert summary.ok, summary
        assert summary.accepted == 5
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


async def test_f12_lost_refresh_answer_retried_with_the_old_token_gives_the_same_pair(
    proxy: FaultProxy, organization: Organization
) -> None:
    api = HttpSyncApi(proxy.url)
    try:
        first = await api.token("tom@example.com", PASSWORD)
        proxy.inject(REFRESH, Fault.CUT)
        with pytest.raises(TransientSyncError):
            await api.refresh(first.refresh_token)
        (lost,) = proxy.answers[REFRESH]
        again = await api.refresh(first.refresh_token)  # within the grace period
        assert again.refresh_token == json.loads(lost)["refresh_token"]
        api.set_access_token(again.access_token)
        assert (await api.me()).email == "tom@example.com"
        newer = await api.refresh(again.refresh_token)  # the family lives on
        assert newer.refresh_token != again.refresh_token
    finally:
        await api.aclose()


# -- F11 ----------------------------------------------------------------------------------------


async def test_f11_another_user_on_a_laptop_with_pending_events_never_sends_them(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    sam_api = HttpSyncApi(proxy.url)
    try:
        await _edits(tom, uuid4(), 3, create=True)
        sam_api.set_access_token(
            await PasswordTokens(sam_api, "sam@example.com", PASSWORD).access_token()
        )
        with pytest.raises(JoinRefused, match="never sent under another identity"):
            await join_store(
                tom.ws.store,
                sam_api,
                server_url=proxy.url,
                public_key=tom.ws.device.signer.public_key,
            )
        status = await tom.status()
        assert status.pending == 3  # waiting for their author
        device = str(tom.ws.device.device_id)
        ledger = await server_events(organization.settings, organization.id)
        assert all(d != device for _, d in ledger)
        assert (await tom.sync()).ok  # tom signs in again: they upload under tom
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await sam_api.aclose()
        await tom.close()


# -- F15 ----------------------------------------------------------------------------------------


async def test_f15_two_syncs_triggered_at_once_never_run_together(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    (tom,) = await _laptops(proxy, tmp_path, organization, "tom@example.com")
    try:
        await _edits(tom, uuid4(), 700, create=True)  # two batches
        proxy.max_in_flight = 0
        first, second = await asyncio.gather(tom.sync(), tom.sync())
        assert first.ok, first
        assert second.ok, second
        assert proxy.max_in_flight == 1
        assert first.pushed + second.pushed == 700
        assert first.duplicates + second.duplicates == 0
        await assert_converged([tom], organization.settings, organization.id)
    finally:
        await tom.close()


# -- F17 ----------------------------------------------------------------------------------------


async def test_f17_two_devices_edit_one_unit_offline_over_a_faulty_network(
    tmp_path: Path, proxy: FaultProxy, organization: Organization
) -> None:
    sam, tom = await _laptops(proxy, tmp_path, organization, "sam@example.com", "tom@example.com")
    try:
        customer, site, unit = uuid4(), uuid4(), uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sam.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
        await sam.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
        await _until_ok(sam)
        await _until_ok(tom)
        await sam.record(unit, p.ElevatorUpdated(unit_number="L1-A"))
        await tom.record(unit, p.ElevatorUpdated(unit_number="L1-B"))
        proxy.inject(PUSH, Fault.CUT, Fault.RESET)
        proxy.inject(PULL, Fault.STALL, Fault.DUPLICATE)
        await _until_ok(tom)
        await _until_ok(sam)
        await _until_ok(tom)
        assert proxy.pending_faults == 0
        await assert_converged([sam, tom], organization.settings, organization.id)
        sync_conflicts: list[list[tuple[str, str, str]]] = []
        for laptop in (sam, tom):
            async with laptop.ws.store.read_db() as db:
                rows = await db.fetchall(
                    "SELECT entity_id, field, kept_value FROM sync_conflicts ORDER BY field"
                )
            sync_conflicts.append([(str(e), str(f), str(k)) for e, f, k in rows])
        assert sync_conflicts[0] == sync_conflicts[1] == [(str(unit), "unit_number", '"L1-A"')]
    finally:
        await _close(sam, tom)
