"""Hand-written fakes behind the Protocols of ``app.services.ports``, for fast unit tests.

``InMemoryStore`` keeps committed state; each ``InMemoryUnitOfWork`` works on a staged copy that
becomes visible to later units of work only on commit (rollback, or leaving without commit,
discards it). Projections are frozen pydantic models, so copying the containers is enough.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from app.audit.chain import StoredEvent
from app.audit.envelope import SealedEvent
from app.audit.signing import Ed25519Signer, Signer
from app.domain.entities import Customer, Elevator, Site, StatusChange, User
from app.domain.enums import IncidentStatus, Role
from app.domain.events import Event
from app.domain.work import Deficiency, Incident, Inspection, Visit
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.ports import (
    BlobStore,
    ChainHead,
    Clock,
    CustomerRepository,
    DeficiencyRepository,
    ElevatorRepository,
    EventLog,
    IdGenerator,
    IncidentRepository,
    InspectionRepository,
    KeyStore,
    SiteRepository,
    StatusHistoryRepository,
    UnitOfWork,
    UserRepository,
    VisitRepository,
)

ORGANIZATION_ID = UUID("0190a000-0000-7000-8000-00000000000a")
DEVICE_ID = UUID("0190a000-0000-7000-8000-00000000000d")
ADMIN_ID = UUID("0190a000-0000-7000-8000-0000000000a1")


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


@dataclass
class StoreState:
    """Everything a store holds: projections, status history and the event log."""

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

    def __init__(self) -> None:
        self.state = StoreState()
        self.version = 0
        self.commits = 0
        self.fail_next_commit: Exception | None = None
        """Set to make the next commit raise this error (and keep nothing)."""

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
            )
            for s in self.sealed
        ]


class InMemoryRepository[T: _HasId]:
    def __init__(self, items: dict[UUID, T]) -> None:
        self._items = items

    async def get(self, entity_id: UUID) -> T | None:
        return self._items.get(entity_id)

    async def put(self, item: T) -> None:
        self._items[item.id] = item

    async def list_all(self) -> list[T]:
        return list(self._items.values())


def _same_text(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


class InMemoryUsers(InMemoryRepository[User]):
    pass


class InMemoryCustomers(InMemoryRepository[Customer]):
    async def find_by_name(self, name: str) -> Customer | None:
        return next((c for c in self._items.values() if _same_text(c.name, name)), None)


class InMemorySites(InMemoryRepository[Site]):
    async def find_by_name(self, customer_id: UUID, name: str) -> Site | None:
        return next(
            (
                s
                for s in self._items.values()
                if s.customer_id == customer_id and _same_text(s.name, name)
            ),
            None,
        )


class InMemoryElevators(InMemoryRepository[Elevator]):
    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> Elevator | None:
        return next(
            (
                u
                for u in self._items.values()
                if u.site_id == site_id and u.active and _same_text(u.unit_number, unit_number)
            ),
            None,
        )

    async def list_by_site(self, site_id: UUID) -> list[Elevator]:
        return [u for u in self._items.values() if u.site_id == site_id]


class InMemoryStatusHistory:
    def __init__(self, rows: list[StatusChange]) -> None:
        self._rows = rows

    async def add(self, change: StatusChange) -> None:
        self._rows.append(change)

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        return [r for r in self._rows if r.elevator_id == elevator_id]


class InMemoryVisits(InMemoryRepository[Visit]):
    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        found = [v for v in self._items.values() if v.elevator_id == elevator_id]
        return sorted(found, key=lambda v: v.created_at)


class InMemoryDeficiencies(InMemoryRepository[Deficiency]):
    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        return [d for d in self._items.values() if d.elevator_id == elevator_id]


class InMemoryIncidents(InMemoryRepository[Incident]):
    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        found = [i for i in self._items.values() if i.elevator_id == elevator_id]
        return sorted(found, key=lambda i: i.reported_at)

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        found = await self.for_elevator(elevator_id)
        return [i for i in found if i.status is IncidentStatus.OPEN]


class InMemoryInspections(InMemoryRepository[Inspection]):
    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        return [i for i in self._items.values() if i.elevator_id == elevator_id]


class InMemoryEventLog:
    """The event log; refuses anything that would break a device chain (a fake's safety net)."""

    def __init__(self, state: StoreState) -> None:
        self._state = state

    async def head(self, device_id: UUID) -> ChainHead | None:
        return self._state.device_heads.get(device_id)

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        return list(self._state.entity_heads.get(entity_id, []))

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        head = self._state.device_heads.get(event.device_id)
        expected_seq = head.device_seq + 1 if head else 1
        if sealed.body.device_seq != expected_seq or event.device_seq != expected_seq:
            raise AssertionError(f"device_seq {event.device_seq}, expected {expected_seq}")
        if head is not None and sealed.body.prev_hash != head.hash:
            raise AssertionError("prev_hash does not link to the device head")
        if sealed.hash != event.hash:
            raise AssertionError("sealed and recorded hashes differ")
        self._state.log.append((sealed, event))
        self._state.device_heads[event.device_id] = ChainHead(event.device_seq, sealed.hash)
        self._state.entity_heads[event.entity_id] = [sealed.hash]

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        return [event for _s, event in self._state.log if event.entity_id == entity_id]


class InMemoryUnitOfWork:
    """One transaction over a staged copy of the store's state."""

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
        self.users = InMemoryUsers(staged.users)
        self.customers = InMemoryCustomers(staged.customers)
        self.sites = InMemorySites(staged.sites)
        self.elevators = InMemoryElevators(staged.elevators)
        self.status_history = InMemoryStatusHistory(staged.status_history)
        self.visits = InMemoryVisits(staged.visits)
        self.deficiencies = InMemoryDeficiencies(staged.deficiencies)
        self.incidents = InMemoryIncidents(staged.incidents)
        self.inspections = InMemoryInspections(staged.inspections)
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


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)``; return the new time."""
        self._now += delta if delta is not None else timedelta(**parts)
        return self._now


class SequentialIds:
    """Deterministic, increasing UUIDs with the version-7 and variant bits set."""

    def __init__(self, start_ms: int = 1_735_689_600_000) -> None:
        self._start_ms = start_ms
        self._count = 0

    def new_id(self) -> UUID:
        self._count += 1
        millis = self._start_ms + self._count
        value = (millis << 80) | (0x7 << 76) | (0b10 << 62) | self._count
        return UUID(int=value)


class MemoryKeyStore:
    """A key store in a dict; ``secure`` as configured (True by default)."""

    def __init__(self, *, secure: bool = True) -> None:
        self._secure = secure
        self.values: dict[str, bytes] = {}

    @property
    def secure(self) -> bool:
        return self._secure

    def get(self, name: str) -> bytes | None:
        return self.values.get(name)

    def set(self, name: str, value: bytes) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


class MemoryBlobStore:
    """Content-addressed blobs in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    async def get(self, sha256: str) -> bytes | None:
        return self.blobs.get(sha256)


def make_context(
    store: InMemoryStore,
    *,
    role: Role = Role.ADMIN,
    user_id: UUID = ADMIN_ID,
    name: str = "Test User",
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    organization_id: UUID = ORGANIZATION_ID,
    device_id: UUID = DEVICE_ID,
    signer: Signer | None = None,
) -> ServiceContext:
    """A ServiceContext over ``store`` with a fresh Ed25519 device key unless one is given."""
    device = DeviceIdentity(organization_id, device_id, signer or Ed25519Signer.generate())
    return ServiceContext(
        actor=Actor(user_id, role, name),
        device=device,
        clock=clock or FixedClock(),
        ids=ids or SequentialIds(),
        uow=store.unit_of_work,
    )


def as_actor(ctx: ServiceContext, role: Role, user_id: UUID, name: str = "") -> ServiceContext:
    """The same device, clock and ids, used by another person."""
    return replace(ctx, actor=Actor(user_id, role, name))


def _check_protocols(store: InMemoryStore) -> None:
    """Type-level proof that the fakes satisfy the Protocols (checked by mypy, never run)."""
    _uow: UnitOfWork = store.unit_of_work()
    _clock: Clock = FixedClock()
    _ids: IdGenerator = SequentialIds()
    _keys: KeyStore = MemoryKeyStore()
    _blobs: BlobStore = MemoryBlobStore()
