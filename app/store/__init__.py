"""The local SQLite store: event log, projections, unit of work, migrations and blobs."""

from app.store.database import Store, StoreMeta, open_store
from app.store.reading import StoreReader, open_store_for_reading
from app.store.uow import SqliteUnitOfWork

__all__ = [
    "SqliteUnitOfWork",
    "Store",
    "StoreMeta",
    "StoreReader",
    "open_store",
    "open_store_for_reading",
]
