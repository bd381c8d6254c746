"""Closing a store stops every connection thread, so a command's process can always exit."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from app.demo.seeding import adopt_device, seed_context, seed_fleet
from app.store import open_store


def _connection_threads() -> list[threading.Thread]:
    # aiosqlite runs each connection in a thread of its own, not a daemon: a live one keeps
    # the interpreter from exiting
    return [t for t in threading.enumerate() if t.is_alive() and "connection_worker" in t.name]


async def test_close_stops_a_read_connection_abandoned_half_way(tmp_path: Path) -> None:
    before = set(_connection_threads())
    store = await open_store(tmp_path / "store.sqlite", create=True)
    ctx = seed_context(store.unit_of_work)
    await adopt_device(store, ctx)
    await seed_fleet(ctx, units=3)
    reads = store.iter_stored_events(batch=1)
    assert await anext(reads) is not None  # the read holds a pooled connection, never finished
    assert set(_connection_threads()) - before

    await store.close()

    left = set(_connection_threads()) - before
    for thread in left:  # a stopped connection's thread ends a moment after its close returns
        await asyncio.to_thread(thread.join, 5)
    assert [thread for thread in left if thread.is_alive()] == []
    await reads.aclose()  # finishing it afterwards is harmless
