"""End-to-end sync: laptops' stores through the real engine and a real server, beside the peer.

uv run python -m bench.sync_bench [--events 10000] [--units 10000] [--rounds 3]

One run, on this machine: an embedded PostgreSQL with its default durability (fsync on), one
`sitesync-server serve` process on loopback, SQLite stores opened as the app opens them, and
the peer (`../shared/bench/peer_pouchdb.sh`, PouchDB replicating with express-pouchdb) on the
same number of documents of the same size, run right after each of our rounds.

Each round, in an organization of its own:

- a laptop records ``--events`` events offline through the services (a customer, a site, 100
  units, then status changes: every one its own transaction, sealed, signed, chained), then
  ``SyncEngine.run_once`` pushes them: timed from the start of the run until the last batch's
  answers are recorded (the peer's ``replicate.to``), and the whole run (which then pulls the
  ledger entries back and verifies them);
- a colleague's laptop, joined before the push, pulls those events with full verification
  (signatures, device chains, signed checkpoints, consistency proofs), folds them into its
  projections and moves its cursor: the whole ``run_once`` (the peer's ``replicate.from``);
- the first laptop records 300 more events (a shift's work) and reconnects: the run until
  they are acknowledged, and the whole run.

Then an organization of ``--units`` units (imported as ``sitesync import`` does, and synced)
is bootstrapped on a new device ``--rounds`` times, each in a process of its own that loads
only the app and the sync client (``bench.sync_bootstrap``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from app.domain.commands import ChangeElevatorStatus, CreateCustomer, CreateSite, RegisterElevator
from app.domain.enums import ElevatorStatus, Role
from app.services.customers import create_customer
from app.services.elevators import change_elevator_status, register_elevator
from app.services.fleet_import import parse_fleet_csv
from app.services.sites import create_site
from bench.common import RESULTS, machine, median, run_child
from bench.server_sync import _peer, cpu_seconds
from sync.client.status import SyncPhase, SyncProgress
from tests.e2e.support import PASSWORD, Laptop, new_laptop
from tests.postgres import ServerProcess, settings_for, start_cluster, stop_cluster
from tests.server.conftest import add_user, make_org

STATES = [s for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED]
SHIFT = 300
"""Events a technician records in a shift offline (the reconnect case)."""
TARGETS = {"push_ratio": 2.0, "pull_ratio": 2.0, "reconnect_s": 2.0, "bootstrap_s": 60.0}
TARGETS_MB = 400.0


async def _org(settings: Any, name: str) -> tuple[UUID, str, str]:
    """An organization with a supervisor (who writes) and a technician (who pulls)."""
    made = await make_org(settings, name)
    slug = "".join(c for c in name.lower() if c.isalnum())
    writer, reader = f"sam@{slug}.example", f"tom@{slug}.example"
    try:
        await add_user(made, writer, Role.SUPERVISOR)
        await add_user(made, reader, Role.TECHNICIAN)
    finally:
        await made.engine.dispose()
    return made.id, writer, reader


class PushClock:
    """Times a sync run's push phase from the run's progress reports."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.push_done: float | None = None

    def __call__(self, progress: SyncProgress) -> None:
        if self.push_done is None and progress.phase not in (SyncPhase.CONNECT, SyncPhase.PUSH):
            self.push_done = time.perf_counter()

    @property
    def push_s(self) -> float:
        assert self.push_done is not None, "the run never left its push phase"
        return self.push_done - self.began


async def _record_offline(
    laptop: Laptop, count: int, rng: random.Random
) -> dict[UUID, ElevatorStatus]:
    """``count`` events through the services, each action its own transaction."""
    ctx = laptop.ctx
    customer = (await create_customer(CreateCustomer(name="Harbour Ltd"), ctx=ctx)).id
    site = (
        await create_site(CreateSite(customer_id=customer, name="Quay", address="1 Quay"), ctx=ctx)
    ).id
    units = []
    for number in range(min(100, count - 2)):
        cmd = RegisterElevator(site_id=site, unit_number=f"L{number:03d}")
        units.append((await register_elevator(cmd, ctx=ctx)).id)
    status = dict.fromkeys(units, ElevatorStatus.OPERATIONAL)
    await _status_changes(laptop, status, count - 2 - len(units), rng)
    return status


