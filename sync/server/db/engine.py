"""Connections: the async SQLAlchemy engine on asyncpg, and tenant-scoped transactions.

Every request runs in one transaction that first sets the tenant with
``SELECT set_config('app.current_org', :org, true)`` (a bind parameter, transaction-local, so a
pooled connection never carries it into the next transaction). Row-level security reads it;
without it every tenant table looks empty.

Statements on the hot paths run on the asyncpg connection under the SQLAlchemy connection
(one round trip each, ``executemany`` pipelined); the engine keeps the pool, the transaction
and its connect hooks. JSON documents travel as text (``$1::text::jsonb`` in, ``doc::text``
out): pydantic serializes and parses them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_SET_TENANT: Final = text("SELECT set_config('app.current_org', :org, true)")


def asyncpg_url(url: str) -> str:
    """``url`` with the asyncpg driver (``postgresql://`` and ``postgres://`` are accepted)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine for ``url``, pooled.

    No ping before each use (it would cost every transaction a round trip): a connection that
    died with a restarted database fails its first statement, which answers 503 and drops it
    from the pool; the next request gets a new one.
    """
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
    )


async def driver(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy connection (inside its transaction)."""
    raw = await conn.get_raw_connection()
    found = raw.driver_connection
    if not isinstance(found, asyncpg.Connection):
        raise TypeError(f"expected an asyncpg connection, got {type(found).__name__}")
    return found


@asynccontextmanager
async def transaction(engine: AsyncEngine, org: UUID | None) -> AsyncIterator[asyncpg.Connection]:
    """One transaction with the tenant set to ``org`` (None: no tenant, tenant rows hidden).

    Commits when the block ends normally, rolls back on any exception.
    """
    async with engine.begin() as conn:
        # Through SQLAlchemy, so its transaction has begun before any raw statement runs.
        await conn.execute(_SET_TENANT, {"org": "" if org is None else str(org)})
        yield await driver(conn)
