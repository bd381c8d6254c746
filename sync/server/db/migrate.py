"""Migrations of the server database (Alembic, configured from code) and the runtime grants.

Migrations run as the owner role. After them, ``grant_runtime`` gives the runtime role what it
needs and nothing more: reads and writes on tenant tables (inserts and reads only on the
append-only ledger tables), the rate-limit table, and the sign-in lookup functions; it owns
nothing, so row-level security (FORCE) always applies to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from sync.server.db.models import APPEND_ONLY_TABLES, TENANT_TABLES

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION: Final = Path(__file__).resolve().parent.parent / "migrations"
RUNTIME_FUNCTIONS: Final = (
    "sitesync_find_login(text)",
    "sitesync_claim_login(text, uuid)",
    "sitesync_release_login(text)",
    "sitesync_find_organization(text)",
    "sitesync_claim_organization_name(text)",
)
"""The SECURITY DEFINER functions the runtime role may call (cross-tenant lookups by key)."""


def alembic_config() -> Config:
    """The Alembic configuration of the server database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest migration this version of the server ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the server has no migrations")
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's schema revision, or None before the first migration."""
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT to_regclass('public.alembic_version')"))
        if found.scalar() is None:
            return None
        row = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return row.scalar()


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _grant(connection: Connection, role: str) -> None:
    quoted = connection.dialect.identifier_preparer.quote(role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
    for table in sorted(TENANT_TABLES - APPEND_ONLY_TABLES):
        connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {quoted}"))
    for table in sorted(APPEND_ONLY_TABLES):
        connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}"))
        connection.execute(text(f"GRANT SELECT, INSERT ON {table} TO {quoted}"))
    connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO {quoted}"))
    connection.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))
    connection.execute(text(f"REVOKE ALL ON login_directory FROM {quoted}"))
    connection.execute(text(f"REVOKE ALL ON organization_directory FROM {quoted}"))
    for function in RUNTIME_FUNCTIONS:
        connection.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}"))


async def upgrade(engine: AsyncEngine, runtime_role: str, revision: str = "head") -> None:
    """Migrate to ``revision`` and grant the runtime role its privileges, in one transaction.

    ``engine`` connects as the owner role.
    """
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
        await conn.run_sync(_grant, runtime_role)
