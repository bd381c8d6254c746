"""The in-memory store: committed state, staged units of work over it, and the event log.

``InMemoryStore`` keeps committed state; each ``InMemoryUnitOfWork`` works on a staged copy that
becomes visible to later units of work only on commit (rollback, or leaving without commit,
discards it). Projections are frozen pydantic models, so copying the containers is enough.
``delay`` makes every read wait, to imitate a slow disk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self
from uuid import UUID

from app.audit.chain import StoredEvent
from app.audit.envelope import SealedEvent
from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.errors import ConflictError
from app.domain.events import Event, Rejection
from app.domain.work import Deficiency, Incident, Inspection, Visit
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
    UserRepository,
    VisitRepository,
)
from tests.fakes.repositories import (
    InMemoryCustomers,
    InMemoryDeficiencies,
    InMemoryElevators,
    InMemoryIncidents,
    InMemoryInspections,
    InMemoryOrganizations,
    InMemoryRejections,
    InMemorySites,
    InMemoryStatusHistory,
    InMemoryUsers,
    InMemoryVisits,
)


@dataclass
class StoreState:
    """Everything a store holds: projections, status history and the event log."""

    organizations: dict[UUID, Organization] = field(default_factory=dict)
    rejections: dict[UUID, Rejection] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    customers: dict[UUID, Customer] = field(default_factory=dict)
    sites: dict[UUID, Site] = field(default_factory=dict)
    elevators: dict[UUID, Elevator] = field(default_factory=dict)
    visits: dict[UUID, Visit] = field(default_factory=dict)
    deficiencies: dict[UUID, Deficiency] = field(default_factory=dict)
    incidents: dict[UUID, Incident] = field(default_factory=dict)
    inspections: dict[UUID, Inspection] = field(default_factory=dict)
    status_history: list[StatusChange] = field(default_factory=list)
    log: list[tuple[SealedEvent, Event]] = field(default_factory=list)
    device_heads: dict[UUID, ChainHead] = field(default_factory=dict)
    entity_heads: dict[UUID, list[str]] = field(default_factory=dict)

    def copy(self) -> StoreState:
        """A copy whose containers can change without touching this one."""
        return StoreState(
            organizations=dict(self.organizations),
            rejections=dict(self.rejections),
            users=dict(self.users),
            customers=dict(self.customers),
            sites=dict(self.sites),
            elevators=dict(self.elevators),
            visits=dict(self.visits),
            deficiencies=dict(self.deficiencies),
            incidents=dict(self.incidents),
            inspections=dict(self.inspections),
            status_history=list(self.status_history),
            log=list(self.log),
            device_heads=dict(self.device_heads),
            entity_heads={k: list(v) for k, v in self.entity_heads.items()},
        )


class InMemoryStore:
    """Committed state shared by the units of work made from it."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.state = StoreState()
        self.version = 0
        self.commits = 0
        self.delay = delay
        """Seconds every read waits (imitates a slow disk)."""
        self.reads = 0
        """Reads so far (each ``get``, ``list_all``, ``for_elevator``... counts one)."""
        self.fail_next_commit: Exception | None = None
        """Set to make the next commit raise this error (and keep nothing)."""

    async def pause(self) -> None:
        """Count a read and wait ``delay`` seconds (yielding to other tasks when set)."""
        self.reads += 1
        if self.delay:
            await asyncio.sleep(self.delay)

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A fresh unit of work (the ``UnitOfWorkFactory`` of a ServiceContext)."""
        return InMemoryUnitOfWork(self)

    @property
    def events(self) -> list[Event]:
        """Committed events in the order they were recorded."""
        return [event for _sealed, event in self.state.log]

    @property
    def sealed(self) -> list[SealedEvent]:
        """Committed sealed envelopes in the order they were recorded."""
        return [sealed for sealed, _event in self.state.log]

    def stored_events(self) -> list[StoredEvent]:
        """The log as ``app.audit.chain`` verifies it."""
        return [
            StoredEvent(
                event_id=s.body.event_id,
                device_id=s.body.device_id,
                device_seq=s.body.device_seq,
                prev_hash=s.body.prev_hash,
                hash=s.hash,
                signature=s.signature,
                canonical=s.canonical,
                entity_type=s.body.entity_type,
                entity_id=s.body.entity_id,
                type=s.body.type,
                type_version=s.body.type_version,
                occurred_at=s.body.occurred_at,
                actor_id=s.body.actor_id,
            )
            for s in self.sealed
        ]


class InMemoryEventLog:
    """The event log: refuses an event that does not continue its device's chain."""

    def __init__(self, state: StoreState) -> None:
        self._state = state

    async def head(self, device_id: UUID) -> ChainHead | None:
        return self._state.device_heads.get(device_id)

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        return list(self._state.entity_heads.get(entity_id, []))

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        body = sealed.body
        head = self._state.device_heads.get(event.device_id)
        # a device's first event here may be a later one of its chain (pulled after a snapshot)
        if head is not None and (
            body.device_seq != head.device_seq + 1 or body.prev_hash != head.hash
        ):
            raise ConflictError(
                f"Event {body.event_id} (device {body.device_id}, seq {body.device_seq}) does "
                f"not continue the device's chain, which ends at seq {head.device_seq}."
            )
        if sealed.hash != event.hash or event.device_seq != body.device_seq:
            raise AssertionError("the sealed and the recorded event differ")
        self._state.log.append((sealed, event))
        self._state.device_heads[event.device_id] = ChainHead(event.device_seq, sealed.hash)
        # heads the new event did not know stay heads: a concurrent edit keeps both
        parents = set(body.entity_parents)
        current = self._state.entity_heads.get(event.entity_id, [])
        unknown = {h for h in current if h not in parents}
        self._state.entity_heads[event.entity_id] = sorted(unknown | {sealed.hash})

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        return [event for _s, event in self._state.log if event.entity_id == entity_id]

    async def mark(self) -> LogMark:
        log = self._state.log
        return LogMark(len(log), log[-1][0].hash) if log else LogMark()

    async def changed_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        log = self._state.log
        if mark.position > len(log) or (
            mark.position and log[mark.position - 1][0].hash != mark.hash
        ):
            return None
        found = {(e.entity_type, e.entity_id) for _s, e in log[mark.position :]}
        return found if len(found) <= limit else None


