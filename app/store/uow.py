"""The SQLite unit of work (``app.services.ports.UnitOfWork``) and its event log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, aclosing
from operator import itemgetter
from types import TracebackType
from typing import Any, Final, Self, cast
from uuid import UUID

from pydantic import BaseModel

from app.audit.envelope import SealedEvent
from app.domain.errors import ChainContinuityError
from app.domain.events import Event
from app.services.ports import (
    ChainHead,
    CustomerRepository,
    DeficiencyRepository,
    ElevatorRepository,
    EventLog,
    IncidentRepository,
    InspectionRepository,
    LogMark,
    OrganizationRepository,
    RejectionRepository,
    SiteRepository,
    StatusHistoryRepository,
    UnitOfWork,
    UserRepository,
    VisitRepository,
)
from app.store.committed_cache import MISSING
from app.store.compiled_sql import Row, Sql
from app.store.errors import CONCURRENT_HINT
from app.store.eventlog import decode_event, entity_events, event_row
from app.store.mapping import ProjectionMapping
from app.store.projection_queries import Query
from app.store.repositories import (
    SqliteCustomerRepository,
    SqliteDeficiencyRepository,
    SqliteElevatorRepository,
    SqliteIncidentRepository,
    SqliteInspectionRepository,
    SqliteOrganizationRepository,
    SqliteRejectionRepository,
    SqliteSiteRepository,
    SqliteStatusHistoryRepository,
    SqliteUserRepository,
    SqliteVisitRepository,
)
from app.store.write_behind import EVENT_COLUMNS, Transaction, WriteSet
from app.store.writer_connection import Writer

SCAN_BATCH: Final = 2_000
"""Rows fetched at a time by whole-table reads (``scan``): raw rows of one batch at most."""

_LAST_EVENT = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_HASH_AT = "SELECT hash FROM events WHERE position = ?"
_ENTITIES_AFTER = "SELECT DISTINCT entity_type, entity_id FROM events WHERE position > ? LIMIT ?"
_CANONICAL = EVENT_COLUMNS.index("canonical")
_HASH = EVENT_COLUMNS.index("hash")
_ENTITY_ID = EVENT_COLUMNS.index("entity_id")
_ENTITY_TYPE = EVENT_COLUMNS.index("entity_type")


class SqliteUnitOfWork:
    """One user action: reads see its own staged changes; ``commit`` makes them durable.

    Standalone (``Store.unit_of_work()``) it holds the writer for its whole life and commits
    for real. Inside ``Store.batch()`` it shares the batch's transaction and ``commit`` only
    marks progress. Leaving the ``async with`` without ``commit`` rolls everything back.
    """

    organizations: OrganizationRepository
    rejections: RejectionRepository
    users: UserRepository
    customers: CustomerRepository
    sites: SiteRepository
    elevators: ElevatorRepository
    status_history: StatusHistoryRepository
    visits: VisitRepository
    deficiencies: DeficiencyRepository
    incidents: IncidentRepository
    inspections: InspectionRepository
    events: EventLog

    def __init__(self, writer: Writer, batch: Transaction | None = None) -> None:
        self._writer = writer
        self._batch = batch
        self._txn: Transaction | None = None
        self._staged = WriteSet()  # what this unit changed; none of it is in the database yet
        self._state = "new"
        self._hold: AbstractAsyncContextManager[None] | None = None
        self.organizations = SqliteOrganizationRepository(self)
        self.rejections = SqliteRejectionRepository(self)
        self.users = SqliteUserRepository(self)
        self.customers = SqliteCustomerRepository(self)
        self.sites = SqliteSiteRepository(self)
        self.elevators = SqliteElevatorRepository(self)
        self.status_history = SqliteStatusHistoryRepository(self)
        self.visits = SqliteVisitRepository(self)
        self.deficiencies = SqliteDeficiencyRepository(self)
        self.incidents = SqliteIncidentRepository(self)
        self.inspections = SqliteInspectionRepository(self)
        self.events = SqliteEventLog(self)

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("A unit of work serves one action; ask the factory for a new one.")
        if self._batch is None:
            hold = self._writer.exclusive()
            await hold.__aenter__()
            self._hold = hold
            self._txn = Transaction(self._writer, shared=False)
        else:
            if self._batch.active is not None:
                raise RuntimeError("The units of work of one batch must run one after another.")
            self._batch.active = self
            self._txn = self._batch
        self._state = "open"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._state == "open":
                await self.rollback()
        finally:
            if self._hold is not None:
                await self._hold.__aexit__(None, None, None)
            elif self._batch is not None:
                self._batch.active = None

    async def commit(self) -> None:
        """Make the unit's changes durable (in a batch: part of the batch's next commit)."""
        txn = self._open()
        self._state = "done"
        await txn.finish_unit(self._staged)

    async def rollback(self) -> None:
        """Forget the unit's changes."""
        txn = self._open()
        self._state = "done"
        self._staged.clear()
        await txn.undo_unit()

    def _open(self) -> Transaction:
        if self._state != "open" or self._txn is None:
            raise RuntimeError(
                "Use the unit of work inside 'async with', before commit() or rollback()."
            )
        return self._txn

    # -- what repositories use (repositories.UnitContext) -----------------------------------

    async def load[T: BaseModel](self, mapping: ProjectionMapping[T], key: str) -> T | None:
        """The projection staged in this unit or its batch, else the committed one."""
        txn = self._open()
        overlays = (self._staged, txn.dirty)
        for overlay in overlays:
            found = overlay.projection(mapping, key)
            if found is not MISSING:
                return cast(T, found)
        clean = all(key not in overlay.entity_heads for overlay in overlays)
        return cast(T | None, await self._writer.projection(mapping, key, with_heads=clean))

    def stage(self, mapping: ProjectionMapping[Any], item: BaseModel) -> None:
        """Stage an insert-or-replace of a projection."""
        self._open()
        self._staged.put(mapping, item)

    async def query[T: BaseModel](self, query: Query[T], values: Mapping[str, Any]) -> list[T]:
        """Run a query, with this unit's own changes laid over the database's answer."""
        txn = self._open()
        mapping = query.mapping
        await txn.flush_projections(mapping)  # finished units' rows: the database has the rest
        rows = await self._writer.db.run(query.sql, values)
        own = self._staged.projections.get(mapping)
        if not own:
            return [mapping.load(row[0]) for row in rows]
        ranked = [(query.stored_sort_key(r), mapping.load(r[0])) for r in rows if r[1] not in own]
        for item in own.values():
            row = mapping.columns_of(cast(T, item))
            if query.matches(row, values):
                ranked.append((query.sort_key(row), cast(T, item)))
        ranked.sort(key=itemgetter(0))  # stable: stored rows first among equals, as in SQL
        return [item for _, item in ranked]

    async def scan[R](
        self,
        mapping: ProjectionMapping[Any],
        sql: Sql,
        load: Callable[[Row], R],
        values: Mapping[str, Any] | None = None,
    ) -> list[R] | None:
        """Every stored row ``sql`` selects, ``load``-ed a batch at a time (one query).

        None when this unit has uncommitted projections of that kind: they are not in the
        database yet, so the caller answers through ``query``, which lays them over.
        """
        txn = self._open()
        if self._staged.projections.get(mapping):
            return None
        await txn.flush_projections(mapping)
        found: list[R] = []
        stream = self._writer.db.stream(sql, values, batch=SCAN_BATCH)
        async with aclosing(stream) as batches:
            async for rows in batches:
                found.extend(map(load, rows))
        return found

    # -- what the event log uses ------------------------------------------------------------

    async def device_head(self, device_id: str) -> ChainHead | None:
        """The device's chain head as this unit sees it."""
        txn = self._open()
        for overlay in (self._staged, txn.dirty):
            if device_id in overlay.device_heads:
                return overlay.device_heads[device_id]
        return await self._writer.device_head(device_id)

    async def entity_heads(self, entity_id: str) -> tuple[str, ...]:
        """The entity's head hashes as this unit sees them."""
        txn = self._open()
        for overlay in (self._staged, txn.dirty):
            if entity_id in overlay.entity_heads:
                return overlay.entity_heads[entity_id]
        return await self._writer.entity_heads(entity_id)

    async def stage_event(self, sealed: SealedEvent) -> None:
        """Stage a sealed event and move its device's and its entity's heads onto it."""
        self._open()
        body = sealed.body
        head = await self.device_head(body.device_id)
        if head is not None and (
            body.device_seq != head.device_seq + 1 or body.prev_hash != head.hash
        ):
            raise ChainContinuityError(
                f"Event {body.event_id} (device {body.device_id}, seq {body.device_seq}) does "
                f"not continue the device's chain, which ends at seq {head.device_seq}.",
                hint=CONCURRENT_HINT,
            )
        current = await self.entity_heads(body.entity_id)
        if current == tuple(body.entity_parents):  # the usual case: the writer knew every head
            heads: tuple[str, ...] = (sealed.hash,)
        else:
            parents = set(body.entity_parents)
            heads = tuple(sorted({h for h in current if h not in parents} | {sealed.hash}))
        new_head = ChainHead(body.device_seq, sealed.hash)
        self._staged.events.append(event_row(sealed))
        self._staged.entity_heads[body.entity_id] = heads
        self._staged.device_heads[body.device_id] = new_head

    async def log_mark(self) -> LogMark:
        """Where the log ends, counting this unit's staged events."""
        txn = self._open()
        await txn.flush_events()
        row = await self._writer.db.fetchone(_LAST_EVENT)
        mark = LogMark() if row is None else LogMark(int(row[0]), str(row[1]))
        own = self._staged.events
        return LogMark(mark.position + len(own), str(own[-1][_HASH])) if own else mark

    async def entities_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        """The entities with events after ``mark``; None past ``limit`` or if ``mark`` is gone."""
        txn = self._open()
        await txn.flush_events()
        if mark.position:
            row = await self._writer.db.fetchone(_HASH_AT, (mark.position,))
            if row is None or row[0] != mark.hash:
                return None
        rows = await self._writer.db.fetchall(_ENTITIES_AFTER, (mark.position, limit + 1))
        found = {(str(kind), UUID(entity)) for kind, entity in rows}
        found.update((str(r[_ENTITY_TYPE]), UUID(r[_ENTITY_ID])) for r in self._staged.events)
        return found if len(found) <= limit else None

    async def recorded_events(self, entity_id: UUID) -> list[Event]:
        """The entity's events including this unit's staged ones, in recording order."""
        txn = self._open()
        await txn.flush_events()
        found = [event async for event in entity_events(self._writer.db, entity_id)]
        key = str(entity_id)
        found.extend(
            decode_event(row[_CANONICAL], row[_HASH])
            for row in self._staged.events
            if row[_ENTITY_ID] == key
        )
        return found


class SqliteEventLog:
    """``ports.EventLog`` over the unit's staged events and the ``events`` table."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    async def head(self, device_id: UUID) -> ChainHead | None:
        """The device's last event, or None before its first."""
        return await self._unit.device_head(str(device_id))

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        """Hashes of the entity's latest events (its ``entity_parents`` for the next event)."""
        return list(await self._unit.entity_heads(str(entity_id)))

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        """Store the sealed event and make it the head of its device and its entity."""
        await self._unit.stage_event(sealed)

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        """The entity's events in the order they were recorded."""
        return await self._unit.recorded_events(entity_id)

    async def mark(self) -> LogMark:
        """Where the log ends now, as this unit of work sees it."""
        return await self._unit.log_mark()

    async def changed_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        """``(entity_type, entity_id)`` of the events after ``mark``; see ``ports.EventLog``."""
        return await self._unit.entities_since(mark, limit)


def _conforms(unit: SqliteUnitOfWork) -> UnitOfWork:
    return unit  # mypy checks here that SqliteUnitOfWork satisfies the ports contract
