"""``sitesync --demo`` builds the demo store once, beside its key file and blobs, then reuses it."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from app.bootstrap import blob_dir, demo_store_unfinished
from app.demo_workspace import create_demo_store, open_demo_workspace
from app.domain.errors import IncompleteStoreError
from app.keystore import demo_key_path


async def test_demo_store_is_built_once_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "sitesync-demo.sqlite"
    ws = await open_demo_workspace(path, seed=3, units=6)
    try:
        events = await ws.store.count_events()
        assert events > 100
        assert demo_key_path(path).exists()
        assert blob_dir(path).is_dir()
    finally:
        await ws.close()
    assert not list(path.parent.glob("*.building*")), "the build's temporary names are gone"

    again = await open_demo_workspace(path, seed=3, units=6)
    try:
        assert await again.store.count_events() == events
    finally:
        await again.close()


async def test_an_unfinished_demo_store_is_refused_or_rebuilt_on_request(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "sitesync-demo.sqlite"
    ws = await open_demo_workspace(path, seed=3, units=4)
    await ws.close()
    with closing(sqlite3.connect(path)) as conn, conn:  # as if its build had been killed
        conn.execute("DELETE FROM store_meta WHERE key = 'demo_complete'")
    assert demo_store_unfinished(path)

    with pytest.raises(IncompleteStoreError, match="unfinished demo store"):
        await open_demo_workspace(path, seed=3, units=4)

    rebuilt = await open_demo_workspace(path, seed=3, units=4, rebuild_unfinished=True)
    try:
        assert await rebuilt.store.count_events() > 100
    finally:
        await rebuilt.close()
    assert not demo_store_unfinished(path)


async def test_a_demo_build_that_fails_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"

    def stop(done: int, _total: int) -> None:
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        await create_demo_store(path, units=4, seed=3, as_of=date(2026, 11, 26), progress=stop)
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []
