"""The in-memory repositories: dicts of frozen models, answering as the SQLite ones do.

Whole-table reads (``list_all``) come unit by unit, as the SQLite store's do; every read awaits
the store's ``pause`` first (a slow disk when ``InMemoryStore.delay`` is set).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol
from uuid import UUID

from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.enums import ElevatorStatus, IncidentStatus
from app.domain.events import Rejection
from app.domain.work import UNFINISHED, Deficiency, Incident, Inspection, Visit, VisitSummary
from app.services.ports import UnitSpan

type Pause = Callable[[], Coroutine[Any, Any, None]]
"""What a read awaits first (``InMemoryStore.pause``)."""


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


class _OfUnit(Protocol):
    @property
    def elevator_id(self) -> UUID: ...


def _unit_by_unit[T: _OfUnit](items: Iterable[T], units: UnitSpan | None) -> list[T]:
    """Rows unit by unit (as the SQLite store's whole-table reads give them), order kept;
    only those of ``units`` if given."""
    chosen = items if units is None else (i for i in items if i.elevator_id in units)
    return sorted(chosen, key=lambda item: str(item.elevator_id))


class InMemoryRepository[T: _HasId]:
    def __init__(self, items: dict[UUID, T], pause: Pause) -> None:
        self._items = items
        self._pause = pause

    async def get(self, entity_id: UUID) -> T | None:
        await self._pause()
        return self._items.get(entity_id)

    async def put(self, item: T) -> None:
        self._items[item.id] = item

    async def list_all(self) -> list[T]:
        await self._pause()
        return list(self._items.values())

    async def _of_unit(self, elevator_id: UUID) -> list[T]:
        await self._pause()
        return [i for i in self._items.values() if getattr(i, "elevator_id", None) == elevator_id]


def _same_text(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


class InMemoryOrganizations(InMemoryRepository[Organization]):
    pass


class InMemoryRejections:
    def __init__(self, items: dict[UUID, Rejection], pause: Pause) -> None:
        self._items = items
        self._pause = pause

    async def add(self, rejection: Rejection) -> None:
        self._items[rejection.event_id] = rejection

    async def list_all(self) -> list[Rejection]:
        await self._pause()
        return sorted(self._items.values(), key=lambda r: str(r.event_id))


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

    async def decommissioned(self) -> list[Elevator]:
        await self._pause()
        return [u for u in self._items.values() if u.status is ElevatorStatus.DECOMMISSIONED]


class InMemoryStatusHistory:
    def __init__(self, rows: list[StatusChange], pause: Pause) -> None:
        self._rows = rows
        self._pause = pause

    async def add(self, change: StatusChange) -> None:
        self._rows.append(change)

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        """Oldest first by when each change took effect (ties in recording order)."""
        await self._pause()
        mine = [r for r in self._rows if r.elevator_id == elevator_id]
        return sorted(mine, key=lambda r: r.changed_at)

    async def list_all(self, units: UnitSpan | None = None) -> list[StatusChange]:
        await self._pause()
        return _unit_by_unit(sorted(self._rows, key=lambda r: r.changed_at), units)


class InMemoryVisits(InMemoryRepository[Visit]):
    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        return sorted(await self._of_unit(elevator_id), key=lambda v: v.created_at)

    async def list_all(self, units: UnitSpan | None = None) -> list[Visit]:
        await self._pause()
        return _unit_by_unit(sorted(self._items.values(), key=lambda v: v.created_at), units)

    async def unfinished(self) -> list[Visit]:
        await self._pause()
        every = sorted(self._items.values(), key=lambda v: (v.created_at, str(v.id)))
        return [v for v in every if v.status in UNFINISHED]

    async def newest(self, limit: int) -> list[Visit]:
        await self._pause()
        every = sorted(self._items.values(), key=lambda v: (v.created_at, str(v.id)))
        return every[::-1][:limit]

    async def summaries(self, units: UnitSpan | None = None) -> list[VisitSummary]:
        return [visit.summary() for visit in await self.list_all(units)]


class InMemoryDeficiencies(InMemoryRepository[Deficiency]):
    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        return await self._of_unit(elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Deficiency]:
        return _unit_by_unit(await super().list_all(), units)


class InMemoryIncidents(InMemoryRepository[Incident]):
    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        return sorted(await self._of_unit(elevator_id), key=lambda i: i.reported_at)

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        found = await self.for_elevator(elevator_id)
        return [i for i in found if i.status is IncidentStatus.OPEN]

    async def list_all(self, units: UnitSpan | None = None) -> list[Incident]:
        await self._pause()
        return _unit_by_unit(sorted(self._items.values(), key=lambda i: i.reported_at), units)


class InMemoryInspections(InMemoryRepository[Inspection]):
    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        return await self._of_unit(elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Inspection]:
        return _unit_by_unit(await super().list_all(), units)
