"""Open a local store: check it, back it up and migrate it, then serve units of work and reads."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal
from uuid import UUID

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.envelope import format_timestamp
from app.domain.errors import StoreError
from app.services.ports import UnitOfWorkFactory
from app.store.compiled_sql import Db, driver_of
from app.store.engines import OpenConnections, reader_engine, writer_engine
from app.store.errors import store_error
from app.store.integrity import BackgroundCheck
from app.store.lock import StoreLock, acquire_store_lock
from app.store.opening import backup, backup_path
from app.store.prepare import missing_store, prepare_file
from app.store.reading import StoreReader, open_store_for_reading
from app.store.rebuild import rebuild_projections
from app.store.snapshot_guard import refuse_if_from_snapshot
from app.store.uow import SqliteUnitOfWork
from app.store.write_behind import Transaction
from app.store.writer_connection import Writer

IDLE_CHECKPOINT_SECONDS: Final = 1.0
"""Fold the -wal back into the file after this long without a commit."""

_UPSERT_DEVICE = (
    "INSERT INTO devices (device_id, public_key, organization_id, label, created_at, is_local) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
    "public_key = excluded.public_key, organization_id = excluded.organization_id, "
    "label = excluded.label, is_local = excluded.is_local"
)
_UPSERT_SNAPSHOT = (
    "INSERT INTO snapshots (name, data, saved_at) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at"
)
_UPSERT_META = (
    "INSERT INTO store_meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class StoreMeta:
    """Well-known keys of ``store_meta``."""

    ORGANIZATION_ID: Final = "organization_id"
    ORGANIZATION_NAME: Final = "organization_name"
    DEVICE_ID: Final = "device_id"
    """This store's own device (its key is in the key store, never in the database)."""
    KEY_STORAGE: Final = "key_storage"
    """Where the device key lives (the OS keyring, a password-sealed file, a demo file)."""


type IntegrityCheck = Literal["at_open", "background"]
"""When the full integrity check runs: before the store opens, or after (``Store.integrity``)."""


async def open_store(
    path: Path, *, create: bool = False, integrity: IntegrityCheck = "at_open"
) -> Store:
    """Open the store at ``path`` (creating it if asked), after checking and migrating it.

    Raises StoreCorruptedError for a damaged or foreign file (left untouched), MigrationError
    when the schema cannot be brought up to date (the file stays at its previous schema and
    the error names the backup taken first), StoreError when there is no store at ``path``,
    StoreInUseError naming the program that has it open for writing elsewhere (the store's
    write lock, ``app.store.lock``, is held until ``Store.close``).

    ``integrity="background"`` opens at once after the quick check (``opening.check_file``)
    and leaves the full check to ``Store.integrity``, which the desktop app starts once its
    window is up; nothing is added to the event log before that check has passed.
    """
    path = Path(path)
    background = integrity == "background"
    lock = await asyncio.to_thread(_lock_for_writing, path, create)
    try:
        found = await asyncio.to_thread(prepare_file, path, create, full_check=not background)
    except BaseException:
        lock.release()
        raise
    opened = OpenConnections()
    writer, reader = writer_engine(path), reader_engine(path, opened=opened)
    try:
        connection = await writer.connect()
        raw = await connection.get_raw_connection()
    except BaseException as exc:
        await writer.dispose()
        await reader.dispose()
        lock.release()
        if isinstance(exc, DBAPIError):
            raise store_error(exc, path) from exc
        raise
    check = BackgroundCheck(path) if background else None
    db = Db(driver_of(raw), path)
    store = Store(path, writer, reader, connection, db, opened, check=check, lock=lock)
    store.checked_at_open = found.full_check_seconds
    return store


