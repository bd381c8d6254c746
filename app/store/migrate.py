"""Alembic, configured from code: no alembic.ini, script location inside this package.

Migrations run on a synchronous engine (callers use a worker thread) whose connections leave
transaction control to SQLAlchemy, which emits BEGIN IMMEDIATE itself. SQLite's DDL is
transactional, so the whole upgrade commits at once or not at all.

Alembic is imported only when a migration runs: a store already at ``SCHEMA_HEAD`` opens without
it, which keeps about a third of a second off every start of the app.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from app.store.engines import PRAGMAS

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCHEMA_HEAD: Final = "0008"
"""The newest revision among the shipped scripts (a test holds it equal to Alembic's head).

A store at this revision needs no migration, so opening it never loads Alembic. Tests that add
a revision of their own set this to it too.
"""

SCRIPT_LOCATION: Final = Path(__file__).parent / "migrations"
VERSION_LOCATIONS: list[Path] = [SCRIPT_LOCATION / "versions"]
"""Where revisions are found; tests append a directory to inject a revision of their own."""


def alembic_config() -> Config:
    """The Alembic configuration of the local store."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _escape(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(map(_escape, VERSION_LOCATIONS)))
    return config


def _escape(path: Path) -> str:
    return str(path).replace("%", "%%")  # ConfigParser interpolation


def script_directory() -> ScriptDirectory:
    """The migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The schema revision this version of SiteSync writes."""
    head = script_directory().get_current_head()
    if head is None:
        raise RuntimeError("the store has no migrations")
    return head


def is_known(revision: str) -> bool:
    """Whether this version of SiteSync knows ``revision`` (False: the store is newer)."""
    from alembic.util.exc import CommandError

    try:
        return script_directory().get_revision(revision) is not None
    except CommandError:
        return False


def migration_engine(path: Path) -> Engine:
    """A synchronous engine on ``path`` with transactional DDL."""
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy says BEGIN, so DDL is included
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(path: Path, revision: str = "head") -> None:
    """Bring the store at ``path`` to ``revision`` in one transaction."""
    from alembic import command

    _run(path, lambda config: command.upgrade(config, revision))


def downgrade(path: Path, revision: str) -> None:
    """Take the store at ``path`` back to ``revision`` in one transaction (development only)."""
    from alembic import command

    _run(path, lambda config: command.downgrade(config, revision))


def _run(path: Path, step: Any) -> None:
    engine = migration_engine(path)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            step(config)
    finally:
        engine.dispose()
