"""The two async engines of an open store: one writer connection, a few read-only ones."""

from __future__ import annotations

import weakref
from contextlib import suppress
from pathlib import Path
from typing import Any, Final

import aiosqlite
from sqlalchemy import URL, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from app.store.opening import read_only_uri

PRAGMAS: Final = (
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
)
"""What every connection to a store sets first (the migration engine's too)."""

CHECKPOINT_PAGES: Final = 16_384
"""SQLite checkpoints inside a commit once the -wal holds this many pages (64 MB).

The store checkpoints on its own when idle, so commits rarely pay for it: SQLite's default
(1,000 pages) would stall one command in every hundred or so with a write and an fsync of 4 MB.
"""

WRITER_PRAGMAS: Final = (
    *PRAGMAS,
    f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}",
    "PRAGMA journal_size_limit = 67108864",
    "PRAGMA cache_size = -32000",
    "PRAGMA temp_store = MEMORY",
)
READER_PRAGMAS: Final = (
    "PRAGMA busy_timeout = 5000",
    "PRAGMA query_only = ON",
    "PRAGMA cache_size = -16000",
)


def _on_connect(pragmas: tuple[str, ...]) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return connect


def writer_engine(path: Path) -> AsyncEngine:
    """The engine of the single writer connection (StaticPool: exactly one connection).

    With ``isolation_level="IMMEDIATE"`` the sqlite3 module opens a transaction (BEGIN
    IMMEDIATE: the write lock at once, never an upgrade mid-way) within the call that runs the
    first INSERT, UPDATE or DELETE, which spares every command a round trip to the connection's
    thread; the store says COMMIT and ROLLBACK itself (see ``app.store.compiled_sql.Db``).
    """

    async def connect() -> aiosqlite.Connection:
        return await aiosqlite.connect(path, isolation_level="IMMEDIATE", cached_statements=256)

    engine = create_async_engine(
        URL.create("sqlite+aiosqlite", database=str(path)),
        async_creator=connect,
        poolclass=StaticPool,
    )
    event.listen(engine.sync_engine, "connect", _on_connect(WRITER_PRAGMAS))
    return engine


class OpenConnections:
    """Every aiosqlite connection an engine opened and not yet closed.

    Each aiosqlite connection runs a (non-daemon) thread until it is closed. Disposing an engine
    closes only the connections checked in to its pool; one still held (by a read abandoned
    half-way, say) would keep the process alive after its work is done. Closing the store
    closes those too.
    """

    def __init__(self) -> None:
        self._open: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()

    def add(self, connection: aiosqlite.Connection) -> aiosqlite.Connection:
        """Remember ``connection`` and return it."""
        self._open.add(connection)
        return connection

    async def close_all(self) -> None:
        """Close every connection still open (stopping its thread), whatever state it is in."""
        for connection in list(self._open):
            with suppress(Exception):
                await connection.close()
        self._open.clear()


def reader_engine(
    path: Path,
    *,
    connections: int = 2,
    opened: OpenConnections | None = None,
    uri: str | None = None,
) -> AsyncEngine:
    """An engine of read-only connections for views and exports (they never block the writer).

    ``uri`` overrides how the file is opened (``opening.reading_uri`` for a store opened only
    to be read).
    """
    target = uri or read_only_uri(path)

    async def connect() -> aiosqlite.Connection:
        connection = await aiosqlite.connect(target, uri=True, cached_statements=256)
        return connection if opened is None else opened.add(connection)

    engine = create_async_engine(
        URL.create("sqlite+aiosqlite", database=str(path)),
        async_creator=connect,
        pool_size=connections,
        max_overflow=connections,
    )
    event.listen(engine.sync_engine, "connect", _on_connect(READER_PRAGMAS))
    return engine
