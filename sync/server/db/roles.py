"""Database roles and the database itself, made from a superuser connection.

The embedded database and the tests use this; a production operator creates the same roles
by hand (docs/OPERATIONS.md): an owner that runs the migrations and owns every table, and a
runtime role that logs in for the server processes, owns nothing and cannot bypass row-level
security.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url


@dataclass(frozen=True, slots=True)
class DatabaseUrls:
    """Connections to one database: as the runtime role and as the owner role."""

    runtime: str
    owner: str


def with_login(url: str, *, user: str, password: str | None, database: str) -> str:
    """``url`` signing in as ``user`` to ``database``."""
    parsed = make_url(url).set(username=user, password=password, database=database)
    return parsed.render_as_string(hide_password=False)


def _dsn(url: str) -> str:
    """A libpq-style DSN asyncpg accepts (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def connect(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection to ``url`` (a SQLAlchemy or libpq URL)."""
    return await asyncpg.connect(_dsn(url))


async def ensure_roles(
    superuser_url: str, *, owner: str, runtime: str, password: str | None = None
) -> None:
    """Create the owner and runtime roles if missing, and make sure neither can bypass RLS."""
    conn = await connect(superuser_url)
    try:
        for role in (owner, runtime):
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            quoted = _quote(role)
            if not exists:
                await conn.execute(f"CREATE ROLE {quoted} LOGIN")
            await conn.execute(
                f"ALTER ROLE {quoted} NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOREPLICATION"
            )
            if password is not None:
                await conn.execute(f"ALTER ROLE {quoted} PASSWORD {_literal(password)}")
        await conn.execute(f"ALTER ROLE {_quote(runtime)} NOCREATEDB")
    finally:
        await conn.close()


async def ensure_database(
    superuser_url: str, database: str, *, owner: str, template: str | None = None
) -> bool:
    """Create ``database`` owned by ``owner`` unless it exists; True when it was created."""
    conn = await connect(superuser_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        source = f" TEMPLATE {_quote(template)}" if template else ""
        await conn.execute(f"CREATE DATABASE {_quote(database)} OWNER {_quote(owner)}{source}")
        return True
    finally:
        await conn.close()


async def drop_database(superuser_url: str, database: str) -> None:
    """Drop ``database`` (closing its connections first)."""
    conn = await connect(superuser_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote(database)} WITH (FORCE)")
    finally:
        await conn.close()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
