"""The in-memory repositories: dicts of frozen models, answering the queries of
``app.services.ports`` in the orders it names (the contract suite in tests/contract holds them
to the SQLite store's answers).

Every list is sorted by the Protocol's order with ties broken by id; whole-table reads
(``list_all``) come unit by unit. Every read awaits the store's ``pause`` first (a slow disk when
``InMemoryStore.delay`` is set).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol
from uuid import UUID

from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.enums import ElevatorStatus, IncidentStatus
from app.domain.events import Rejection
from app.domain.values import text_key
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
    """Rows unit by unit (in the text order of unit ids), each unit's in the order given;
    only those of ``units`` if given."""
    chosen = items if units is None else (i for i in items if i.elevator_id in units)
    return sorted(chosen, key=lambda item: str(item.elevator_id))


class InMemoryRepository[T: _HasId]:
    """Get and put by id; ``order`` sorts lists (the Protocol's order, then id)."""

    def __init__(self, items: dict[UUID, T], pause: Pause) -> None:
        self._items = items
        self._pause = pause

    def order(self, item: T) -> tuple[Any, ...]:
        """What lists are sorted by before the id (nothing: by id alone)."""
        return ()

    def _sorted(self, items: Iterable[T]) -> list[T]:
        return sorted(items, key=lambda item: (*self.order(item), str(item.id)))

    async def get(self, entity_id: UUID) -> T | None:
        await self._pause()
        return self._items.get(entity_id)

    async def put(self, item: T) -> None:
        self._items[item.id] = item

    async def _every(self) -> list[T]:
        await self._pause()
        return self._sorted(self._items.values())

    async def _first(self, found: Iterable[T]) -> T | None:
        await self._pause()
        return min(found, key=lambda item: str(item.id), default=None)

    async def _of_unit(self, elevator_id: UUID) -> list[T]:
        return [i for i in await self._every() if getattr(i, "elevator_id", None) == elevator_id]


class InMemoryOrganizations(InMemoryRepository[Organization]):
    def order(self, item: Organization) -> tuple[Any, ...]:
        return (item.name,)

    async def list_all(self) -> list[Organization]:
        return await self._every()


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
    def order(self, item: User) -> tuple[Any, ...]:
        return (item.display_name,)

    async def list_all(self) -> list[User]:
        return await self._every()


class InMemoryCustomers(InMemoryRepository[Customer]):
    def order(self, item: Customer) -> tuple[Any, ...]:
        return (item.name,)

    async def find_by_name(self, name: str) -> Customer | None:
        key = text_key(name)
        return await self._first(c for c in self._items.values() if text_key(c.name) == key)

    async def list_all(self) -> list[Customer]:
        return await self._every()


class InMemorySites(InMemoryRepository[Site]):
    def order(self, item: Site) -> tuple[Any, ...]:
        return (item.name,)

    async def find_by_name(self, customer_id: UUID, name: str) -> Site | None:
        key = text_key(name)
        return await self._first(
            s
            for s in self._items.values()
            if s.customer_id == customer_id and text_key(s.name) == key
        )

    async def list_all(self) -> list[Site]:
        return await self._every()


class InMemoryElevators(InMemoryRepository[Elevator]):
    def order(self, item: Elevator) -> tuple[Any, ...]:
        return (str(item.site_id), text_key(item.unit_number))

    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> Elevator | None:
        key = text_key(unit_number)
        return await self._first(
            u
            for u in self._items.values()
            if u.site_id == site_id and u.active and text_key(u.unit_number) == key
        )

    async def list_by_site(self, site_id: UUID) -> list[Elevator]:
        return [u for u in await self._every() if u.site_id == site_id]

    async def list_all(self) -> list[Elevator]:
        return await self._every()

    async def decommissioned(self) -> list[Elevator]:
        return [u for u in await self._every() if u.status is ElevatorStatus.DECOMMISSIONED]


class InMemoryStatusHistory:
    """Status changes in recording order (a store's ``position``), read oldest first."""

    def __init__(self, rows: list[StatusChange], pause: Pause) -> None:
        self._rows = rows
        self._pause = pause

    async def add(self, change: StatusChange) -> None:
        self._rows.append(change)

    async def _every(self) -> list[StatusChange]:
        await self._pause()
        return sorted(self._rows, key=lambda change: change.changed_at)  # stable: ties recorded

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        return [r for r in await self._every() if r.elevator_id == elevator_id]

    async def list_all(self, units: UnitSpan | None = None) -> list[StatusChange]:
        return _unit_by_unit(await self._every(), units)


class InMemoryVisits(InMemoryRepository[Visit]):
    def order(self, item: Visit) -> tuple[Any, ...]:
        return (item.created_at,)

    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        return await self._of_unit(elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Visit]:
        return _unit_by_unit(await self._every(), units)

    async def unfinished(self) -> list[Visit]:
        return [v for v in await self._every() if v.status in UNFINISHED]

    async def newest(self, limit: int) -> list[Visit]:
        return (await self._every())[::-1][:limit]

    async def summaries(self, units: UnitSpan | None = None) -> list[VisitSummary]:
        return [visit.summary() for visit in await self.list_all(units)]


class InMemoryDeficiencies(InMemoryRepository[Deficiency]):
    def order(self, item: Deficiency) -> tuple[Any, ...]:
        return (item.opened_at,)

    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        return await self._of_unit(elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Deficiency]:
        return _unit_by_unit(await self._every(), units)


class InMemoryIncidents(InMemoryRepository[Incident]):
    def order(self, item: Incident) -> tuple[Any, ...]:
        return (item.reported_at,)

    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        return await self._of_unit(elevator_id)

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        found = await self.for_elevator(elevator_id)
        return [i for i in found if i.status is IncidentStatus.OPEN]

    async def list_all(self, units: UnitSpan | None = None) -> list[Incident]:
        return _unit_by_unit(await self._every(), units)


class InMemoryInspections(InMemoryRepository[Inspection]):
    def order(self, item: Inspection) -> tuple[Any, ...]:
        return (item.performed_on,)

    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        return await self._of_unit(elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Inspection]:
        return _unit_by_unit(await self._every(), units)
