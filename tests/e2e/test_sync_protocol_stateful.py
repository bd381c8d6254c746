"""A Hypothesis state machine of the sync protocol against a real server behind a faulty network.

Three laptops of one organization write offline (new customers, and edits to the customers
they know), and sync in any order, some runs with a fault injected on the push or the pull
(a dropped request, a cut or reset answer, a stall, a request the server gets twice). After
every step: no device lost an event, none was stopped, and every event a device has an answer
for is in the server's ledger exactly once. When the network heals, every device syncs until
it is done and all of them must have converged (``assert_converged``: nothing lost or
duplicated, chains intact, projections equal to the server's).

The normal test run is small and always the same (a fixed seed). A larger nightly run:

    SITESYNC_STATEFUL_EXAMPLES=40 SITESYNC_STATEFUL_STEPS=40 SITESYNC_STATEFUL_RANDOM=1 \\
        QT_QPA_PLATFORM=offscreen uv run pytest -p no:randomly --timeout 3600 \\
        tests/e2e/test_sync_protocol_stateful.py
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.domain import payloads as p
from app.domain.enums import Role
from sync.client.status import RunOutcome
from sync.server.settings import ServerSettings
from tests.e2e.fault_support import assert_converged, laptop_via, own_events, server_events
from tests.e2e.faultproxy import Fault, FaultProxy
from tests.e2e.support import Laptop, local_projections
from tests.postgres import ServerProcess
from tests.server.conftest import add_user, make_org

EXAMPLES = int(os.environ.get("SITESYNC_STATEFUL_EXAMPLES", "3"))
STEPS = int(os.environ.get("SITESYNC_STATEFUL_STEPS", "20"))
RANDOM = os.environ.get("SITESYNC_STATEFUL_RANDOM") == "1"
DEVICES = 3
FAULTS = [Fault.DROP, Fault.RESET, Fault.CUT, Fault.STALL, Fault.DUPLICATE, Fault.DUPLICATE_AT_ONCE]
PATHS = ["/api/v1/sync/push", "/api/v1/sync/pull"]

pytestmark = pytest.mark.timeout(120 + 40 * EXAMPLES * STEPS)


class _World:
    """What outlives one example: the event loop, the server and the proxy in front of it."""

    def __init__(self, server_settings: ServerSettings, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.settings = server_settings
        self.folder = folder
        self.server = ServerProcess(server_settings).start()
        self.proxy = self.run(FaultProxy(self.server.port).start())
        self.examples = 0

    def run[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        try:
            self.run(self.proxy.close())
        finally:
            self.server.stop()
            self.loop.close()


async def _organization(world: _World) -> tuple[UUID, list[str]]:
    """A new organization with one user per device (unique e-mails across examples)."""
    org = await make_org(world.settings, f"Lifts {world.examples}")
    emails = [f"tech{n}.{world.examples}@example.com" for n in range(DEVICES)]
    try:
        for n, email in enumerate(emails):
            await add_user(org, email, Role.SUPERVISOR if n == 0 else Role.TECHNICIAN)
    finally:
        await org.engine.dispose()
    return org.id, emails


def _machine(world: _World) -> type[RuleBasedStateMachine]:
    class SyncProtocol(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            world.examples += 1
            world.proxy.heal()
            self.organization, emails = world.run(_organization(world))
            folder = world.folder / f"example{world.examples}"
            folder.mkdir()
            self.laptops: list[Laptop] = [
                world.run(laptop_via(world.proxy.url, f"d{n}", folder, self.organization, e))
                for n, e in enumerate(emails)
            ]
            self.written = [0] * DEVICES

        @rule(device=st.integers(0, DEVICES - 1), name=st.sampled_from(["Ann", "Bea", "Cal"]))
        def create_customer(self, device: int, name: str) -> None:
            laptop = self.laptops[device]
            world.run(laptop.record(uuid4(), p.CustomerCreated(name=f"Towers {name}")))
            self.written[device] += 1

        @rule(
            device=st.integers(0, DEVICES - 1),
            pick=st.integers(0, 1000),
            field=st.sampled_from(["contact_name", "contact_phone", "name"]),
            value=st.sampled_from(["one", "two", "three"]),
        )
        def edit_known_customer(self, device: int, pick: int, field: str, value: str) -> None:
            laptop = self.laptops[device]
            known = sorted(world.run(local_projections(laptop))["customer"])
            if not known:
                return
            customer = UUID(known[pick % len(known)])
            payload = p.CustomerUpdated.model_validate({field: f"{value} by {laptop.name}"})
            world.run(laptop.record(customer, payload))
            self.written[device] += 1

        @rule(device=st.integers(0, DEVICES - 1))
        def sync(self, device: int) -> None:
            summary = world.run(self.laptops[device].sync())
            assert summary.ok, summary

        @rule(
            device=st.integers(0, DEVICES - 1),
            fault=st.sampled_from(FAULTS),
            path=st.sampled_from(PATHS),
        )
        def sync_with_fault(self, device: int, fault: Fault, path: str) -> None:
            world.proxy.inject(path, fault)
            summary = world.run(self.laptops[device].sync())
            world.proxy.heal()
            assert summary.outcome in (RunOutcome.OK, RunOutcome.FAILED), summary

        @invariant()
        def nothing_lost_or_stopped(self) -> None:
            ledger = world.run(server_events(world.settings, self.organization))
            ids = [event_id for event_id, _ in ledger]
            assert len(ids) == len(set(ids)), "an event is in the ledger twice"
            in_ledger = set(ids)
            for n, laptop in enumerate(self.laptops):
                mine = world.run(own_events(laptop))
                assert len(mine) == self.written[n], laptop.name
                status = world.run(laptop.status())
                assert status.problem_kind in (None, "transient"), status
                answered = world.run(_answered(laptop))
                assert answered <= in_ledger, f"{laptop.name}: acknowledged but not in the ledger"

        def teardown(self) -> None:
            world.proxy.heal()
            try:
                for _ in range(2):  # everyone pushes, then everyone has everything
                    for laptop in self.laptops:
                        summary = world.run(laptop.sync())
                        assert summary.ok, (laptop.name, summary)
                world.run(assert_converged(self.laptops, world.settings, self.organization))
            finally:
                for laptop in self.laptops:
                    world.run(laptop.close())

    return SyncProtocol


async def _answered(laptop: Laptop) -> set[str]:
    """This device's events the server has answered for (accepted, duplicate, conflict...)."""
    async with laptop.ws.store.read_db() as db:
        rows = await db.fetchall(
            "SELECT s.event_id FROM sync_events s JOIN events e ON e.event_id = s.event_id "
            "WHERE e.device_id = ? AND s.ledger_index IS NOT NULL",
            (str(laptop.ws.device.device_id),),
        )
    return {str(r[0]) for r in rows}


def test_devices_writing_offline_and_syncing_in_any_order_with_faults_converge(
    server_settings: ServerSettings, tmp_path: Path
) -> None:
    world = _World(server_settings, tmp_path)
    try:
        run_state_machine_as_test(
            _machine(world),
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                derandomize=not RANDOM,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        world.close()
