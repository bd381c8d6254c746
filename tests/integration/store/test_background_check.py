"""The full integrity check run in the background (``open_store(integrity="background")``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.demo.seeding import seed_events
from app.domain.errors import StoreCorruptedError, StoreError
from app.store import open_store


async def test_a_store_opened_with_the_check_at_open_reports_its_time(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = await open_store(path, create=True)
    await seed_events(store, events=50, units=5)
    await store.close()
    reopened = await open_store(path)
    try:
        assert reopened.checked_at_open is not None
        assert await reopened.integrity() == reopened.checked_at_open
    finally:
        await reopened.close()


async def test_the_background_check_passes_on_a_sound_store(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = await open_store(path, create=True)
    await seed_events(store, events=50, units=5)
    await store.close()
    reopened = await open_store(path, integrity="background")
    try:
        assert reopened.checked_at_open is None
        seconds = await reopened.integrity()
        assert seconds > 0
        assert await reopened.integrity() == seconds  # one check per opening, kept
    finally:
        await reopened.close()


async def test_closing_before_the_check_ran_is_not_damage(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    await (await open_store(path, create=True)).close()
    store = await open_store(path, integrity="background")
    await store.close()
    with pytest.raises(StoreError, match="closed before its full check ended") as raised:
        await store.integrity()
    assert not isinstance(raised.value, StoreCorruptedError)
