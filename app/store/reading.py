"""Reading a local store: the event log, device keys and heads, metadata, saved snapshots.

``StoreReader`` is the read half of every open store (``Store`` adds the writer), and on its
own it is a store opened only to be read (``open_store_for_reading``): verification and export
open a store that way, never writing to it, so an auditor's copy on read-only media or a
write-protected file can be checked as it is.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager, closing
from pathlib import Path
from uuid import UUID

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.chain import DeviceHead, StoredEvent
from app.domain.events import Event
from app.store.compiled_sql import Db, driver_of
from app.store.engines import OpenConnections, reader_engine
from app.store.errors import read_error
from app.store.eventlog import count_events, entity_events, recent_events, stored_events
from app.store.opening import reading_uri
from app.store.prepare import check_for_reading


async def open_store_for_reading(path: Path) -> StoreReader:
    """Open the store at ``path`` to read it only: checked, never migrated, never written.

    Raises StoreCorruptedError for a damaged file, StoreError when there is no store at
    ``path``, when it cannot be read, or when its schema is not this version's.
    """
    path = Path(path)
    await asyncio.to_thread(check_for_reading, path)
    opened = OpenConnections()
    engine = reader_engine(path, connections=1, opened=opened, uri=reading_uri(path))
    reader = StoreReader(path, engine, opened)
    try:
        await reader.meta()  # fail here, with a clear error, if SQLite cannot open it
    except BaseException:
        await reader.close()
        raise
    return reader


def peek_meta(path: Path) -> dict[str, str]:
    """The ``store_meta`` of the store at ``path``, read without opening it (blocking).

    Empty when there is no readable store there. For decisions made before a store is opened
    (is the demo store finished?); opening it still runs every check.
    """
    if not path.is_file():
        return {}
    try:
        with closing(sqlite3.connect(reading_uri(path), uri=True)) as conn:
            rows = conn.execute("SELECT key, value FROM store_meta").fetchall()
    except sqlite3.Error:
        return {}
    return {str(key): str(value) for key, value in rows}


class StoreReader:
    """Committed data of a store, read through a pool of read-only connections."""

    def __init__(self, path: Path, reader: AsyncEngine, opened: OpenConnections) -> None:
        self.path = path
        self._reader = reader
        self._opened = opened
        self._closed = False

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncConnection]:
        """A read-only SQLAlchemy connection for views (committed data only).

        SQLite failures inside the block come out as StoreError and its kin.
        """
        try:
            async with self._reader.connect() as connection:
                yield connection
        except DBAPIError as exc:
            raise read_error(exc, self.path) from exc

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Db]:
        async with self.reader() as connection:
            raw = await connection.get_raw_connection()
            yield Db(driver_of(raw), self.path, errors=read_error)

    @asynccontextmanager
    async def read_db(self) -> AsyncIterator[Db]:
        """A read-only connection for plain SQL reads (committed data only)."""
        async with self._read() as db:
            yield db

    async def iter_stored_events(
        self, *, batch: int = 5000, content: bool = True
    ) -> AsyncGenerator[StoredEvent]:
        """Every committed event in local order, as verification and export read them.

        ``content=False`` reads only the chain links (for link-only verification).
        """
        async with (
            self._read() as db,
            aclosing(stored_events(db, batch=batch, content=content)) as rows,
        ):
            async for stored in rows:
                yield stored

    async def iter_events_for_entity(self, entity_id: UUID) -> AsyncGenerator[Event]:
        """One entity's committed events in the order they were recorded."""
        async with self._read() as db, aclosing(entity_events(db, entity_id)) as events:
            async for recorded in events:
                yield recorded

    async def recent_events(self, limit: int) -> list[Event]:
        """The newest ``limit`` committed events, oldest first."""
        async with self._read() as db:
            return await recent_events(db, limit)

    async def count_events(self) -> int:
        """How many events the log holds."""
        async with self._read() as db:
            return await count_events(db)

    async def device_heads(self) -> dict[str, DeviceHead]:
        """The committed chain head of every device with events, by device id.

        Verification compares them with where each device's log really ends: a log cut short
        (its newest events removed) no longer reaches its recorded head.
        """
        async with self._read() as db:
            rows = await db.fetchall("SELECT device_id, device_seq, hash FROM device_heads")
        return {str(device): DeviceHead(int(seq), str(digest)) for device, seq, digest in rows}

    async def snapshot_heads(self) -> dict[str, DeviceHead]:
        """Where each device's chain stood in the snapshot this store was joined from.

        Those devices' earlier events are not in the store: verification starts their chains
        at these positions. Empty for a store that holds every event it shows.
        """
        async with self._read() as db:
            rows = await db.fetchall("SELECT device_id, device_seq, hash FROM sync_snapshot_heads")
        return {str(device): DeviceHead(int(seq), str(digest)) for device, seq, digest in rows}

    async def snapshot_at(self) -> int | None:
        """The ledger index of the snapshot this store was joined from (None: not joined so)."""
        async with self._read() as db:
            row = await db.fetchone("SELECT max(ledger_index) FROM sync_snapshot_heads")
        return None if row is None or row[0] is None else int(row[0])

    async def device_keys(self) -> dict[str, bytes]:
        """The public key of every known device, by device id."""
        async with self._read() as db:
            rows = await db.fetchall("SELECT device_id, public_key FROM devices")
        return {str(device): bytes(key) for device, key in rows}

    async def load_snapshot(self, name: str) -> bytes | None:
        """The derived data last saved under ``name``, or None (``ports.SnapshotStore``)."""
        async with self._read() as db:
            row = await db.fetchone("SELECT data FROM snapshots WHERE name = ?", (name,))
        return None if row is None else bytes(row[0])

    async def meta(self) -> dict[str, str]:
        """Every ``store_meta`` value, by key."""
        async with self._read() as db:
            rows = await db.fetchall("SELECT key, value FROM store_meta")
        return {str(key): str(value) for key, value in rows}

    async def close(self) -> None:
        """Close every read connection, including one a read abandoned half-way still holds."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._reader.dispose()
        finally:
            await self._opened.close_all()

    async def __aenter__(self) -> StoreReader:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
