"""Hand-written fakes behind the Protocols of ``app.services.ports``, for unit and UI tests.

``store``: the in-memory store (state, units of work, repositories, event log); ``effects``:
clock, ids, key store, blobs, snapshots, a gated compute runner and ``make_context``.
"""

from tests.fakes.effects import (
    ADMIN_ID,
    DEVICE_ID,
    ORGANIZATION_ID,
    FixedClock,
    GatedCompute,
    MemoryBlobStore,
    MemoryKeyStore,
    MemorySnapshotStore,
    SequentialIds,
    as_actor,
    make_context,
)
from tests.fakes.store import InMemoryStore, InMemoryUnitOfWork, StoreState

__all__ = [
    "ADMIN_ID",
    "DEVICE_ID",
    "ORGANIZATION_ID",
    "FixedClock",
    "GatedCompute",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "MemoryBlobStore",
    "MemoryKeyStore",
    "MemorySnapshotStore",
    "SequentialIds",
    "StoreState",
    "as_actor",
    "make_context",
]
