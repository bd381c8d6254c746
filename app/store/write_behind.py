"""Buffered writes and the caches layered over the database.

A unit of work does not write row by row: it stages changes in a ``WriteSet`` and they are
written with one ``executemany`` per table after it commits. Projections and heads are keyed,
so an entity changed ten times in a batch is written once. Reads look through the layers newest
first: the unit's staged changes, those of its batch, the store's cache of committed state,
then the database. Only committed state ever reaches the store's cache, so a rollback needs
nothing more than dropping the staged layers.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlalchemy.dialects.sqlite import insert

from app.services.ports import ChainHead
from app.store.compiled_sql import Db, Sql, compile_sql
from app.store.mapping import STATUS_CHANGES, ProjectionMapping
from app.store.schema import EntityHeadRow, EventRow

type ProjectionKey = tuple[ProjectionMapping[Any], str]

MISSING: Final = object()
"""What a cache lookup returns when it does not know (as opposed to knowing there is none)."""


EVENT_COLUMNS: Final = (
    "event_id",
    "device_id",
    "device_seq",
    "prev_hash",
    "hash",
    "signature",
    "canonical",
    "entity_type",
    "entity_id",
    "type",
    "type_version",
    "occurred_at",
    "actor_id",
)
"""The columns an event row is written with, in the order ``eventlog.event_row`` builds it."""


def _insert_events() -> Sql:
    statement = compile_sql(insert(EventRow).values({n: bindparam(n) for n in EVENT_COLUMNS}))
    if statement.names != EVENT_COLUMNS:  # rows are positional: the order is the contract
        raise RuntimeError(f"events insert binds {statement.names}, not {EVENT_COLUMNS}")
    return statement


def _upsert_entity_head() -> Sql:
    statement = insert(EntityHeadRow).values(
        entity_id=bindparam("entity_id"), hashes=bindparam("hashes")
    )
    return compile_sql(
        statement.on_conflict_do_update(
            index_elements=["entity_id"], set_={"hashes": statement.excluded.hashes}
        )
    )


def parse_heads(text: str) -> tuple[str, ...]:
    """The hashes stored in ``entity_heads.hashes`` (a JSON list)."""
    hashes: list[str] = json.loads(text)
    return tuple(hashes)


INSERT_EVENT: Final = _insert_events()
UPSERT_ENTITY_HEAD: Final = _upsert_entity_head()


class Overlay:
    """Keyed state written but not yet committed: what later reads must see first."""

    __slots__ = ("device_heads", "entity_heads", "projections")

    def __init__(self) -> None:
        self.projections: dict[ProjectionMapping[Any], dict[str, BaseModel]] = {}
        self.entity_heads: dict[str, tuple[str, ...]] = {}
        self.device_heads: dict[str, ChainHead] = {}  # for reads only: a trigger writes them

    def projection(self, mapping: ProjectionMapping[Any], key: str) -> BaseModel | object:
        """The projection written under ``key``, or ``MISSING``."""
        items = self.projections.get(mapping)
        return MISSING if items is None else items.get(key, MISSING)

    def put(self, mapping: ProjectionMapping[Any], item: BaseModel) -> None:
        """Write a projection (replacing any earlier version)."""
        items = self.projections.get(mapping)
        if items is None:
            items = self.projections[mapping] = {}
        items[mapping.key_of(item)] = item

    def update(self, other: Overlay) -> None:
        """Lay ``other`` (newer) over this overlay."""
        for mapping, items in other.projections.items():
            mine = self.projections.get(mapping)
            if mine is None:
                self.projections[mapping] = dict(items)
            else:
                mine.update(items)
        self.entity_heads.update(other.entity_heads)
        self.device_heads.update(other.device_heads)

    def clear(self) -> None:
        """Forget everything."""
        self.projections.clear()
        self.entity_heads.clear()
        self.device_heads.clear()


class WriteSet(Overlay):
    """Changes staged for the database: event rows in order, plus the keyed overlay."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[Any, ...]] = []

    def __bool__(self) -> bool:
        return bool(self.events or self.projections or self.entity_heads or self.device_heads)

    def absorb(self, other: WriteSet) -> None:
        """Append ``other``'s (later) changes to this set."""
        self.update(other)
        self.events.extend(other.events)

    def clear(self) -> None:
        super().clear()
        self.events.clear()

    async def flush(self, db: Db) -> None:
        """Write everything staged, one statement per table, then forget it."""
        await self.flush_events(db)
        for mapping in list(self.projections):
            await self.flush_projections(db, mapping)
        if self.entity_heads:
            heads = [(key, json.dumps(list(v))) for key, v in self.entity_heads.items()]
            await db.executemany(UPSERT_ENTITY_HEAD.text, heads)
            self.entity_heads.clear()
        self.device_heads.clear()  # the database moves them itself (schema.DEVICE_HEAD_TRIGGER)

    async def flush_events(self, db: Db) -> None:
        """Write the staged event rows, in order."""
        if self.events:
            await db.executemany(INSERT_EVENT.text, self.events)
            self.events.clear()

    async def flush_projections(self, db: Db, mapping: ProjectionMapping[Any]) -> None:
        """Write the staged projections of one kind."""
        items = self.projections.pop(mapping, None)
        if items:
            await db.executemany(mapping.upsert.text, [mapping.values(i) for i in items.values()])


