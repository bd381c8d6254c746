"""Statements compiled once, run statement by statement on the writer's aiosqlite connection.

Why not ``AsyncSession.execute``: through SQLAlchemy's async adapter every statement costs four
or five round trips to aiosqlite's thread (cursor, execute, fetch, close), about 0.4 ms here;
called directly, aiosqlite needs one. A command runs about eight statements and its latency is
benchmarked, so the hot path keeps SQLAlchemy for what it does well (schema, typed Core
statements, compilation, the engine and its connect hooks) and runs the compiled SQL itself.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from app.domain.errors import StoreError
from app.store.errors import store_error

type Row = tuple[Any, ...]

_DIALECT: Final = SQLiteDialect_pysqlite()


@dataclass(frozen=True, slots=True)
class Sql:
    """A statement compiled for SQLite: qmark SQL text and the names of its parameters."""

    text: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]

    def bind(self, values: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """The positional parameters, from ``values`` and the literals compiled in."""
        if not values:
            return tuple(self.defaults[name] for name in self.names)
        return tuple(values[name] if name in values else self.defaults[name] for name in self.names)


def compile_sql(statement: ClauseElement) -> Sql:
    """Compile a Core statement once; bind values by ``bindparam`` name at run time."""
    compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
    names = tuple(compiled.positiontup or ())
    return Sql(str(compiled), names, dict(compiled.params))


def driver_of(connection: Any) -> aiosqlite.Connection:
    """The aiosqlite connection inside a pooled SQLAlchemy connection (``driver_connection``)."""
    driver = connection.driver_connection
    if not isinstance(driver, aiosqlite.Connection):
        raise TypeError(f"expected an aiosqlite connection, got {type(driver).__name__}")
    return driver


class Db:
    """The aiosqlite connection under the store's single SQLAlchemy writer connection.

    A transaction starts with the first write (BEGIN IMMEDIATE, issued by the sqlite3 module
    in the same call, see ``engines.writer_engine``) or with ``begin``; reads outside one see
    the committed state. Every sqlite3 error becomes a ``StoreError`` naming the file and the
    next step.
    """

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: Path,
        *,
        errors: Callable[[BaseException, Path], StoreError] = store_error,
    ) -> None:
        self._conn = connection
        self.path = path
        self._error = errors

    @property
    def in_transaction(self) -> bool:
        """True between BEGIN and COMMIT/ROLLBACK (including a BEGIN SQLite itself undid)."""
        return self._conn.in_transaction

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement, ignoring any result rows."""
        try:
            await self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._error(exc, self.path) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row, in one round trip."""
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._error(exc, self.path) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return all its rows as tuples."""
        try:
            rows = await self._conn.execute_fetchall(sql, params)
        except sqlite3.Error as exc:
            raise self._error(exc, self.path) from exc
        return [tuple(row) for row in rows]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a query and return its first row, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def run(self, sql: Sql, values: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a compiled statement with named values; return its rows."""
        return await self.fetchall(sql.text, sql.bind(values))

    async def stream(
        self, sql: Sql, values: Mapping[str, Any] | None = None, *, batch: int
    ) -> AsyncGenerator[list[Row]]:
        """Run a compiled query and yield its rows ``batch`` at a time (one open cursor).

        For reads too large to hold twice: the caller turns each batch into models before the
        next is fetched. Nothing else may use the connection until the iteration ends.
        """
        try:
            cursor = await self._conn.execute(sql.text, sql.bind(values))
        except sqlite3.Error as exc:
            raise self._error(exc, self.path) from exc
        try:
            while True:
                try:
                    rows = await cursor.fetchmany(batch)
                except sqlite3.Error as exc:
                    raise self._error(exc, self.path) from exc
                if not rows:
                    return
                yield [tuple(row) for row in rows]
        finally:
            await cursor.close()

    async def begin(self) -> None:
        """Start a write transaction, taking the write lock now rather than mid-way."""
        await self.execute("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        """Commit the open transaction, if any."""
        if self.in_transaction:
            await self.execute("COMMIT")

    async def rollback(self) -> None:
        """Roll back the open transaction, if any (SQLite may already have done so).

        A statement whose caller was cancelled still runs on the connection's thread, and may
        be the BEGIN of the transaction to undo: one round trip first lets it end.
        """
        with contextlib.suppress(sqlite3.Error, ValueError):  # ValueError: connection closed
            await self._conn.execute_fetchall("SELECT 1")
        if not self.in_transaction:
            return
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            # SQLite may have rolled back by itself (disk full, I/O error): nothing left to undo
            if "no transaction is active" not in str(exc):
                raise self._error(exc, self.path) from exc
