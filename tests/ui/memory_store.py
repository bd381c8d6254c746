"""An in-memory store behind the UnitOfWork Protocol, for UI tests and offscreen screenshots.

Each unit of work works on a copy of the data and writes it back on commit, so an error rolls
everything back as the real store does. ``delay`` slows every read to imitate a slow disk.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self, cast
from uuid import UUID

from app.audit.envelope import SealedEvent
from app.audit.signing import Ed25519Signer
from app.domain.entities import Customer, Elevator, Site, StatusChange, User
from app.domain.enums import Role
from app.domain.events import Event
from app.domain.work import Deficiency, Incident, Inspection, Visit
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.ports import ChainHead, UnitOfWork


@dataclass
class MemoryData:
    """Everything the store holds."""

    items: dict[str, dict[UUID, object]] = field(default_factory=dict)
    history: list[StatusChange] = field(default_factory=list)
    events: list[tuple[SealedEvent, Event]] = field(default_factory=list)
    entity_heads: dict[UUID, list[str]] = field(default_factory=dict)

    def copy(self) -> MemoryData:
        return MemoryData(
            {kind: dict(rows) for kind, rows in self.items.items()},
            list(self.history),
            list(self.events),
            {k: list(v) for k, v in self.entity_heads.items()},
        )


class _Repo[T]:
    def __init__(self, uow: MemoryUnitOfWork, kind: str) -> None:
        self._uow, self._kind = uow, kind

    def _rows(self) -> dict[UUID, T]:
        rows = self._uow.data.items.setdefault(self._kind, {})
        return rows  # type: ignore[return-value]

    async def get(self, entity_id: UUID) -> T | None:
        await self._uow.pause()
        return self._rows().get(entity_id)

    async def put(self, item: T) -> None:
        self._rows()[item.id] = item  # type: ignore[attr-defined]

    async def list_all(self) -> list[T]:
        await self._uow.pause()
        return list(self._rows().values())

    async def find_by_name(self, *args: object) -> T | None:
        name = str(args[-1]).casefold()
        for row in self._rows().values():
            if str(row.name).casefold() == name and (  # type: ignore[attr-defined]
                len(args) == 1 or row.customer_id == args[0]  # type: ignore[attr-defined]
            ):
                return row
        return None

    async def list_by_site(self, site_id: UUID) -> list[T]:
        return [r for r in self._rows().values() if r.site_id == site_id]  # type: ignore[attr-defined]

    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> T | None:
        for row in await self.list_by_site(site_id):
            unit: Elevator = row  # type: ignore[assignment]
            if unit.active and unit.unit_number.casefold() == unit_number.casefold():
                return row
        return None

    async def for_elevator(self, elevator_id: UUID) -> list[T]:
        await self._uow.pause()
        rows = [r for r in self._rows().values() if r.elevator_id == elevator_id]  # type: ignore[attr-defined]
        return rows

    async def open_for_elevator(self, elevator_id: UUID) -> list[T]:
        rows = await self.for_elevator(elevator_id)
        return [r for r in rows if r.status == "open"]  # type: ignore[attr-defined]


class _History:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, change: StatusChange) -> None:
        self._uow.data.history.append(change)

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        return [c for c in self._uow.data.history if c.elevator_id == elevator_id]


class _Events:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def head(self, device_id: UUID) -> ChainHead | None:
        mine = [e for _s, e in self._uow.data.events if e.device_id == device_id]
        return ChainHead(mine[-1].device_seq, mine[-1].hash) if mine else None

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        return list(self._uow.data.entity_heads.get(entity_id, []))

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        self._uow.data.events.append((sealed, event))
        self._uow.data.entity_heads[event.entity_id] = [event.hash]

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        return [e for _s, e in self._uow.data.events if e.entity_id == entity_id]


class MemoryUnitOfWork:
    """One transaction over a copy of the store's data."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.data = store.data.copy()
        self.users = _Repo[User](self, "user")
        self.customers = _Repo[Customer](self, "customer")
        self.sites = _Repo[Site](self, "site")
        self.elevators = _Repo[Elevator](self, "elevator")
        self.status_history = _History(self)
        self.visits = _Repo[Visit](self, "visit")
        self.deficiencies = _Repo[Deficiency](self, "deficiency")
        self.incidents = _Repo[Incident](self, "incident")
        self.inspections = _Repo[Inspection](self, "inspection")
        self.events = _Events(self)

    async def pause(self) -> None:
        if self._store.delay:
            await asyncio.sleep(self._store.delay)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.data = self._store.data.copy()

    async def commit(self) -> None:
        self._store.data = self.data
        self.data = self._store.data.copy()

    async def rollback(self) -> None:
        self.data = self._store.data.copy()


class MemoryStore:
    """The data and the unit-of-work factory."""

    def __init__(self, delay: float = 0.0) -> None:
        self.data = MemoryData()
        self.delay = delay

    def unit_of_work(self) -> UnitOfWork:
        # The repositories satisfy the Protocols structurally; attribute invariance needs a cast.
        return cast(UnitOfWork, MemoryUnitOfWork(self))

    def events(self) -> list[Event]:
        """Every recorded event, oldest first."""
        return [e for _s, e in self.data.events]


class StepClock:
    """A clock that moves one second per reading from a fixed start."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


class CountingIds:
    """Deterministic, ordered ids."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> UUID:
        self.count += 1
        return UUID(int=(0x0190 << 112) | self.count)


class MemoryBlobs:
    """A content-addressed blob store in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    async def get(self, sha256: str) -> bytes | None:
        return self.blobs.get(sha256)


ORG_ID = UUID("00000000-0000-4000-8000-00000000000a")
DEVICE_ID = UUID("00000000-0000-4000-8000-00000000000d")
SUPERVISOR = Actor(UUID("00000000-0000-4000-8000-000000000051"), Role.SUPERVISOR, "Sam Super")
TECHNICIAN = Actor(UUID("00000000-0000-4000-8000-000000000071"), Role.TECHNICIAN, "Tia Tech")


def memory_context(
    store: MemoryStore, actor: Actor, clock: StepClock, ids: CountingIds
) -> ServiceContext:
    """A service context over the memory store with a fixed device key."""
    device = DeviceIdentity(ORG_ID, DEVICE_ID, Ed25519Signer(b"\x07" * 32))
    return ServiceContext(actor=actor, device=device, clock=clock, ids=ids, uow=store.unit_of_work)
