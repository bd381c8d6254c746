"""Fixtures shared by the test layers: a real SQLite store in a temporary folder and a service
context writing to it (the unit tests of services override ``store`` and ``ctx`` with the
in-memory fake)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.demo.seeding import adopt_device, seed_context
from app.services.context import ServiceContext
from app.store import Store, open_store


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
async def store(store_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(store_path, create=True)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def ctx(store: Store) -> ServiceContext:
    context = seed_context(store.unit_of_work)
    await adopt_device(store, context)
    return context
