"""F1: a writer SIGKILLed at random moments, over and over, never loses or half-writes an event.

After every kill the store must open (``open_store`` runs ``PRAGMA integrity_check``), hold every
event the writer reported as committed, keep ``device_seq`` gapless with the head on the last
event, and have every event's projection applied: nothing partial, nothing lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from app.audit.chain import StaticDeviceKeys, verify_events
from app.store import open_store

KILLS = 110
ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """The writer_process zygote: spawns writers, reports their lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.writer_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def spawn(self, path: Path) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(f"spawn {path}\n")
        self.process.stdin.flush()
        kind, pid = self.line()
        assert kind == "pid", kind
        return int(pid)

    def line(self) -> list[str]:
        assert self.process.stdout is not None
        text = self.process.stdout.readline()
        assert text, "the zygote died"
        return text.split()

    def until(self, pid: int, kind: str) -> list[int]:
        """Read lines until ``kind`` for ``pid``; return the seqs reported committed meanwhile."""
        committed = []
        while True:
            words = self.line()
            if words[0] == "committed" and int(words[1]) == pid:
                committed.append(int(words[2]))
            elif words[0] == kind and int(words[1]) == pid:
                if kind == "exit":
                    assert os.WIFSIGNALED(int(words[2])), f"writer {pid} died on its own"
                return committed

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def zygote() -> Iterator[Zygote]:
    running = Zygote()
    try:
        yield running
    finally:
        running.close()


def check_store(path: Path, committed: int) -> int:
    """Open the store, then check the log and projections; returns the log length."""

    async def opens() -> None:
        store = await open_store(path)  # runs PRAGMA integrity_check, raises if damaged
        await store.close()

    asyncio.run(opens())
    with closing(sqlite3.connect(path)) as db:
        count, low, high = db.execute(
            "SELECT count(*), min(device_seq), max(device_seq) FROM events"
        ).fetchone()
        assert low == 1, "the chain does not start at seq 1"
        assert count == high, "device_seq has a gap"
        assert committed <= high, f"event {committed} was committed but is gone"
        head_seq, head_hash = db.execute("SELECT device_seq, hash FROM device_heads").fetchone()
        last = db.execute("SELECT hash FROM events WHERE device_seq = ?", (high,)).fetchone()
        assert (head_seq, head_hash) == (high, last[0]), "the chain head is not the last event"
        for event_type, table, key in (
            ("customer.created", "customers", "entity_id = p.id"),
            ("elevator.status_changed", "status_history", "event_id = p.event_id"),
        ):
            missing = db.execute(
                f"SELECT count(*) FROM events e WHERE type = ? "
                f"AND NOT EXISTS (SELECT 1 FROM {table} p WHERE e.{key})",
                (event_type,),
            ).fetchone()[0]
            extra = (
                db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                - db.execute(
                    "SELECT count(*) FROM events WHERE type = ?", (event_type,)
                ).fetchone()[0]
            )
            assert (missing, extra) == (0, 0), f"{table} does not match the {event_type} events"
        changes = db.execute(
            "SELECT canonical FROM events WHERE type = 'elevator.status_changed' "
            "ORDER BY position DESC LIMIT 1"
        ).fetchone()
        if changes:
            status = db.execute("SELECT status FROM elevators").fetchone()[0]
            assert status == json.loads(changes[0])["payload"]["new"]
    return int(high)


def verify_chain(path: Path) -> int:
    async def verify() -> int:
        store = await open_store(path)
        try:
            keys = StaticDeviceKeys(await store.device_keys())
            events = [e async for e in store.iter_stored_events(batch=500)]
        finally:
            await store.close()
        return verify_events(events, keys).events

    return asyncio.run(verify())


@pytest.mark.slow
def test_sigkill_while_writing_loses_nothing_and_leaves_nothing_half_done(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite"
    rng = random.Random(20251126)
    started = time.monotonic()
    kills_while_writing = 0
    length = 0
    with zygote() as writers:
        for n in range(KILLS):
            pid = writers.spawn(path)
            if n % 7 == 3:  # now and then, kill it while it is still opening the store
                time.sleep(rng.uniform(0.0, 0.03))
                os.kill(pid, signal.SIGKILL)
                committed = writers.until(pid, "exit")
            else:
                writers.until(pid, "ready")
                time.sleep(rng.uniform(0.005, 0.060))
                os.kill(pid, signal.SIGKILL)
                committed = writers.until(pid, "exit")
                kills_while_writing += 1
            if not path.exists():
                assert not committed  # killed while creating: nothing may have been reported
                continue
            length = check_store(path, max(committed, default=0))
    assert kills_while_writing >= 90
    assert length > 200, "the writers hardly wrote anything: the test proved little"
    assert verify_chain(path) == length
    assert time.monotonic() - started < 100