class BoundedCache[K, V]:
    """A dict that drops its oldest quarter when full (cheaper than LRU, good enough here)."""

    __slots__ = ("_data", "_limit")

    def __init__(self, limit: int) -> None:
        self._data: dict[K, V] = {}
        self._limit = limit

    def get(self, key: K) -> V | object:
        """The cached value, or ``MISSING``."""
        return self._data.get(key, MISSING)

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``, evicting the oldest entries if full."""
        data = self._data
        data[key] = value
        if len(data) > self._limit:
            for old in list(data)[: self._limit // 4]:
                del data[old]

    def update(self, items: dict[K, V]) -> None:
        """Remember many values."""
        for key, value in items.items():
            self.put(key, value)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class CommittedCache:
    """Committed state the writer has seen, so a command does not re-read what it just wrote.

    Sound only because this store is the one writer of its file: every change passes through
    ``absorb`` after its COMMIT. ``None`` values record that a row is known not to exist.
    """

    def __init__(self, *, projections: int = 20_000, heads: int = 50_000) -> None:
        self.projections: BoundedCache[ProjectionKey, BaseModel | None] = BoundedCache(projections)
        self.entity_heads: BoundedCache[str, tuple[str, ...]] = BoundedCache(heads)
        self.device_heads: BoundedCache[str, ChainHead | None] = BoundedCache(1_000)
        self.with_heads: set[str] | None = None
        """Every entity that has events, once loaded: a new entity then costs no query."""
        self.keys: dict[ProjectionMapping[Any], set[str]] = {}
        """Every stored key of a projection kind, once loaded (same purpose)."""

    def absorb(self, committed: Overlay) -> None:
        """Take in what a transaction just committed."""
        for mapping, items in committed.projections.items():
            if mapping is STATUS_CHANGES:
                continue  # history rows are never read back by key: keep the room for entities
            for key, item in items.items():
                self.projections.put((mapping, key), item)
            known = self.keys.get(mapping)
            if known is not None:
                known.update(items)
        self.entity_heads.update(committed.entity_heads)
        self.device_heads.update(dict(committed.device_heads))
        if self.with_heads is not None:
            self.with_heads.update(committed.entity_heads)

    def clear(self) -> None:
        """Forget everything (after a rebuild, or when a commit's outcome is unknown)."""
        self.projections.clear()
        self.entity_heads.clear()
        self.device_heads.clear()
        self.with_heads = None
        self.keys.clear()
