"""The local SQLite store: event log, projections, unit of work, migrations and blobs."""

from app.store.database import Store, StoreMeta, open_store
from app.store.uow import SqliteUnitOfWork

__all__ = ["SqliteUnitOfWork", "Store", "StoreMeta", "open_store"]
