"""SQLite repositories: one generic projection repository and the query methods of ports.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import bindparam, func, or_, select

from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.enums import ElevatorStatus, IncidentStatus
from app.domain.events import Rejection
from app.domain.values import text_key
from app.domain.work import (
    UNFINISHED,
    Deficiency,
    Incident,
    Inspection,
    Visit,
    VisitSummary,
)
from app.services.ports import UnitSpan
from app.store import mapping as m
from app.store.compiled_sql import Row, Sql, compile_sql
from app.store.mapping import ProjectionMapping
from app.store.projection_queries import Query, Where, between, eq, ne


class UnitContext(Protocol):
    """What a repository needs from its unit of work (implemented by SqliteUnitOfWork)."""

    async def load[T: BaseModel](self, mapping: ProjectionMapping[T], key: str) -> T | None:
        """The projection staged or stored under ``key``."""
        ...

    def stage(self, mapping: ProjectionMapping[Any], item: BaseModel) -> None:
        """Stage an insert-or-replace of ``item``."""
        ...

    async def query[T: BaseModel](self, query: Query[T], values: Mapping[str, Any]) -> list[T]:
        """Run ``query``; the answer includes what the unit staged."""
        ...

    async def scan[R](
        self,
        mapping: ProjectionMapping[Any],
        sql: Sql,
        load: Callable[[Row], R],
        values: Mapping[str, Any] | None = None,
    ) -> list[R] | None:
        """Every stored row ``sql`` selects, loaded in batches; None if the unit staged some."""
        ...


class ProjectionRepository[T: BaseModel]:
    """Get and put one kind of projection; subclasses add the queries views and services need."""

    def __init__(self, unit: UnitContext, mapping: ProjectionMapping[T]) -> None:
        self._unit = unit
        self._mapping = mapping

    async def get(self, entity_id: UUID) -> T | None:
        """The current projection of the entity, or None."""
        return await self._unit.load(self._mapping, str(entity_id))

    async def put(self, item: T) -> None:
        """Insert or replace the projection (written when the unit commits)."""
        self._unit.stage(self._mapping, item)

    async def _list(self, query: Query[T], **values: Any) -> list[T]:
        return await self._unit.query(query, values)

    async def _first(self, query: Query[T], **values: Any) -> T | None:
        found = await self._list(query, **values)
        return found[0] if found else None

    async def _all(self, queries: _Whole[T], units: UnitSpan | None) -> list[T]:
        """A whole-table read in batches (the rows of one batch are all that is held raw)."""
        return await _scan(self._unit, queries, units)


@dataclass(frozen=True, slots=True)
class _Whole[T: BaseModel]:
    """A whole-table read unit by unit, and the same for a span of units."""

    every: Query[T]
    span: Query[T]

    @classmethod
    def of(cls, mapping: ProjectionMapping[T], order: tuple[str, ...]) -> _Whole[T]:
        """Rows of ``mapping`` in ``elevator_id`` then ``order`` order."""
        order = ("elevator_id", *order)
        return cls(Query(mapping, order=order), Query(mapping, _IN_SPAN, order))


_IN_SPAN: Final = between("elevator_id", "first", "last")


def _span_values(units: UnitSpan | None) -> dict[str, str]:
    return {} if units is None else {"first": str(units.first), "last": str(units.last)}


async def _scan[T: BaseModel](
    unit: UnitContext, queries: _Whole[T], units: UnitSpan | None
) -> list[T]:
    query, values = (queries.every if units is None else queries.span), _span_values(units)
    load = query.mapping.load
    found = await unit.scan(query.mapping, query.sql, lambda row: load(row[0]), values)
    return await unit.query(query, values) if found is None else found


def _summary_sql(*where: Where) -> Sql:
    """Visit headers as JSON built by SQLite from the columns: no visit document is parsed."""
    c = m.VISITS.row.__table__.c
    fields = VisitSummary.model_fields
    document = func.json_object(*(part for name in fields for part in (name, c[name])))
    tests = [w.sql(c) for w in where]
    return compile_sql(select(document).where(*tests).order_by(c.elevator_id, c.created_at, c.id))


_ORGANIZATIONS_ALL: Final = Query(m.ORGANIZATIONS, order=("name", "id"))
_REJECTIONS_ALL: Final = Query(m.REJECTIONS, order=("event_id",))
_USERS_ALL: Final = Query(m.USERS, order=("display_name", "id"))
_CUSTOMERS_ALL: Final = Query(m.CUSTOMERS, order=("name", "id"))
_CUSTOMER_BY_NAME: Final = Query(m.CUSTOMERS, (eq("name_key"),), ("id",))
_SITES_ALL: Final = Query(m.SITES, order=("name", "id"))
_SITE_BY_NAME: Final = Query(m.SITES, (eq("customer_id"), eq("name_key")), ("id",))
_ELEVATORS_ALL: Final = Query(m.ELEVATORS, order=("site_id", "unit_key", "id"))
_ELEVATORS_BY_SITE: Final = Query(m.ELEVATORS, (eq("site_id"),), ("unit_key", "id"))
_DECOMMISSIONED: Final = Query(
    m.ELEVATORS,
    (Where("status", value=ElevatorStatus.DECOMMISSIONED.value),),
    ("site_id", "unit_key", "id"),
)
_ACTIVE_ELEVATOR: Final = Query(
    m.ELEVATORS,
    (eq("site_id"), eq("unit_key"), ne("status", ElevatorStatus.DECOMMISSIONED.value)),
    ("id",),
)
_HISTORY: Final = Query(m.STATUS_CHANGES, (eq("elevator_id"),), ("changed_at", "position"))
_VISITS: Final = Query(m.VISITS, (eq("elevator_id"),), ("created_at", "id"))
_DEFICIENCIES: Final = Query(m.DEFICIENCIES, (eq("elevator_id"),), ("opened_at", "id"))
_INCIDENTS: Final = Query(m.INCIDENTS, (eq("elevator_id"),), ("reported_at", "id"))
_OPEN_INCIDENTS: Final = Query(
    m.INCIDENTS,
    (eq("elevator_id"), Where("status", value=IncidentStatus.OPEN.value)),
    ("reported_at", "id"),
)
_INSPECTIONS: Final = Query(m.INSPECTIONS, (eq("elevator_id"),), ("performed_on", "id"))
# Whole-table reads come unit by unit (the (elevator_id, ...) indexes give that order), each
# unit's rows in the order of its per-unit query.
_HISTORY_ALL: Final = _Whole.of(m.STATUS_CHANGES, ("changed_at", "position"))
_VISITS_ALL: Final = _Whole.of(m.VISITS, ("created_at", "id"))
_VISIT_SUMMARIES: Final = _summary_sql()
_VISIT_SUMMARIES_SPAN: Final = _summary_sql(*_IN_SPAN)
_VISIT_COLUMNS: Final = m.VISITS.row.__table__.c
UNFINISHED_VISITS: Final = compile_sql(
    select(_VISIT_COLUMNS.doc)
    .where(or_(*(_VISIT_COLUMNS.status == s.value for s in sorted(UNFINISHED))))
    .order_by(_VISIT_COLUMNS.created_at, _VISIT_COLUMNS.id)
)
_NEWEST_VISITS: Final = compile_sql(
    select(_VISIT_COLUMNS.doc)
    .order_by(_VISIT_COLUMNS.created_at.desc(), _VISIT_COLUMNS.id.desc())
    .limit(bindparam("limit"))
)
_DEFICIENCIES_ALL: Final = _Whole.of(m.DEFICIENCIES, ("opened_at", "id"))
_INCIDENTS_ALL: Final = _Whole.of(m.INCIDENTS, ("reported_at", "id"))
_INSPECTIONS_ALL: Final = _Whole.of(m.INSPECTIONS, ("performed_on", "id"))


class SqliteOrganizationRepository(ProjectionRepository[Organization]):
    """``ports.OrganizationRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.ORGANIZATIONS)

    async def list_all(self) -> list[Organization]:
        """Every organization on record, by name."""
        return await self._list(_ORGANIZATIONS_ALL)