def _lock_for_writing(path: Path, create: bool) -> StoreLock:
    """The store's write lock, taken before anything reads or writes the file (blocking)."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise missing_store(path)
    return acquire_store_lock(path)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """A finished rebuild: the events folded and the backup taken first."""

    events: int
    backup: Path


async def rebuild_store(path: Path) -> RebuildReport:
    """Back the store up beside itself, then rebuild every projection from its log.

    The rebuild runs in one transaction: interrupted, it leaves the old projections. A backup
    that cannot be written stops it before anything changes.
    """
    path = Path(path)
    lock = await asyncio.to_thread(_lock_for_writing, path, False)
    try:
        reader = await open_store_for_reading(path)
        try:
            async with reader.read_db() as db:
                await refuse_if_from_snapshot(db, "rebuilding its projections")
        finally:
            await reader.close()
        target = backup_path(path, "before-rebuild")
        try:
            await asyncio.to_thread(backup, path, target)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"Could not back up {path} before rebuilding it ({exc}); nothing was changed.",
                hint="Free some disk space beside the store and try again.",
            ) from exc
        store = await open_store(path)
        try:
            events = await store.rebuild_projections()
        finally:
            await store.close()
    finally:
        lock.release()
    return RebuildReport(events, target)


class Store(StoreReader):
    """An open local store: the unit-of-work factory for services, plus log and key access."""

    def __init__(
        self,
        path: Path,
        writer: AsyncEngine,
        reader: AsyncEngine,
        connection: AsyncConnection,
        db: Db,
        opened: OpenConnections | None = None,
        *,
        check: BackgroundCheck | None = None,
        lock: StoreLock | None = None,
    ) -> None:
        super().__init__(path, reader, opened or OpenConnections())
        self._lock = lock
        self._engine = writer
        self._connection = connection
        self._check = check
        self._writer = Writer(
            db, after_commit=self._after_commit, gate=None if check is None else check.result
        )
        self.checked_at_open: float | None = None
        """Seconds the full integrity check took before the store opened (None: it did not)."""
        self._idle: asyncio.TimerHandle | None = None
        self._checkpointing: asyncio.Task[None] | None = None
        self.checkpoint_error: StoreError | None = None

    # -- writing ----------------------------------------------------------------------------

    def unit_of_work(self) -> SqliteUnitOfWork:
        """A unit of work for one user action (this method is the UnitOfWorkFactory)."""
        return SqliteUnitOfWork(self._writer)

    @asynccontextmanager
    async def batch(self, *, commit_every: int | None = 1000) -> AsyncIterator[UnitOfWorkFactory]:
        """Many units of work in one transaction, committed every ``commit_every`` units.

        A unit's ``commit`` only marks progress; the real COMMIT comes every ``commit_every``
        units (never, with None: the whole batch is one transaction, all or nothing) and when
        the batch ends. A unit that fails rolls back alone. An exception out of the batch rolls
        back the units since the last real commit. Other units of work wait until the batch
        ends.

        The batch takes the database's write lock before its first unit, so what its units
        read cannot change under them; if another program wrote to the store since this one
        last looked, what this store cached is dropped first. A lock held elsewhere for longer
        than the busy timeout fails with StoreBusyError.
        """
        if commit_every is not None and commit_every < 1:
            raise ValueError("commit_every must be at least 1")
        async with self._writer.exclusive():
            txn = Transaction(self._writer, shared=True, commit_every=commit_every)
            try:
                await self._writer.begin_fresh()
                yield lambda: SqliteUnitOfWork(self._writer, txn)
            except BaseException:
                await txn.abort()
                raise
            await txn.commit()
            # fold the bulk of pages into the file now, not inside the next user's command
            await self._writer.db.fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    @asynccontextmanager
    async def sync_transaction(self) -> AsyncIterator[Db]:
        """Hold the writer and run one transaction on it (sync: events, projections, state).

        Committed when the block ends; an exception rolls everything back. What the store
        cached of committed state is dropped afterwards either way, as the block may rewrite
        projections and heads directly.
        """
        if self._check is not None and self._check.damage is not None:
            raise self._check.damage
        async with self._writer.exclusive():
            db = self._writer.db
            try:
                await self._writer.begin_fresh()
                yield db
            except BaseException:
                await db.rollback()
                self._writer.cache.clear()
                raise
            try:
                await db.commit()
            finally:
                self._writer.cache.clear()
            self._writer.after_commit()

    async def rebuild_projections(self, *, batch: int = 5000) -> int:
        """Delete every projection and fold the whole log again; returns the events folded."""
        async with self._writer.exclusive():
            return await rebuild_projections(self._writer, batch=batch)

    async def register_device(
        self,
        device_id: UUID,
        public_key: bytes,
        organization_id: UUID,
        *,
        label: str = "",
        local: bool = False,
    ) -> None:
        """Remember a device's public key (replacing what was known about it)."""
        now = format_timestamp(datetime.now(UTC))
        row = (str(device_id), public_key, str(organization_id), label, now, local)
        await self._write(_UPSERT_DEVICE, [row])

    async def set_meta(self, values: Mapping[str, str]) -> None:
        """Set ``store_meta`` values, all in one transaction."""
        await self._write(_UPSERT_META, list(values.items()))

    async def save_snapshot(self, name: str, data: bytes) -> None:
        """Replace the derived data saved under ``name`` (``ports.SnapshotStore``)."""
        await self._write(_UPSERT_SNAPSHOT, [(name, data, format_timestamp(datetime.now(UTC)))])

    async def _write(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        if self._check is not None and self._check.damage is not None:
            raise self._check.damage
        async with self._writer.exclusive():
            db = self._writer.db
            try:
                await db.begin()
                await db.executemany(sql, rows)
                await db.commit()
            except BaseException:
                await db.rollback()
                raise

    async def page_count(self) -> int:
        """How many pages the database file holds."""
        async with self._writer.exclusive():
            row = await self._writer.db.fetchone("PRAGMA page_count")
        return int(row[0]) if row else 0

    async def limit_pages(self, max_pages: int | None) -> int:
        """Cap the file at ``max_pages`` (None lifts the cap); returns the cap in force.

        Writes that would grow the file beyond it fail with StoreFullError, exactly as on a
        full disk, which is how the disk-full behaviour is tested.
        """
        cap = 0xFFFFFFFE if max_pages is None else max_pages
        async with self._writer.exclusive():
            row = await self._writer.db.fetchone(f"PRAGMA max_page_count = {int(cap)}")
        return int(row[0]) if row else cap

    # -- upkeep -----------------------------------------------------------------------------

    async def integrity(self) -> float:
        """Wait for SQLite's full integrity check of this store; the seconds it took.

        Raises StoreCorruptedError naming the damage (the store then refuses every write).
        A store opened with the check at open returns at once.
        """
        if self._check is None:
            return self.checked_at_open or 0.0
        return await self._check.result()

    def _after_commit(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(IDLE_CHECKPOINT_SECONDS, self._checkpoint_soon)

    def _checkpoint_soon(self) -> None:
        self._idle = None
        if not self._closed and self._checkpointing is None:
            self._checkpointing = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            if self._writer.busy:
                self._after_commit()  # still working: try again once it has been idle
                return
            async with self._writer.exclusive():
                await self._writer.db.fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except StoreError as exc:
            # not the user's action: kept for diagnostics; a commit meeting it reports it
            self.checkpoint_error = exc
        finally:
            self._checkpointing = None

    async def close(self) -> None:
        """Wait for the writer, then close every connection (SQLite folds the -wal back in).

        Every connection is closed even when closing another fails, including a read
        connection still held by a read abandoned half-way: each runs a thread that would
        otherwise keep the process alive.
        """
        if self._closed:
            return
        self._closed = True
        if self._check is not None:
            await self._check.stop()
        if self._idle is not None:
            self._idle.cancel()
        try:
            if self._checkpointing is not None:
                await self._checkpointing
            async with self._writer.exclusive():
                try:
                    await self._reader.dispose()
                finally:
                    try:
                        await self._connection.close()
                    finally:
                        await self._engine.dispose()
        finally:
            try:
                await self._opened.close_all()
            finally:
                if self._lock is not None:
                    self._lock.release()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
