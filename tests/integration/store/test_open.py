"""Opening a store: what is refused, what is created, and what the store keeps about itself."""

import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest

from app.domain.errors import MigrationError, StoreError
from app.store import Store, StoreMeta, open_store


def exists(path: Path) -> bool:
    return path.exists()


def contents(path: Path) -> bytes:
    return path.read_bytes()


async def test_a_missing_store_is_refused_unless_created(store_path: Path) -> None:
    with pytest.raises(StoreError, match="There is no SiteSync store"):
        await open_store(store_path)
    assert not exists(store_path)
    store = await open_store(store_path, create=True)
    await store.close()
    reopened = await open_store(store_path)  # and `create` on an existing store is harmless
    await reopened.close()
    again = await open_store(store_path, create=True)
    assert await again.count_events() == 0
    await again.close()


async def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = contents(path)
    with pytest.raises(StoreError, match="not a SiteSync store"):
        await open_store(path, create=True)
    assert contents(path) == before


async def test_an_empty_file_becomes_a_store_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(StoreError, match="empty file"):
        await open_store(path)
    store = await open_store(path, create=True)
    await store.close()


async def test_a_store_from_a_newer_version_is_refused_untouched(store_path: Path) -> None:
    store = await open_store(store_path, create=True)
    await store.close()
    with sqlite3.connect(store_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = contents(store_path)
    with pytest.raises(MigrationError, match="newer version of SiteSync"):
        await open_store(store_path)
    assert contents(store_path) == before


async def test_meta_and_device_keys(store: Store) -> None:
    device, organization = uuid4(), uuid4()
    await store.set_meta({StoreMeta.ORGANIZATION_ID: str(organization), "demo_seed": "7"})
    await store.set_meta({"demo_seed": "8"})
    await store.register_device(device, b"k" * 32, organization, label="laptop", local=True)
    await store.register_device(device, b"n" * 32, organization)
    assert await store.meta() == {StoreMeta.ORGANIZATION_ID: str(organization), "demo_seed": "8"}
    assert await store.device_keys() == {str(device): b"n" * 32}
