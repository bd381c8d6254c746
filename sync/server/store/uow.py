"""The PostgreSQL unit of work (``app.services.ports.UnitOfWork``) and its ledger-backed log.

One unit is one transaction with the tenant set. Repositories read through an identity map
and stage their writes; staged rows are written with one statement per table before a query
that needs them and at commit. Appending an event takes the organization's sequencer lock
(held to the end of the transaction), gives the event the next ledger index, folds it with the
shared conflict-aware fold (``app.domain.fold``) and stages the ledger entry; ``commit``
writes the entries, the Merkle nodes and the signed checkpoint of the new size, then commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.envelope import SealedEvent
from app.domain.errors import ConflictError
from app.domain.events import Event
from app.services.ports import (
    ChainHead,
    Clock,
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
from sync.server.ledger import store as ledger
from sync.server.store import mappings as m
from sync.server.store.appender import Appended, LedgerAppender, LedgerConfig
from sync.server.store.mappings import PgMapping
from sync.server.store.repositories import (
    PgCustomerRepository,
    PgDeficiencyRepository,
    PgElevatorRepository,
    PgIncidentRepository,
    PgInspectionRepository,
    PgOrganizationRepository,
    PgRejectionRepository,
    PgSiteRepository,
    PgStatusHistoryRepository,
    PgUserRepository,
    PgVisitRepository,
)

_SET_TENANT = text("SELECT set_config('app.current_org', :org, true)")
_MISSING = object()

type BeforeCommit = Callable[["PgUnitOfWork"], Awaitable[None]]
"""Server-side writes that belong in the same transaction as a use case's events."""


