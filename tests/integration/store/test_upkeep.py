"""Upkeep: an idle store folds its write-ahead log back into the file; close is clean."""

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.demo.seeding import seed_fleet
from app.services.context import ServiceContext
from app.store import Store, database
from app.store.opening import read_only_uri, wal_path


def events_in_the_file_alone(path: Path) -> int:
    """Events in the main database file, ignoring the -wal (immutable=1 never reads it)."""
    with closing(sqlite3.connect(read_only_uri(path) + "&immutable=1", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


def exists(path: Path) -> bool:
    return path.exists()


async def test_an_idle_store_checkpoints_its_wal(
    store: Store, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "IDLE_CHECKPOINT_SECONDS", 0.05)
    await seed_fleet(ctx, units=3)
    written = await store.count_events()
    assert events_in_the_file_alone(store.path) < written  # still only in the -wal
    for _ in range(100):
        await asyncio.sleep(0.02)
        if events_in_the_file_alone(store.path) == written:
            break
    assert events_in_the_file_alone(store.path) == written
    assert store.checkpoint_error is None


async def test_close_leaves_a_single_complete_file(store: Store, ctx: ServiceContext) -> None:
    await seed_fleet(ctx, units=3)
    written = await store.count_events()
    await store.close()
    assert not exists(wal_path(store.path))
    assert events_in_the_file_alone(store.path) == written
    await store.close()  # closing twice is harmless
