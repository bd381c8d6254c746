"""The outside effects services depend on, as Protocols: store, clock, ids, keys.

Real implementations live in ``app.store`` (SQLite), ``app.compute``, ``app.bootstrap`` and, on
the server, in ``sync.server``; hand-written fakes for tests live in ``tests/fakes``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from app.audit.envelope import SealedEvent
from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.events import Event, Rejection
from app.domain.work import Deficiency, Incident, Inspection, Visit, VisitSummary


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID:
        """A new time-ordered unique id (UUIDv7)."""
        ...


class KeyStore(Protocol):
    """Where secrets (the device key, tokens) live; ``secure`` is False for plain files."""

    @property
    def secure(self) -> bool: ...

    def get(self, name: str) -> bytes | None: ...

    def set(self, name: str, value: bytes) -> None: ...

    def delete(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last event of one device's chain."""

    device_seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class LogMark:
    """Where the local log ends: its newest event's position and hash; every new event moves it.

    Whatever is derived from the projections (they are a fold of the log) stays valid while
    the mark stays the same.
    """

    position: int = 0
    hash: str = ""

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


class Repository[T](Protocol):
    """One kind of projection. Lists come in the order each query names, ties in the order of
    the records' ids, so that every store answers alike (``tests/contract`` holds them to it).
    """

    async def get(self, entity_id: UUID) -> T | None:
        """The current projection of the entity, or None."""
        ...

    async def put(self, item: T) -> None:
        """Insert or replace the projection."""
        ...


class OrganizationRepository(Repository[Organization], Protocol):
    async def list_all(self) -> list[Organization]:
        """The organizations on record (a local store holds its own, once recorded)."""
        ...


class RejectionRepository(Protocol):
    """Events of the log the reducers refused (``EventRejected``): marked, never applied."""

    async def add(self, rejection: Rejection) -> None:
        """Mark an event of the log rejected with its reason (idempotent per event)."""
        ...

    async def list_all(self) -> list[Rejection]:
        """Every rejected event, oldest first."""
        ...


class UserRepository(Repository[User], Protocol):
    async def list_all(self) -> list[User]:
        """Every user, by display name."""
        ...


class CustomerRepository(Repository[Customer], Protocol):
    async def find_by_name(self, name: str) -> Customer | None:
        """The customer of this name, compared trimmed and case-folded (``text_key``)."""
        ...

    async def list_all(self) -> list[Customer]:
        """Every customer, by name."""
        ...


class SiteRepository(Repository[Site], Protocol):
    async def find_by_name(self, customer_id: UUID, name: str) -> Site | None:
        """The customer's site of this name, compared trimmed and case-folded (``text_key``)."""
        ...

    async def list_all(self) -> list[Site]:
        """Every site, by name."""
        ...


class ElevatorRepository(Repository[Elevator], Protocol):
    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> Elevator | None:
        """The non-decommissioned unit with this number at the site (case-insensitive)."""
        ...

    async def list_by_site(self, site_id: UUID) -> list[Elevator]:
        """The site's units, decommissioned ones too, by unit number (case-folded)."""
        ...

    async def list_all(self) -> list[Elevator]:
        """Every unit, by site (in the text order of site ids), then unit number."""
        ...

    async def decommissioned(self) -> list[Elevator]:
        """The units taken out of the fleet for good (few: their records are still shown), in
        the order of ``list_all``."""
        ...


@dataclass(frozen=True, slots=True)
class UnitSpan:
    """The units whose ids lie from ``first`` to ``last``, both included (in text order): a
    slice of the fleet, for reading a large one a part at a time."""

    first: UUID
    last: UUID

    def __contains__(self, unit_id: object) -> bool:
        return isinstance(unit_id, UUID) and str(self.first) <= str(unit_id) <= str(self.last)


class StatusHistoryRepository(Protocol):
    async def add(self, change: StatusChange) -> None: ...

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        """The unit's status history, oldest first; changes of one moment in the order they
        were recorded."""
        ...

    async def list_all(self, units: UnitSpan | None = None) -> list[StatusChange]:
        """Every unit's status history in one read; each unit's changes oldest first
        (only those of ``units`` if given)."""
        ...


