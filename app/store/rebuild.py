"""Rebuild every projection by folding the whole event log again: projections are a cache.

Streams the log in pages and writes in batches, so memory stays bounded however long the log
is; everything happens in one transaction, so an interrupted rebuild leaves the old projections.
The fold is the one the incremental path runs (``reduce`` and ``status_change_of``; an event the
reducers refuse is marked rejected again and applied to nothing), and entity heads are
recomputed the way ``EventLog.append`` moves them. Device heads are left alone: the
database keeps them with every event inserted (``schema.DEVICE_HEAD_TRIGGER``).
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Final

from pydantic import BaseModel

from app.domain.errors import EventRejected
from app.domain.events import Event, Rejection
from app.domain.fold import kind_refusal
from app.domain.reducers import reduce, status_change_of
from app.store.committed_cache import MISSING, BoundedCache, ProjectionKey
from app.store.compiled_sql import Db
from app.store.eventlog import decoded_events
from app.store.mapping import (
    ALL_MAPPINGS,
    ENTITY_MAPPINGS,
    REJECTIONS,
    STATUS_CHANGES,
    ProjectionMapping,
)
from app.store.schema import EntityHeadRow, SnapshotRow
from app.store.write_behind import WriteSet
from app.store.writer_connection import Writer, parse_heads

CACHED_ENTITIES: Final = 50_000

_ENTITY_HEADS = "SELECT hashes FROM entity_heads WHERE entity_id = ?"


class _Fold:
    """The fold's working state: staged rows, recently folded entities, what exists already."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.staged = WriteSet()
        self.projections: BoundedCache[ProjectionKey, BaseModel] = BoundedCache(CACHED_ENTITIES)
        self.heads: BoundedCache[str, tuple[str, ...]] = BoundedCache(CACHED_ENTITIES)
        # every projection was deleted: an entity not folded yet has no row, no query needed
        self.folded: set[str] = set()
        self.kinds: dict[str, str] = {}
        """The entity type each id names, from its first event applied (``kind_refusal``)."""

    async def projection(self, mapping: ProjectionMapping[BaseModel], key: str) -> BaseModel | None:
        staged = self.staged.projection(mapping, key)
        if staged is not MISSING:
            return staged  # type: ignore[return-value]
        hit = self.projections.get((mapping, key))
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        if key not in self.folded:
            return None
        row = await self.db.fetchone(mapping.get.text, (key,))
        return None if row is None else mapping.load(row[0])

    async def entity_heads(self, key: str) -> tuple[str, ...]:
        if key in self.staged.entity_heads:
            return self.staged.entity_heads[key]
        hit = self.heads.get(key)
        if hit is not MISSING:
            return hit  # type: ignore[return-value]
        if key not in self.folded:
            return ()
        row = await self.db.fetchone(_ENTITY_HEADS, (key,))
        return () if row is None else parse_heads(row[0])

    async def apply(self, event: Event, parents: list[str]) -> None:
        key = str(event.entity_id)
        mapping = ENTITY_MAPPINGS.get(event.entity_type)
        current = None if mapping is None else await self.projection(mapping, key)
        refusal = kind_refusal(self.kinds.get(key), event)
        try:
            if refusal is not None:
                raise EventRejected(refusal)
            item = reduce(current, event)  # raises for an unknown entity type, too
        except EventRejected as exc:
            self.staged.put(REJECTIONS, Rejection.of(event, exc.reason))
            item = None
        except Exception as exc:
            exc.add_note(f"while folding event {event.event_id} ({event.type}) during a rebuild")
            raise
        if item is not None:
            assert mapping is not None
            self.kinds.setdefault(key, event.entity_type)
            self.staged.put(mapping, item)
            change = status_change_of(event)
            if change is not None:
                self.staged.put(STATUS_CHANGES, change)
        known = set(parents)
        old = await self.entity_heads(key)
        self.staged.entity_heads[key] = tuple(
            sorted({h for h in old if h not in known} | {event.hash})
        )
        self.folded.add(key)

    async def flush(self) -> None:
        for mapping, items in self.staged.projections.items():
            if mapping is not STATUS_CHANGES and mapping is not REJECTIONS:
                for key, item in items.items():
                    self.projections.put((mapping, key), item)
        self.heads.update(self.staged.entity_heads)
        await self.staged.flush(self.db)


async def rebuild_projections(writer: Writer, *, batch: int = 5000) -> int:
    """Fold the whole log into fresh projections in one transaction; returns the event count."""
    db = writer.db
    writer.cache.clear()
    fold = _Fold(db)
    count = 0
    tables = (
        *(mapping.table_name for mapping in ALL_MAPPINGS),
        EntityHeadRow.__tablename__,
        SnapshotRow.__tablename__,  # derived from the old projections
    )
    try:
        await db.begin()
        for table in tables:
            await db.execute(f"DELETE FROM {table}")  # table names are constants
        async with aclosing(decoded_events(db, batch=batch)) as events:
            async for event, parents in events:
                await fold.apply(event, parents)
                count += 1
                if count % batch == 0:
                    await fold.flush()
        await fold.flush()
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    finally:
        writer.cache.clear()  # it may hold state from before the rebuild or from a failed one
    return count
