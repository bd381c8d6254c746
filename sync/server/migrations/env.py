"""Alembic environment of the server database: runs on the connection the caller passes.

``sync.server.db.migrate`` opens a connection as the owner role, begins a transaction and
passes it in ``config.attributes["connection"]``; PostgreSQL's DDL is transactional, so an
upgrade commits whole or not at all.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from sync.server.db.models import Base

config = context.config


def run() -> None:
    """Run the migrations on the caller's connection."""
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "Server migrations run through 'sitesync-server migrate', which supplies the "
            "connection; they are not meant to be started with the alembic command."
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
