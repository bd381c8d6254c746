"""The single writer connection: who holds it, and committed state read through its cache.

One unit of work, batch or maintenance job at a time holds the ``Writer``; the transactions
it runs are ``write_behind.Transaction``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel

from app.services.ports import ChainHead
from app.store.committed_cache import MISSING, CommittedCache
from app.store.compiled_sql import Db
from app.store.mapping import ProjectionMapping

_DEVICE_HEAD = "SELECT device_seq, hash FROM device_heads WHERE device_id = ?"
_ENTITY_HEADS = "SELECT hashes FROM entity_heads WHERE entity_id = ?"
_WITH_HEADS = "SELECT entity_id FROM entity_heads"


class Writer:
    """Owns the writer connection; one unit of work or batch at a time holds it."""

    def __init__(
        self,
        db: Db,
        *,
        after_commit: Callable[[], None] = lambda: None,
        gate: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.db = db
        self.cache = CommittedCache()
        self.after_commit = after_commit
        self.gate = gate
        """Awaited before a transaction writes; raises when writing is not allowed."""
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._data_version: int | None = None
        """SQLite's count of other connections' commits when this writer last looked."""

    @property
    def busy(self) -> bool:
        """Whether a unit of work, batch or maintenance job holds the writer now."""
        return self._lock.locked()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the writer for one unit of work, batch or maintenance job."""
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            raise RuntimeError(
                "This task already holds the store's writer (a unit of work or batch is open); "
                "nesting another would wait for itself forever."
            )
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None

    async def begin_fresh(self) -> None:
        """Take the write lock now (BEGIN IMMEDIATE), then drop the cache if it may be stale.

        The cache is sound only while this connection is the store's one writer: when another
        program committed since this writer last looked (``PRAGMA data_version`` moved), what
        it cached may be out of date, and is forgotten.
        """
        await self.db.begin()
        row = await self.db.fetchone("PRAGMA data_version")
        version = None if row is None else int(row[0])
        if version != self._data_version:
            self.cache.clear()
            self._data_version = version

    async def projection(
        self, mapping: ProjectionMapping[Any], key: str, *, with_heads: bool = False
    ) -> BaseModel | None:
        """Committed state of one projection, from the cache or the database.

        ``with_heads`` also fetches the entity's committed heads in the same round trip, as
        recording an event about it will ask for them next (pass it only when the unit has no
        uncommitted heads for the entity).
        """
        hit = self.cache.projections.get((mapping, key))
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        known = self.cache.keys.get(mapping)
        if known is None:  # one query now saves one for every entity created from here on
            rows = await self.db.fetchall(mapping.all_keys.text)
            known = self.cache.keys[mapping] = {str(row[0]) for row in rows}
        if key not in known:
            return None
        doc = None
        if with_heads and self.cache.entity_heads.get(key) is MISSING:
            row = await self.db.fetchone(mapping.get_with_heads.text, (key, key))
            if row is not None:
                doc, hashes = row
                self.cache.entity_heads.put(key, () if hashes is None else parse_heads(hashes))
        else:
            row = await self.db.fetchone(mapping.get.text, (key,))
            doc = None if row is None else row[0]
        item = None if doc is None else mapping.load(doc)
        self.cache.projections.put((mapping, key), item)
        return item

    async def device_head(self, device_id: str) -> ChainHead | None:
        """Committed chain head of a device."""
        hit = self.cache.device_heads.get(device_id)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        row = await self.db.fetchone(_DEVICE_HEAD, (device_id,))
        head = None if row is None else ChainHead(row[0], row[1])
        self.cache.device_heads.put(device_id, head)
        return head

    async def entity_heads(self, entity_id: str) -> tuple[str, ...]:
        """Committed head hashes of an entity."""
        hit = self.cache.entity_heads.get(entity_id)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        known = self.cache.with_heads
        if known is None:  # one query now saves one for every entity created from here on
            rows = await self.db.fetchall(_WITH_HEADS)
            known = self.cache.with_heads = {str(row[0]) for row in rows}
        if entity_id not in known:
            return ()
        row = await self.db.fetchone(_ENTITY_HEADS, (entity_id,))
        heads = () if row is None else parse_heads(row[0])
        self.cache.entity_heads.put(entity_id, heads)
        return heads


def parse_heads(text: str) -> tuple[str, ...]:
    """The hashes stored in ``entity_heads.hashes`` (a JSON list)."""
    hashes: list[str] = json.loads(text)
    return tuple(hashes)