async def _status_changes(
    laptop: Laptop, status: dict[UUID, ElevatorStatus], count: int, rng: random.Random
) -> None:
    units = list(status)
    for _ in range(count):
        unit = rng.choice(units)
        new = rng.choice([s for s in STATES if s is not status[unit]])
        cmd = ChangeElevatorStatus(
            elevator_id=unit, status=new, reason="Found at the monthly visit; see the log book."
        )
        await change_elevator_status(cmd, ctx=laptop.ctx)
        status[unit] = new


async def _canonical_bytes(laptop: Laptop) -> int:
    async with laptop.ws.store.read_db() as db:
        row = await db.fetchone("SELECT avg(length(canonical)) FROM events")
    assert row is not None
    return round(float(row[0]))


@contextmanager
def _profiled(folder: Path | None, name: str) -> Iterator[None]:
    """Profile the block into ``folder/NAME.prof`` (cProfile) when ``folder`` is given."""
    if folder is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        folder.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(folder / f"{name}.prof")
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


async def one_round(
    server: ServerProcess,
    settings: Any,
    folder: Path,
    number: int,
    events: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Push, pull and reconnect of ``events`` events in an organization of its own."""
    org, writer, reader = await _org(settings, f"Round {number}")
    rng = random.Random(number)
    first = await new_laptop(f"a{number}", folder, server.url, org, writer)
    second = await new_laptop(f"b{number}", folder, server.url, org, reader)
    try:
        began = time.perf_counter()
        units = await _record_offline(first, events, rng)
        record_s = time.perf_counter() - began
        canonical = await _canonical_bytes(first)
        clock, cpu = PushClock(), cpu_seconds(server.pid)
        with _profiled(profile, "push"):
            summary = await first.engine.run_once(clock)
        push_run_s = time.perf_counter() - clock.began
        server_cpu = cpu_seconds(server.pid) - cpu
        if not summary.ok or summary.accepted != events:
            raise RuntimeError(f"push run: {summary}")
        began = time.perf_counter()
        with _profiled(profile, "pull"):
            pulled = await second.engine.run_once()
        pull_s = time.perf_counter() - began
        if not pulled.ok or pulled.pulled != events:
            raise RuntimeError(f"pull run: {pulled}")
        await _status_changes(first, units, SHIFT, rng)
        again = PushClock()
        back = await first.engine.run_once(again)
        reconnect_run_s = time.perf_counter() - again.began
        if not back.ok or back.accepted != SHIFT:
            raise RuntimeError(f"reconnect run: {back}")
    finally:
        await first.close()
        await second.close()
    result = {
        "events": events,
        "canonical_bytes": canonical,
        "record_offline_s": round(record_s, 2),
        "push_s": round(clock.push_s, 2),
        "push_per_s": round(events / clock.push_s),
        "push_run_s": round(push_run_s, 2),
        "server_cpu_us_per_event": round(server_cpu / events * 1e6),
        "pull_s": round(pull_s, 2),
        "pull_per_s": round(events / pull_s),
        "reconnect_events": SHIFT,
        "reconnect_ack_s": round(again.push_s, 3),
        "reconnect_run_s": round(reconnect_run_s, 3),
    }
    print(json.dumps(result), flush=True)
    return result


def _fleet_csv(units: int) -> bytes:
    """A fleet file: 50 customers, 100 units a site, every column a real import has."""
    lines = [
        "customer,site,site_address,unit_number,manufacturer,model,serial_number,"
        "capacity_kg,floors_served,installation_date,certificate_number,certificate_issued,"
        "certificate_expires,maintenance_interval_days"
    ]
    day = datetime(2026, 1, 1, tzinfo=UTC).date()
    for index in range(units):
        site = index // 100
        issued = day - timedelta(days=index % 300)
        expires = issued + timedelta(days=365)
        lines.append(
            f"Customer {site % 50:02d},Site {site:04d},{site} Harbour Road,"
            f"L{index % 100:02d},otis,Gen2,SN{index:07d},1000,{4 + index % 20},2015-06-01,"
            f"C-{index:07d},{issued.isoformat()},{expires.isoformat()},30"
        )
    return ("\n".join(lines) + "\n").encode()


async def _fleet_org(server: ServerProcess, settings: Any, folder: Path, units: int) -> Any:
    """An organization of ``units`` units on the server (imported on a laptop, then synced)."""
    org, writer, reader = await _org(settings, "Big Fleet")
    laptop = await new_laptop("fleet", folder, server.url, org, writer)
    try:
        began = time.perf_counter()
        await laptop.ws.import_rows(parse_fleet_csv(_fleet_csv(units)), laptop.actor)
        imported_s = time.perf_counter() - began
        began = time.perf_counter()
        summary = await laptop.engine.run_once()
        if not summary.ok:
            raise RuntimeError(f"fleet sync: {summary}")
        synced_s = time.perf_counter() - began
        events = summary.accepted
    finally:
        await laptop.close()
    return org, reader, {"events": events, "import_s": round(imported_s, 1), "sync_s": synced_s}


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return median([float(r[key]) for r in runs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the first round's push and pull runs (cProfile) into this folder",
    )
    parser.add_argument("--skip-bootstrap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sitesync-syncbench-"))
    cluster = start_cluster(scratch, durable=True)
    rounds: list[dict[str, Any]] = []
    peers: list[dict[str, Any]] = []
    boots: list[dict[str, Any]] = []
    fleet: dict[str, Any] = {}
    try:
        _name, urls = cluster.create_database()
        settings = settings_for(urls, scratch / "keys", pool_size=10)
        server = ServerProcess(settings).start()
        try:
            for number in range(1, args.rounds + 1):
                folder = scratch / f"round{number}"
                folder.mkdir()
                profile = args.profile if number == 1 else None
                ours = asyncio.run(
                    one_round(server, settings, folder, number, args.events, profile)
                )
                rounds.append(ours)
                peer = None if args.no_peer else _peer(args.events, ours["canonical_bytes"])
                if peer:
                    peers.append(peer)
                    print(json.dumps(peer), flush=True)
                ours["peer_push_per_s"] = round(peer["push_per_s"]) if peer else None
                ours["peer_pull_per_s"] = round(peer["pull_per_s"]) if peer else None
            if not args.skip_bootstrap:
                fleet_dir = scratch / "fleet"
                fleet_dir.mkdir()
                org, reader, fleet = asyncio.run(
                    _fleet_org(server, settings, fleet_dir, args.units)
                )
                print(json.dumps(fleet), flush=True)
                for number in range(args.rounds):
                    folder = scratch / f"fresh{number}"
                    folder.mkdir()
                    step = ["-m", "bench.sync_bootstrap", server.url, str(folder), str(org)]
                    boots.append(run_child([*step, reader, PASSWORD]))
                    print(json.dumps(boots[-1]), flush=True)
        finally:
            server.stop()
    finally:
        stop_cluster(cluster)
        shutil.rmtree(scratch, ignore_errors=True)
    summary: dict[str, Any] = {
        key: _median_of(rounds, key)
        for key in (
            "push_per_s",
            "push_s",
            "push_run_s",
            "pull_per_s",
            "pull_s",
            "reconnect_ack_s",
            "reconnect_run_s",
            "server_cpu_us_per_event",
        )
    }
    if peers:
        summary["peer_push_per_s"] = median([p["push_per_s"] for p in peers])
        summary["peer_pull_per_s"] = median([p["pull_per_s"] for p in peers])
        summary["push_ratio"] = round(summary["push_per_s"] / summary["peer_push_per_s"], 2)
        summary["pull_ratio"] = round(summary["pull_per_s"] / summary["peer_pull_per_s"], 2)
    bootstrap = (
        {
            "units": args.units,
            "fleet": fleet,
            "seconds": _median_of(boots, "seconds"),
            "peak_rss_mb": _median_of(boots, "peak_rss_mb"),
            "runs": boots,
        }
        if boots
        else None
    )
    command = "uv run python -m bench.sync_bench" + " ".join(
        f" {a}" for a in sys.argv[1:] if a != "--no-peer"
    )
    result = {
        "benchmark": "sync_e2e",
        "command": command + (" --no-peer" if args.no_peer else ""),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": args.events,
        "canonical_bytes": rounds[0]["canonical_bytes"],
        "median": summary,
        "rounds": rounds,
        "peer": peers[0] if peers else None,
        "bootstrap": bootstrap,
        "load_average": os.getloadavg(),
    }
    if args.skip_bootstrap or args.profile:
        print(json.dumps(result, indent=2))
        return  # a partial or profiled run: not a result to publish
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sync_e2e.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