class VisitRepository(Repository[Visit], Protocol):
    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        """The unit's visits, oldest first (by when each was created)."""
        ...

    async def list_all(self, units: UnitSpan | None = None) -> list[Visit]:
        """Every visit in full, in one read; each unit's oldest first
        (only those of ``units`` if given)."""
        ...

    async def unfinished(self) -> list[Visit]:
        """Every visit still scheduled, in progress or not yet locked, oldest first."""
        ...

    async def newest(self, limit: int) -> list[Visit]:
        """The ``limit`` visits created last, newest first."""
        ...

    async def summaries(self, units: UnitSpan | None = None) -> list[VisitSummary]:
        """Every visit's header in one read (no visit document parsed), or only ``units``';
        each unit's oldest first."""
        ...


class DeficiencyRepository(Repository[Deficiency], Protocol):
    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        """The unit's deficiencies, oldest first (by when each was opened)."""
        ...

    async def list_all(self, units: UnitSpan | None = None) -> list[Deficiency]:
        """Every deficiency in one read; each unit's in the order of ``for_elevator``
        (only those of ``units`` if given)."""
        ...


class IncidentRepository(Repository[Incident], Protocol):
    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's incidents, oldest report first."""
        ...

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's incidents still open, oldest report first."""
        ...

    async def list_all(self, units: UnitSpan | None = None) -> list[Incident]:
        """Every incident in one read; each unit's oldest report first
        (only those of ``units`` if given)."""
        ...


class InspectionRepository(Repository[Inspection], Protocol):
    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        """The unit's inspections, oldest first (by the day each was performed)."""
        ...

    async def list_all(self, units: UnitSpan | None = None) -> list[Inspection]:
        """Every inspection in one read; each unit's in the order of ``for_elevator``
        (only those of ``units`` if given)."""
        ...


class EventLog(Protocol):
    """The append-only local event log with each device's chain head."""

    async def head(self, device_id: UUID) -> ChainHead | None:
        """The device's last event, or None before its first."""
        ...

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        """Hashes of the entity's latest events (its ``entity_parents`` for the next event)."""
        ...

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        """Store the sealed event and make it the head of its device and its entity.

        Raises ConflictError when it does not continue its device's chain. The entity's heads
        the event did not know (its ``entity_parents``) stay heads beside it: concurrent edits.
        """
        ...

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        """The entity's events in the order they were recorded."""
        ...

    async def mark(self) -> LogMark:
        """Where the log ends now, as this unit of work sees it."""
        ...

    async def changed_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        """``(entity_type, entity_id)`` of every event recorded after ``mark``.

        None when there are more than ``limit`` of them, or when ``mark`` is not a point of
        this log (another store's, say): then whatever was derived at ``mark`` is recomputed.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction over the event log and the projections; rolls back unless committed."""

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

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork:
        """A fresh unit of work for one user action."""
        ...


class SnapshotStore(Protocol):
    """Derived data saved beside the store under a name, so it need not be computed again.

    A cache: whoever saves data also records what it was derived from, and losing it costs
    only the time to compute it again.
    """

    async def load_snapshot(self, name: str) -> bytes | None:
        """The data last saved under ``name``, or None."""
        ...

    async def save_snapshot(self, name: str, data: bytes) -> None:
        """Replace what is saved under ``name``."""
        ...


class ComputeRunner(Protocol):
    """Where a read model runs CPU-bound work, and how the process copes with bulk work.

    The composition root hands in ``app.compute.BackgroundCompute`` (a daemon thread, so the
    event loop serves other work meanwhile; the cyclic collector paused while a fleet is read
    and computed); ``app.services.queries.figures.InlineCompute`` runs the work in place.
    """

    async def run[T](self, work: Callable[[], T]) -> T:
        """The result of ``work``."""
        ...

    def bulk(self) -> AbstractContextManager[None]:
        """A block building a great many short-lived objects (a whole fleet's records)."""
        ...


class BlobStore(Protocol):
    """Content-addressed storage for photos and signatures."""

    async def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 (lowercase hex)."""
        ...

    async def get(self, sha256: str) -> bytes | None: ...
