"""The write-behind unit of work: a small engine that stages changes and writes them late.

What is staged. A unit of work writes nothing while it runs: every change goes into its own
``WriteSet``: the new event rows in order, and the projections and entity heads keyed by
entity (an entity changed ten times is written once). Reads look through the layers newest
first: the unit's staged changes, those of the units before it in the same transaction
(``Transaction.dirty``), the store's cache of committed state (``committed_cache``), then the
database. Queries lay the unit's own changes over the database's answer
(``projection_queries``).

When it is flushed. A unit's ``commit`` hands its ``WriteSet`` to its ``Transaction``, which
writes the finished units' rows with one ``executemany`` per table: when it commits, when a
query needs one table up to date (``flush_projections``, ``flush_events``), and in a batch
once ``FLUSH_EVENTS`` events wait (bounding memory).

How a batch shares one transaction. A lone unit of work has a ``Transaction`` of its own and
commits at once. ``Store.batch`` opens one shared ``Transaction`` for many units, run one
after another while it holds the writer (``writer_connection``): a unit's ``commit`` only
marks progress, and the real COMMIT comes every ``commit_every`` units (or only at the end)
and when the batch ends.

What rollback undoes. A unit that fails has written nothing: dropping its ``WriteSet`` undoes
it, without a SAVEPOINT, and in a batch the units before it stay. ``Transaction.abort`` (an
exception out of a batch, a lone unit rolled back) drops everything staged and rolls the
database back to the last COMMIT. The committed cache only learns of changes after their
COMMIT, so a rollback never has to undo it; a write that fails midway (disk full, cancelled
during COMMIT) clears that cache, as what reached the file is then unknown.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlalchemy.dialects.sqlite import insert

from app.domain.errors import StoreError
from app.services.ports import ChainHead
from app.store.committed_cache import MISSING
from app.store.compiled_sql import Db, Sql, compile_sql
from app.store.mapping import ProjectionMapping
from app.store.schema import EntityHeadRow, EventRow
from app.store.writer_connection import Writer

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


FLUSH_EVENTS: Final = 5_000
"""A batch writes its staged rows out once this many events are waiting (bounds memory)."""


class Transaction:
    """One database transaction: a single unit of work's, or shared by the units of a batch.

    A unit keeps its changes in memory (its reads and queries see them there) and hands them
    to the transaction when it commits, so a unit that fails has written nothing and rolls
    back alone, without a SAVEPOINT. The transaction writes the finished units' rows at the
    next flush: when it commits, when a query needs one table up to date, or once
    ``FLUSH_EVENTS`` events wait. A batch commits every ``commit_every`` units; until then a
    unit's ``commit`` only marks progress.
    """

    def __init__(self, writer: Writer, *, shared: bool, commit_every: int | None = 1) -> None:
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
        if not self.shared or (self.commit_every is not None and self.units >= self.commit_every):
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
        if self.writer.gate is not None:
            try:
                await self.writer.gate()  # e.g. the background integrity check (integrity.py)
            except BaseException:
                step.close()
                raise
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
