"""PostgreSQL repositories: get and put through the unit's identity map, queries in SQL.

Orders match the local store's (text compared byte by byte: ``COLLATE "C"``; UUIDs compare in
the same order as their text), so the three implementations of the ports answer alike.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel

from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.enums import ElevatorStatus, IncidentStatus
from app.domain.events import Rejection
from app.domain.work import UNFINISHED, Deficiency, Incident, Inspection, Visit, VisitSummary
from app.services.ports import UnitSpan
from sync.server.store import mappings as m
from sync.server.store.mappings import PgMapping, text_key

C = 'COLLATE "C"'


class UnitContext(Protocol):
    """What a repository needs from its unit of work (``PgUnitOfWork``)."""

    async def load[T: BaseModel](self, mapping: PgMapping[T], key: UUID) -> T | None: ...

    def stage(self, mapping: PgMapping[Any], item: BaseModel) -> None: ...

    async def query[T: BaseModel](self, mapping: PgMapping[T], sql: str, *args: Any) -> list[T]: ...


def _span(units: UnitSpan | None) -> tuple[str, tuple[Any, ...]]:
    if units is None:
        return "", ()
    return " WHERE elevator_id BETWEEN $1 AND $2", (units.first, units.last)


class PgRepository[T: BaseModel]:
    """Get and put one kind of projection."""

    def __init__(self, unit: UnitContext, mapping: PgMapping[T]) -> None:
        self._unit = unit
        self._mapping = mapping

    async def get(self, entity_id: UUID) -> T | None:
        """The current projection, or None."""
        return await self._unit.load(self._mapping, entity_id)

    async def put(self, item: T) -> None:
        """Insert or replace the projection (written before the next query or the commit)."""
        self._unit.stage(self._mapping, item)

    async def _select(self, where_order: str, *args: Any) -> list[T]:
        sql = f"SELECT doc::text FROM {self._mapping.table} {where_order}"
        return await self._unit.query(self._mapping, sql, *args)


class PgOrganizationRepository(PgRepository[Organization]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.ORGANIZATIONS)

    async def list_all(self) -> list[Organization]:
        """The organization on record (the tenant's own), if its events recorded it."""
        return await self._select("ORDER BY id")


class PgRejectionRepository:
    def __init__(self, unit: UnitContext) -> None:
        self._unit = unit

    async def add(self, rejection: Rejection) -> None:
        """Mark an event of the ledger rejected (idempotent per event)."""
        self._unit.stage(m.REJECTIONS, rejection)

    async def list_all(self) -> list[Rejection]:
        """Every rejected event, in ledger order."""
        sql = "SELECT doc::text FROM rejected_events ORDER BY last_index, event_id"
        return await self._unit.query(m.REJECTIONS, sql)


class PgUserRepository(PgRepository[User]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.USERS)

    async def list_all(self) -> list[User]:
        """Every user, by display name."""
        return await self._select(f"ORDER BY display_name {C}, id")


class PgCustomerRepository(PgRepository[Customer]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.CUSTOMERS)

    async def find_by_name(self, name: str) -> Customer | None:
        """The customer with this name (case-insensitive, ignoring outer spaces), if any."""
        found = await self._select("WHERE name_key = $1 ORDER BY id", text_key(name))
        return found[0] if found else None

    async def list_all(self) -> list[Customer]:
        """Every customer, by name."""
        return await self._select(f"ORDER BY name {C}, id")


class PgSiteRepository(PgRepository[Site]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.SITES)

    async def find_by_name(self, customer_id: UUID, name: str) -> Site | None:
        """The customer's site with this name (case-insensitive, ignoring outer spaces)."""
        found = await self._select(
            "WHERE customer_id = $1 AND name_key = $2 ORDER BY id", customer_id, text_key(name)
        )
        return found[0] if found else None

    async def list_all(self) -> list[Site]:
        """Every site, by name."""
        return await self._select(f"ORDER BY name {C}, id")


class PgElevatorRepository(PgRepository[Elevator]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.ELEVATORS)

    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> Elevator | None:
        """The non-decommissioned unit with this number at the site (case-insensitive)."""
        found = await self._select(
            "WHERE site_id = $1 AND unit_key = $2 AND status <> $3 ORDER BY id",
            site_id,
            text_key(unit_number),
            ElevatorStatus.DECOMMISSIONED.value,
        )
        return found[0] if found else None

    async def list_by_site(self, site_id: UUID) -> list[Elevator]:
        """The site's units, by unit number."""
        return await self._select(f"WHERE site_id = $1 ORDER BY unit_key {C}, id", site_id)

    async def list_all(self) -> list[Elevator]:
        """Every unit, by site and unit number."""
        return await self._select(f"ORDER BY site_id, unit_key {C}, id")

    async def decommissioned(self) -> list[Elevator]:
        """The decommissioned units, by site and unit number."""
        return await self._select(
            f"WHERE status = $1 ORDER BY site_id, unit_key {C}, id",
            ElevatorStatus.DECOMMISSIONED.value,
        )


class PgStatusHistoryRepository:
    def __init__(self, unit: UnitContext) -> None:
        self._unit = unit

    async def add(self, change: StatusChange) -> None:
        """Record a status change (idempotent per event)."""
        self._unit.stage(m.STATUS_CHANGES, change)

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        """The unit's status history, oldest first."""
        sql = (
            "SELECT doc::text FROM status_changes WHERE elevator_id = $1 "
            "ORDER BY changed_at, position"
        )
        return await self._unit.query(m.STATUS_CHANGES, sql, elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[StatusChange]:
        """Every unit's status history (or ``units``'), unit by unit, each oldest first."""
        where, args = _span(units)
        order = "ORDER BY elevator_id, changed_at, position"
        sql = f"SELECT doc::text FROM status_changes{where} {order}"
        return await self._unit.query(m.STATUS_CHANGES, sql, *args)


class PgVisitRepository(PgRepository[Visit]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.VISITS)

    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        """The unit's visits, oldest first."""
        return await self._select("WHERE elevator_id = $1 ORDER BY created_at, id", elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Visit]:
        """Every visit, unit by unit, each oldest first (or only ``units``')."""
        where, args = _span(units)
        return await self._select(f"{where} ORDER BY elevator_id, created_at, id", *args)

    async def unfinished(self) -> list[Visit]:
        """Every visit still scheduled, in progress or not yet locked, oldest first."""
        statuses = sorted(s.value for s in UNFINISHED)
        return await self._select("WHERE status = ANY($1) ORDER BY created_at, id", statuses)

    async def newest(self, limit: int) -> list[Visit]:
        """The ``limit`` visits created last, newest first."""
        return await self._select("ORDER BY created_at DESC, id DESC LIMIT $1", limit)

    async def summaries(self, units: UnitSpan | None = None) -> list[VisitSummary]:
        """Every visit's header (or ``units``'), unit by unit, oldest first."""
        return [visit.summary() for visit in await self.list_all(units)]


class PgDeficiencyRepository(PgRepository[Deficiency]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.DEFICIENCIES)

    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        """The unit's deficiencies, oldest first."""
        return await self._select("WHERE elevator_id = $1 ORDER BY opened_at, id", elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Deficiency]:
        """Every deficiency, unit by unit, each oldest first (or only ``units``')."""
        where, args = _span(units)
        return await self._select(f"{where} ORDER BY elevator_id, opened_at, id", *args)


class PgIncidentRepository(PgRepository[Incident]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.INCIDENTS)

    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's incidents, oldest report first."""
        return await self._select("WHERE elevator_id = $1 ORDER BY reported_at, id", elevator_id)

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's open incidents, oldest report first."""
        return await self._select(
            "WHERE elevator_id = $1 AND status = $2 ORDER BY reported_at, id",
            elevator_id,
            IncidentStatus.OPEN.value,
        )

    async def list_all(self, units: UnitSpan | None = None) -> list[Incident]:
        """Every incident, unit by unit, each oldest report first (or only ``units``')."""
        where, args = _span(units)
        return await self._select(f"{where} ORDER BY elevator_id, reported_at, id", *args)


class PgInspectionRepository(PgRepository[Inspection]):
    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.INSPECTIONS)

    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        """The unit's inspections, oldest first."""
        return await self._select("WHERE elevator_id = $1 ORDER BY performed_on, id", elevator_id)

    async def list_all(self, units: UnitSpan | None = None) -> list[Inspection]:
        """Every inspection, unit by unit, each oldest first (or only ``units``')."""
        where, args = _span(units)
        return await self._select(f"{where} ORDER BY elevator_id, performed_on, id", *args)