class SqliteRejectionRepository:
    """``ports.RejectionRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        self._unit = unit

    async def add(self, rejection: Rejection) -> None:
        """Mark the event rejected (idempotent per event)."""
        self._unit.stage(m.REJECTIONS, rejection)

    async def list_all(self) -> list[Rejection]:
        """Every rejected event, oldest first (event ids are time-ordered)."""
        return await self._unit.query(_REJECTIONS_ALL, {})


class SqliteUserRepository(ProjectionRepository[User]):
    """``ports.UserRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.USERS)

    async def list_all(self) -> list[User]:
        """Every user, by display name."""
        return await self._list(_USERS_ALL)


class SqliteCustomerRepository(ProjectionRepository[Customer]):
    """``ports.CustomerRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.CUSTOMERS)

    async def find_by_name(self, name: str) -> Customer | None:
        """The customer with this name (case-insensitive, ignoring outer spaces), if any."""
        return await self._first(_CUSTOMER_BY_NAME, name_key=text_key(name))

    async def list_all(self) -> list[Customer]:
        """Every customer, by name."""
        return await self._list(_CUSTOMERS_ALL)


class SqliteSiteRepository(ProjectionRepository[Site]):
    """``ports.SiteRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.SITES)

    async def find_by_name(self, customer_id: UUID, name: str) -> Site | None:
        """The customer's site with this name (case-insensitive, ignoring outer spaces)."""
        return await self._first(
            _SITE_BY_NAME, customer_id=str(customer_id), name_key=text_key(name)
        )

    async def list_all(self) -> list[Site]:
        """Every site, by name."""
        return await self._list(_SITES_ALL)