class PgUnitOfWork:
    """One transaction of one organization over projections and the ledger."""

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

    def __init__(
        self,
        engine: AsyncEngine,
        org: UUID,
        ledger_config: LedgerConfig,
        clock: Clock,
        *,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.org = org
        self._before_commit = before_commit
        self._engine = engine
        self._sa: AsyncConnection | None = None
        self._conn: asyncpg.Connection | None = None
        self._state = "new"
        self._cache: dict[tuple[str, UUID], Any] = {}
        self._dirty: dict[PgMapping[Any], dict[Any, tuple[BaseModel, int]]] = {}
        self.ledger = LedgerAppender(self, ledger_config, clock)
        self.organizations = PgOrganizationRepository(self)
        self.rejections = PgRejectionRepository(self)
        self.users = PgUserRepository(self)
        self.customers = PgCustomerRepository(self)
        self.sites = PgSiteRepository(self)
        self.elevators = PgElevatorRepository(self)
        self.status_history = PgStatusHistoryRepository(self)
        self.visits = PgVisitRepository(self)
        self.deficiencies = PgDeficiencyRepository(self)
        self.incidents = PgIncidentRepository(self)
        self.inspections = PgInspectionRepository(self)
        self.events = PgEventLog(self)

    # -- transaction ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("A unit of work serves one action; ask the factory for a new one.")
        sa = await self._engine.connect()
        try:
            await sa.begin()
            await sa.execute(_SET_TENANT, {"org": str(self.org)})
            raw = await sa.get_raw_connection()
            self._conn = raw.driver_connection
        except BaseException:
            await sa.close()
            raise
        self._sa = sa
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
            if self._sa is not None:
                await self._sa.close()
                self._sa = None

    @property
    def conn(self) -> asyncpg.Connection:
        """The asyncpg connection inside this unit's transaction."""
        if self._state != "open" or self._conn is None:
            raise RuntimeError("Use the unit of work inside 'async with', before commit.")
        return self._conn

    async def commit(self, *, then: BeforeCommit | None = None) -> None:
        """Write everything staged, the ledger entries and their checkpoint; then commit.

        ``then`` runs last inside the transaction (it sees the new checkpoint).
        """
        conn = self.conn
        if self._before_commit is not None:
            await self._before_commit(self)
        await self._flush_all()
        if self.ledger.pending:
            await self.ledger.write(conn)
        if then is not None:
            await then(self)
        assert self._sa is not None
        await self._sa.commit()
        self._state = "done"

    async def rollback(self) -> None:
        """Forget everything this unit did."""
        self.conn  # noqa: B018 (raises if not open)
        assert self._sa is not None
        self._state = "done"
        await self._sa.rollback()

    # -- projections (repositories.UnitContext) --------------------------------------------

    async def load[T: BaseModel](self, mapping: PgMapping[T], key: UUID) -> T | None:
        """The projection staged or stored under ``key``."""
        found = self._cache.get((mapping.table, key), _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        doc = await self.conn.fetchval(mapping.select_one, key)
        item = None if doc is None else mapping.load(doc)
        self._cache[(mapping.table, key)] = item
        return item

    def stage(self, mapping: PgMapping[Any], item: BaseModel) -> None:
        """Stage an insert-or-replace of a projection."""
        self.conn  # noqa: B018
        key = mapping.key_of(item)
        self._cache[(mapping.table, key)] = item
        self._dirty.setdefault(mapping, {})[key] = (item, self.ledger.last_index)

    async def query[T: BaseModel](self, mapping: PgMapping[T], sql: str, *args: Any) -> list[T]:
        """Run a query of ``mapping``'s table after writing its staged rows."""
        await self._flush(mapping)
        rows = await self.conn.fetch(sql, *args)
        return [mapping.load(row[0]) for row in rows]

    async def prefetch(self, by_type: Mapping[str, Iterable[UUID]]) -> None:
        """Load the projections and fold states of many entities in one round trip."""
        every = [i for ids in by_type.values() for i in ids]
        states = self.ledger.wanted_states(every)
        parts = [
            "SELECT 0, entity_id, entity_type, state::text FROM entity_states "
            "WHERE entity_id = ANY($1::uuid[])"
        ]
        args: list[Any] = [states]
        wanted: list[tuple[PgMapping[Any], list[UUID]]] = []
        for entity_type, ids in by_type.items():
            mapping = m.ENTITY_MAPPINGS.get(entity_type)
            if mapping is None:
                continue
            missing = [i for i in set(ids) if (mapping.table, i) not in self._cache]
            if missing:
                wanted.append((mapping, missing))
                args.append(missing)
                parts.append(
                    f"SELECT {len(wanted)}, {mapping.key_column}, NULL, doc::text "
                    f"FROM {mapping.table} WHERE {mapping.key_column} = ANY(${len(args)}::uuid[])"
                )
        if not states and not wanted:
            return
        rows = await self.conn.fetch(" UNION ALL ".join(parts), *args)
        self.ledger.add_states(states, [r[1:] for r in rows if r[0] == 0])
        for row in rows:
            if row[0]:
                mapping = wanted[row[0] - 1][0]
                self._cache[(mapping.table, row[1])] = mapping.load(row[3])
        for mapping, missing in wanted:
            for key in missing:
                self._cache.setdefault((mapping.table, key), None)

    async def _flush(self, mapping: PgMapping[Any]) -> None:
        staged = self._dirty.pop(mapping, None)
        if staged:
            rows = [mapping.row(self.org, item, index) for item, index in staged.values()]
            await self.conn.executemany(mapping.upsert, rows)

    async def _flush_all(self) -> None:
        for mapping in list(self._dirty):
            await self._flush(mapping)

    # -- the ledger (``appender.LedgerAppender``) --------------------------------------------

    @property
    def checkpoint(self) -> ledger.SignedTreeHead | None:
        """The checkpoint signed at commit (None when nothing was appended)."""
        return self.ledger.checkpoint

    async def lock_ledger(self) -> ledger.LedgerHead:
        """Take the organization's sequencer lock (once per unit) and return its head."""
        return await self.ledger.lock()

    async def device_head(self, device_id: UUID) -> ChainHead | None:
        """The device's chain head in the ledger, counting this unit's entries."""
        return await self.ledger.device_head(device_id)

    async def append_entry(
        self, sealed: SealedEvent, event: Event | None, reason: str | None, *, apply: bool
    ) -> Appended:
        """Append a verified event and fold it (see ``LedgerAppender.append``)."""
        return await self.ledger.append(sealed, event, reason, apply=apply)


class PgEventLog:
    """``ports.EventLog`` over the organization's ledger."""

    def __init__(self, unit: PgUnitOfWork) -> None:
        self._unit = unit

    async def head(self, device_id: UUID) -> ChainHead | None:
        """The device's last event; takes the ledger lock first (an append follows)."""
        await self._unit.ledger.lock()
        return await self._unit.ledger.device_head(device_id)

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        """Hashes of the entity's latest events (its ``entity_parents`` for the next event)."""
        return list((await self._unit.ledger.entity_state(entity_id)).heads)

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        """Append the event to the ledger; refuse it if the fold would reject it."""
        appended = await self._unit.ledger.append(sealed, event, None, apply=False)
        if appended.outcome == "rejected":
            raise ConflictError(appended.reason or "The event is not valid in the current state.")

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        """The entity's applied events in ledger order."""
        return await self._unit.ledger.recorded_events(entity_id)

    async def mark(self) -> LogMark:
        """Where the ledger ends now, as this unit sees it."""
        return await self._unit.ledger.log_mark()

    async def changed_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        """Entities with events after ``mark``; None past ``limit`` or if ``mark`` is gone."""
        return await self._unit.ledger.entities_since(mark, limit)


def _conforms(unit: PgUnitOfWork) -> UnitOfWork:
    return unit  # mypy checks here that PgUnitOfWork satisfies the ports contract
