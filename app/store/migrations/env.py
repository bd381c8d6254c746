"""Alembic environment: runs inside the connection and transaction ``app.store.migrate`` opens.

The caller passes its connection in ``config.attributes["connection"]`` with a transaction
already begun, so every migration step (SQLite DDL is transactional) commits or rolls back
together: a failed or interrupted migration leaves the file at its previous revision.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

import app.store.projections  # (registers the projection tables)
import app.store.sync_schema  # (registers the sync state tables)
import app.store.witness_schema  # noqa: F401  (registers the witness tables)
from app.store.schema import TIMESTAMP, Base, UtcTimestamp

config = context.config


def _render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    # new revisions must not import application types: render what the database sees
    if kind == "type" and isinstance(item, UtcTimestamp):
        return f"sa.String(length={TIMESTAMP})"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        transactional_ddl=True,
        render_item=_render_item,
    )


def run() -> None:
    """Run the migrations on the caller's connection."""
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "Store migrations run through app.store.migrate (open_store), which supplies the "
            "connection; they are not meant to be started with the alembic command."
        )
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


run()