class SqliteElevatorRepository(ProjectionRepository[Elevator]):
    """``ports.ElevatorRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.ELEVATORS)

    async def find_active_by_unit_number(self, site_id: UUID, unit_number: str) -> Elevator | None:
        """The non-decommissioned unit with this number at the site (case-insensitive)."""
        key = text_key(unit_number)
        return await self._first(_ACTIVE_ELEVATOR, site_id=str(site_id), unit_key=key)

    async def list_by_site(self, site_id: UUID) -> list[Elevator]:
        """The site's units, by unit number."""
        return await self._list(_ELEVATORS_BY_SITE, site_id=str(site_id))

    async def list_all(self) -> list[Elevator]:
        """Every unit, by site and unit number."""
        return await self._list(_ELEVATORS_ALL)

    async def decommissioned(self) -> list[Elevator]:
        """The decommissioned units, by site and unit number."""
        return await self._list(_DECOMMISSIONED)


class SqliteStatusHistoryRepository:
    def __init__(self, unit: UnitContext) -> None:
        self._unit = unit

    async def add(self, change: StatusChange) -> None:
        """Record a status change (idempotent per event)."""
        self._unit.stage(m.STATUS_CHANGES, change)

    async def for_elevator(self, elevator_id: UUID) -> list[StatusChange]:
        """The unit's status history, oldest first."""
        return await self._unit.query(_HISTORY, {"elevator_id": str(elevator_id)})

    async def list_all(self, units: UnitSpan | None = None) -> list[StatusChange]:
        """Every unit's status history (or ``units``'), unit by unit, each oldest first."""
        return await _scan(self._unit, _HISTORY_ALL, units)


class SqliteVisitRepository(ProjectionRepository[Visit]):
    """``ports.VisitRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.VISITS)

    async def for_elevator(self, elevator_id: UUID) -> list[Visit]:
        """The unit's visits, oldest first."""
        return await self._list(_VISITS, elevator_id=str(elevator_id))

    async def list_all(self, units: UnitSpan | None = None) -> list[Visit]:
        """Every visit in full, unit by unit, each oldest first (or only ``units``')."""
        return await self._all(_VISITS_ALL, units)

    async def unfinished(self) -> list[Visit]:
        """Every visit still scheduled, in progress or not yet locked, oldest first."""
        found = await self._unit.scan(m.VISITS, UNFINISHED_VISITS, _load_visit)
        if found is None:
            every = sorted(await self.list_all(), key=lambda v: (v.created_at, str(v.id)))
            return [v for v in every if v.status in UNFINISHED]
        return found

    async def newest(self, limit: int) -> list[Visit]:
        """The ``limit`` visits created last, newest first."""
        found = await self._unit.scan(m.VISITS, _NEWEST_VISITS, _load_visit, {"limit": limit})
        if found is None:
            every = sorted(await self.list_all(), key=lambda v: (v.created_at, str(v.id)))
            return every[::-1][:limit]
        return found

    async def summaries(self, units: UnitSpan | None = None) -> list[VisitSummary]:
        """Every visit's header from the columns (or ``units``'), unit by unit, oldest first."""
        sql = _VISIT_SUMMARIES if units is None else _VISIT_SUMMARIES_SPAN
        found = await self._unit.scan(m.VISITS, sql, _load_summary, _span_values(units))
        if found is None:
            return [visit.summary() for visit in await self.list_all(units)]
        return found


class SqliteDeficiencyRepository(ProjectionRepository[Deficiency]):
    """``ports.DeficiencyRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.DEFICIENCIES)

    async def for_elevator(self, elevator_id: UUID) -> list[Deficiency]:
        """The unit's deficiencies, oldest first."""
        return await self._list(_DEFICIENCIES, elevator_id=str(elevator_id))

    async def list_all(self, units: UnitSpan | None = None) -> list[Deficiency]:
        """Every deficiency, unit by unit, each oldest first (or only ``units``')."""
        return await self._all(_DEFICIENCIES_ALL, units)


class SqliteIncidentRepository(ProjectionRepository[Incident]):
    """``ports.IncidentRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.INCIDENTS)

    async def for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's incidents, oldest report first."""
        return await self._list(_INCIDENTS, elevator_id=str(elevator_id))

    async def open_for_elevator(self, elevator_id: UUID) -> list[Incident]:
        """The unit's open incidents, oldest report first."""
        return await self._list(_OPEN_INCIDENTS, elevator_id=str(elevator_id))

    async def list_all(self, units: UnitSpan | None = None) -> list[Incident]:
        """Every incident, unit by unit, each oldest report first (or only ``units``')."""
        return await self._all(_INCIDENTS_ALL, units)


class SqliteInspectionRepository(ProjectionRepository[Inspection]):
    """``ports.InspectionRepository``."""

    def __init__(self, unit: UnitContext) -> None:
        super().__init__(unit, m.INSPECTIONS)

    async def for_elevator(self, elevator_id: UUID) -> list[Inspection]:
        """The unit's inspections, oldest first."""
        return await self._list(_INSPECTIONS, elevator_id=str(elevator_id))

    async def list_all(self, units: UnitSpan | None = None) -> list[Inspection]:
        """Every inspection, unit by unit, each oldest first (or only ``units``')."""
        return await self._all(_INSPECTIONS_ALL, units)


def _load_visit(row: Row) -> Visit:
    return m.VISITS.load(row[0])


def _load_summary(row: Row) -> VisitSummary:
    return VisitSummary.model_validate_json(row[0])
