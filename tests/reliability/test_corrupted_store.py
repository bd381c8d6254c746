"""F14: a damaged store file is detected when opened, reported with the next step, left as is.

Covers flipped bytes, a truncated file, a file that is not a database at all, and a ``-wal``
that belongs to another database (which SQLite itself would happily replay). The desktop app
opens with a quick check and runs the full one in the background: damage is then found either
at open or by that check, and once found nothing more is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from app.demo.seeding import seed_context, seed_events
from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import StoreCorruptedError
from app.services.users import register_user
from app.store import Store, open_store
from app.store.opening import wal_path

PAGE = 4096


def fingerprint(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def make_store(path: Path, events: int = 300) -> None:
    async def fill() -> None:
        store = await open_store(path, create=True)
        try:
            await seed_events(store, events=events, units=20)
        finally:
            await store.close()

    asyncio.run(fill())


def flip_bytes_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    start = (len(data) // PAGE // 2) * PAGE  # the header of the middle page
    for i in range(start, start + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate_to_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def replace_with_noise(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "flipped bytes": (flip_bytes_in_the_middle, "integrity_check|malformed"),
    "truncated": (truncate_to_half, "integrity_check|malformed"),
    "not a database": (replace_with_noise, "not a database"),
}


def expect_refusal(path: Path, match: str) -> StoreCorruptedError:
    files = (path, wal_path(path))
    before = fingerprint(*files)
    with pytest.raises(StoreCorruptedError, match=match) as refused:
        asyncio.run(open_store(path))
    assert fingerprint(*files) == before, "the damaged file was changed"
    error = refused.value
    assert str(path) in error.message
    assert "left it untouched" in error.message
    assert error.hint is not None
    assert "restore a backup" in error.hint
    assert "re-sync" in error.hint
    return error


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damage_is_detected_at_open_and_the_file_left_untouched(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "damaged.sqlite"
    make_store(path)
    damage, match = DAMAGE[kind]
    damage(path)
    expect_refusal(path, match)
    expect_refusal(path, match)  # and again: the first attempt did not "repair" anything


def test_the_integrity_report_is_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    make_store(path)
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    for page in range(pages // 3, pages - 1, 3):  # damage several index and table pages
        data[page * PAGE + 8 : page * PAGE + 24] = b"\x00" * 16
    path.write_bytes(bytes(data))
    error = expect_refusal(path, "PRAGMA integrity_check reported:")
    assert len(error.message.splitlines()) > 2  # the report itself, line by line


def running_wal(tmp_path: Path, name: str, create: Callable[[Path], None]) -> Path:
    """The -wal of another database, copied while its writer still had it open."""
    other = tmp_path / name
    create(other)
    copy = tmp_path / f"{name}-wal.copy"

    async def write_and_copy() -> None:
        store: Store = await open_store(other)
        try:
            await seed_events(store, events=120, units=5, seed=9)
            shutil.copyfile(wal_path(other), copy)
        finally:
            await store.close()

    asyncio.run(write_and_copy())
    return copy


def test_a_stray_wal_from_another_store_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "ours.sqlite"
    make_store(path)
    stray = running_wal(tmp_path, "theirs.sqlite", make_store)
    shutil.copyfile(stray, wal_path(path))
    error = expect_refusal(path, "belongs to another database|integrity_check")
    assert wal_path(path).name in error.message or "integrity_check" in error.message


def test_a_stray_wal_without_its_database_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite"
    stray = running_wal(tmp_path, "theirs.sqlite", make_store)
    shutil.copyfile(stray, wal_path(path))
    with pytest.raises(StoreCorruptedError, match="without its database"):
        asyncio.run(open_store(path, create=True))
    assert not path.exists()


# -- the desktop app's opening: a quick check at open, SQLite's full check in the background --


def break_an_index(path: Path) -> None:
    """Make an index disagree with its table: only the full ``integrity_check`` sees it.

    The index's definition is pointed at another column, so its entries no longer match the
    rows; every page and b-tree stays well formed, which is all ``quick_check`` looks at.
    """
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_elevators_status "
            "ON elevators (certificate_expires_on)' WHERE name = 'ix_elevators_status'"
        )
        conn.commit()


async def register_someone(store: Store) -> None:
    command = RegisterUser(email="new@example.com", display_name="New", role=Role.TECHNICIAN)
    await register_user(command, ctx=seed_context(store.unit_of_work))


async def open_in_background(path: Path) -> Store:
    return await open_store(path, integrity="background")


def test_index_damage_is_found_by_the_background_check_and_stops_every_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "index.sqlite"
    make_store(path)
    break_an_index(path)
    before = fingerprint(path)

    async def scenario() -> None:
        store = await open_in_background(path)  # the quick check at open does not see it
        try:
            with pytest.raises(StoreCorruptedError) as found:
                await store.integrity()
            error = found.value
            assert "PRAGMA integrity_check reported:" in error.message
            assert "ix_elevators_status" in error.message
            assert "Nothing more will be saved" in error.message
            assert error.hint is not None
            assert "restore a backup" in error.hint
            with pytest.raises(StoreCorruptedError):
                await register_someone(store)  # a user action: its event is not written
            with pytest.raises(StoreCorruptedError):
                await store.set_meta({"note": "not written"})
            with pytest.raises(StoreCorruptedError):
                await store.integrity()  # and it stays damaged
        finally:
            await store.close()

    asyncio.run(scenario())
    assert fingerprint(path) == before, "the damaged file was changed"
    expect_refusal(path, "integrity_check")  # opened with the full check, it is refused at once


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_page_damage_is_found_when_the_full_check_runs_in_the_background(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "damaged.sqlite"
    make_store(path)
    damage, _ = DAMAGE[kind]
    damage(path)
    before = fingerprint(path, wal_path(path))

    async def scenario() -> StoreCorruptedError:
        try:
            store = await open_in_background(path)
        except StoreCorruptedError as at_open:
            return at_open
        try:
            with pytest.raises(StoreCorruptedError) as later:
                await store.integrity()
            return later.value
        finally:
            await store.close()

    error = asyncio.run(scenario())
    assert str(path) in error.message
    assert error.hint is not None
    assert "re-sync" in error.hint
    assert fingerprint(path, wal_path(path)) == before, "the damaged file was changed"


def test_a_write_waits_for_the_background_check_of_a_sound_store(tmp_path: Path) -> None:
    path = tmp_path / "sound.sqlite"
    make_store(path)

    async def scenario() -> tuple[float, int]:
        store = await open_in_background(path)
        try:
            await register_someone(store)  # starts the check and waits for it to pass
            seconds = await store.integrity()
            return seconds, await store.count_events()
        finally:
            await store.close()

    seconds, events = asyncio.run(scenario())
    assert seconds > 0
    assert events == 301
