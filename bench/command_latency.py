"""Command latency: 1,000 status changes on a store already holding 100,000 events.

Compared, in the same run, with a bare SQLite insert + commit of the same bytes (an event row's
size) with the same pragmas (WAL, synchronous=FULL): the floor any durable write pays.

    uv run python -m bench.command_latency [--events 100000] [--changes 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from app.demo.seeding import seed_events
from app.domain.commands import ChangeElevatorStatus
from app.domain.enums import ElevatorStatus
from app.services.elevators import change_elevator_status
from app.store import open_store
from bench.common import median, percentile, save

STATES = [s for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED]


def bare_commits(path: Path, payload: bytes, count: int) -> list[float]:
    """Milliseconds per bare INSERT + COMMIT with the store's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    times = []
    for _ in range(count):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (payload,))
        conn.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


async def status_changes(path: Path, events: int, count: int) -> tuple[list[float], int]:
    """Milliseconds per status change through the real service, and the event row size."""
    store = await open_store(path, create=True)
    try:
        seeded = await seed_events(store, events=events, units=500)
        rng = random.Random(1)
        status = dict.fromkeys(seeded.elevators, ElevatorStatus.OPERATIONAL)
        async with store.unit_of_work() as uow:
            for unit in seeded.elevators:
                found = await uow.elevators.get(unit)
                assert found is not None
                status[unit] = found.status
        times = []
        for _ in range(count):
            unit = rng.choice(seeded.elevators)
            new = rng.choice([s for s in STATES if s is not status[unit]])
            cmd = ChangeElevatorStatus(elevator_id=unit, status=new, reason="benchmark change")
            start = time.perf_counter()
            await change_elevator_status(cmd, ctx=seeded.ctx)
            times.append((time.perf_counter() - start) * 1000)
            status[unit] = new
        sizes = [len(e.canonical) async for e in store.iter_stored_events()]
        return times, round(sum(sizes[-count:]) / count)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "seeded.sqlite"
        for run in range(args.runs):
            store_path.unlink(missing_ok=True)
            for extra in Path(tmp).glob("seeded.sqlite-*"):
                extra.unlink()
            command, size = asyncio.run(status_changes(store_path, args.events, args.changes))
            bare = bare_commits(Path(tmp) / f"bare{run}.sqlite", b"x" * size, args.changes)
            runs.append(
                {
                    "command_p50_ms": percentile(command, 50),
                    "command_p99_ms": percentile(command, 99),
                    "bare_p50_ms": percentile(bare, 50),
                    "bare_p99_ms": percentile(bare, 99),
                    "event_bytes": size,
                }
            )
            print(runs[-1], flush=True)
    summary = {key: round(median([r[key] for r in runs]), 3) for key in runs[0]}
    summary["ratio_p50"] = round(summary["command_p50_ms"] / summary["bare_p50_ms"], 1)
    summary["ratio_p99"] = round(summary["command_p99_ms"] / summary["bare_p99_ms"], 1)
    save(
        "command_latency",
        {
            "events_before": args.events,
            "changes": args.changes,
            "runs": args.runs,
            "median_of_runs": summary,
            "each_run": runs,
        },
    )


if __name__ == "__main__":
    main()
