"""The single writer connection: its lock, its committed-state cache and its transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Final

from pydantic import BaseModel

from app.domain.errors import StoreError
from app.services.ports import ChainHead
from app.store.compiled_sql import Db
from app.store.mapping import ProjectionMapping
from app.store.write_behind import MISSING, CommittedCache, Overlay, WriteSet, parse_heads

FLUSH_EVENTS: Final = 5_000
"""A batch writes its staged rows out once this many events are waiting (bounds memory)."""

_DEVICE_HEAD = "SELECT device_seq, hash FROM device_heads WHERE device_id = ?"
_ENTITY_HEADS = "SELECT hashes FROM entity_heads WHERE entity_id = ?"
_WITH_HEADS = "SELECT entity_id FROM entity_heads"


class Writer:
    """Owns the writer connection; one unit of work or batch at a time holds it."""

    def __init__(self, db: Db, *, after_commit: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.cache = CommittedCache()
        self.after_commit = after_commit
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

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


class Transaction:
    """One database transaction: a single unit of work's, or shared by the units of a batch.

    A unit keeps its changes in memory (its reads and queries see them there) and hands them
    to the transaction when it commits, so a unit that fails has written nothing and rolls
    back alone, without a SAVEPOINT. The transaction writes the finished units' rows at the
    next flush: when it commits, when a query needs one table up to date, or once
    ``FLUSH_EVENTS`` events wait. A batch commits every ``commit_every`` units; until then a
    unit's ``commit`` only marks progress.
    """

    def __init__(self, writer: Writer, *, shared: bool, commit_every: int = 1) -> None:
        self.writer = writer
        self.shared = shared
        self.commit_every = commit_every
        self.dirty = Overlay()
        self.staged = WriteSet()
        self.units = 0
        self.active: object | None = None

    async def flush(self) -> None:
        """Write the rows of every finished unit."""
        if self.staged:
            await self._writing(self.staged.flush(self.writer.db))

    async def flush_events(self) -> None:
        """Write the finished units' event rows (a query of the log is coming)."""
        if self.staged.events:
            await self._writing(self.staged.flush_events(self.writer.db))

    async def flush_projections(self, mapping: ProjectionMapping[Any]) -> None:
        """Write the finished units' projections of one kind (a query of them is coming)."""
        if mapping in self.staged.projections:
            await self._writing(self.staged.flush_projections(self.writer.db, mapping))

    async def finish_unit(self, staged: WriteSet) -> None:
        """Take in a committed unit's changes; commit the transaction when it is due."""
        self.dirty.update(staged)
        self.staged.absorb(staged)
        self.units += 1
        if not self.shared or self.units >= self.commit_every:
            await self.commit()
        elif len(self.staged.events) >= FLUSH_EVENTS:
            await self.flush()

    async def undo_unit(self) -> None:
        """Drop a unit that did not commit: it wrote nothing, so only a lone unit rolls back."""
        if not self.shared:
            await self.abort()

    async def commit(self) -> None:
        """Flush and COMMIT; only then does the store's cache learn what changed."""
        await self.flush()
        wrote = self.writer.db.in_transaction
        if wrote:
            await self._writing(self.writer.db.commit())
        self.writer.cache.absorb(self.dirty)
        self._reset()
        if wrote:
            self.writer.after_commit()

    async def abort(self) -> None:
        """Roll back everything since the last COMMIT."""
        self._reset()
        await self.writer.db.rollback()

    async def _writing(self, step: Coroutine[Any, Any, None]) -> None:
        # the first write opens the transaction by itself (engines.writer_engine)
        try:
            await step
        except BaseException as exc:
            # whatever happened (disk full, cancelled mid-COMMIT), the cache must not guess
            self.writer.cache.clear()
            try:
                await self.abort()
            except StoreError as failed:
                exc.add_note(f"Rolling back afterwards failed too: {failed}")
            raise

    def _reset(self) -> None:
        self.dirty.clear()
        self.staged.clear()
        self.units = 0