class InMemoryUnitOfWork:
    """One transaction over a staged copy of the store's state."""

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

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._begin()

    def _begin(self) -> None:
        self._base_version = self._store.version
        self._staged = staged = self._store.state.copy()
        self._committed = False
        pause = self._store.pause
        self.organizations = InMemoryOrganizations(staged.organizations, pause)
        self.rejections = InMemoryRejections(staged.rejections, pause)
        self.users = InMemoryUsers(staged.users, pause)
        self.customers = InMemoryCustomers(staged.customers, pause)
        self.sites = InMemorySites(staged.sites, pause)
        self.elevators = InMemoryElevators(staged.elevators, pause)
        self.status_history = InMemoryStatusHistory(staged.status_history, pause)
        self.visits = InMemoryVisits(staged.visits, pause)
        self.deficiencies = InMemoryDeficiencies(staged.deficiencies, pause)
        self.incidents = InMemoryIncidents(staged.incidents, pause)
        self.inspections = InMemoryInspections(staged.inspections, pause)
        self.events = InMemoryEventLog(staged)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            await self.rollback()

    async def commit(self) -> None:
        store = self._store
        if store.fail_next_commit is not None:
            error, store.fail_next_commit = store.fail_next_commit, None
            raise error
        if store.version != self._base_version:
            raise AssertionError("another unit of work committed in between (single writer)")
        store.state = self._staged
        store.version += 1
        store.commits += 1
        self._committed = True
        self._begin()

    async def rollback(self) -> None:
        self._begin()
