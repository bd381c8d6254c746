"""Stores joined from the server's snapshot cannot be refolded from their log alone.

Such a store holds the records' state at the snapshot (``sync_bases``), not the events that
built it: rebuilding its projections from the log, or comparing them with a refold, would lose
or misreport every record begun before it joined. Both are refused before anything happens.
"""

from __future__ import annotations

from app.domain.errors import StoreError
from app.store.compiled_sql import Db


async def refuse_if_from_snapshot(db: Db, action: str) -> None:
    """Raise StoreError when the store's records start in a snapshot; ``action`` for the message."""
    row = await db.fetchone("SELECT count(*) FROM sync_bases")
    records = int(row[0]) if row else 0
    if records:
        raise StoreError(
            f"This store was joined from the server's snapshot: the state of its records at "
            f"that point ({records}) is not in its log, so {action} from the log alone would "
            "lose it. Nothing was changed.",
            hint="'sitesync audit verify --db' checks its chain; for a fresh copy of the "
            "organization, sign in on a new store ('sitesync login --db NEW_FILE').",
        )
