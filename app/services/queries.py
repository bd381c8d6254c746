"""The read side: what the screens show, computed from the projections (no Qt, no writes).

Every query opens one unit of work, reads through the repositories of ``ports`` and returns
plain frozen values; figures come from ``app.domain`` (metrics, health, compliance) so the
screens and the reports agree. Loading is one pass per unit (``for_elevator`` per record kind).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from app.domain.compliance import (
    ComplianceItem,
    ComplianceRule,
    ComplianceStatus,
    fleet_compliance_items,
    unit_compliance_items,
)
from app.domain.downtime import Period, add_months
from app.domain.entities import ComplianceSettings, Customer, Elevator, Site, User
from app.domain.enums import DriveType, ElevatorStatus, IncidentStatus, Manufacturer
from app.domain.errors import NotFoundError
from app.domain.events import Event
from app.domain.health import HealthBand, HealthScore, health_score
from app.domain.metrics import FleetMetrics, UnitRecord, fleet_metrics
from app.domain.work import Incident, Visit
from app.services.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One unit as the fleet list, the finder and the drill-down lists show it."""

    elevator_id: UUID
    unit_number: str
    site_id: UUID
    site_name: str
    customer_id: UUID
    customer_name: str
    manufacturer: Manufacturer
    model: str | None
    drive_type: DriveType
    serial_number: str | None
    status: ElevatorStatus
    status_since: datetime
    health: int
    band: HealthBand

    @property
    def title(self) -> str:
        """``Harbour View / L1``."""
        return f"{self.site_name} / {self.unit_number}"


@dataclass(frozen=True, slots=True)
class FleetData:
    """Every unit's record with the names it is shown under."""

    records: tuple[UnitRecord, ...]
    sites: dict[UUID, Site]
    customers: dict[UUID, Customer]


async def _record(uow: UnitOfWork, unit: Elevator) -> UnitRecord:
    return UnitRecord(
        elevator=unit,
        history=tuple(await uow.status_history.for_elevator(unit.id)),
        visits=tuple(await uow.visits.for_elevator(unit.id)),
        incidents=tuple(await uow.incidents.for_elevator(unit.id)),
        inspections=tuple(await uow.inspections.for_elevator(unit.id)),
        deficiencies=tuple(await uow.deficiencies.for_elevator(unit.id)),
    )


async def load_fleet(
    uow_factory: UnitOfWorkFactory, *, include_decommissioned: bool = False
) -> FleetData:
    """Every unit (active ones unless asked) with its full record, sites and customers."""
    async with uow_factory() as uow:
        units = [u for u in await uow.elevators.list_all() if include_decommissioned or u.active]
        records = [await _record(uow, unit) for unit in units]
        sites = {s.id: s for s in await uow.sites.list_all()}
        customers = {c.id: c for c in await uow.customers.list_all()}
    return FleetData(tuple(records), sites, customers)


def _row(data: FleetData, record: UnitRecord, health: HealthScore) -> FleetRow:
    unit = record.elevator
    site = data.sites.get(unit.site_id)
    customer = data.customers.get(site.customer_id) if site else None
    return FleetRow(
        elevator_id=unit.id,
        unit_number=unit.unit_number,
        site_id=unit.site_id,
        site_name=site.name if site else "(unknown site)",
        customer_id=customer.id if customer else UUID(int=0),
        customer_name=customer.name if customer else "(unknown customer)",
        manufacturer=unit.manufacturer,
        model=unit.model,
        drive_type=unit.drive_type,
        serial_number=unit.serial_number,
        status=unit.status,
        status_since=unit.status_since,
        health=health.score,
        band=health.band,
    )


def fleet_rows(data: FleetData, *, today: date, settings: ComplianceSettings) -> list[FleetRow]:
    """A row per unit with its health score on ``today``, ordered by site and unit number."""
    rows = [_row(data, r, health_score(r, today=today, settings=settings)) for r in data.records]
    return sorted(rows, key=lambda r: (r.customer_name, r.site_name, r.unit_number))


async def fleet(
    uow_factory: UnitOfWorkFactory, *, today: date, settings: ComplianceSettings | None = None
) -> list[FleetRow]:
    """The fleet list: unit, site and customer names, status and health score."""
    data = await load_fleet(uow_factory)
    return fleet_rows(data, today=today, settings=settings or ComplianceSettings())


def matches(row: FleetRow, text: str) -> bool:
    """Whether every word of ``text`` appears in the unit's number, names, serial or make."""
    haystack = " ".join(
        (row.unit_number, row.site_name, row.customer_name, row.serial_number or "",
         row.manufacturer.value, row.model or "")
    ).casefold()  # fmt: skip
    return all(word in haystack for word in text.casefold().split())


@dataclass(frozen=True, slots=True)
class UnitDetail:
    """Everything the unit page shows."""

    elevator: Elevator
    site: Site
    customer: Customer | None
    record: UnitRecord
    health: HealthScore
    compliance: tuple[ComplianceItem, ...]
    open_incidents: tuple[Incident, ...]
    names: dict[UUID, str] = field(default_factory=dict)
    """Display names of the users the records mention (technicians, authors)."""


async def unit_detail(
    uow_factory: UnitOfWorkFactory,
    elevator_id: UUID,
    *,
    today: date,
    settings: ComplianceSettings | None = None,
) -> UnitDetail:
    """The unit page: unit, site, history, work records, health with breakdown, compliance."""
    rules = settings or ComplianceSettings()
    async with uow_factory() as uow:
        unit = await uow.elevators.get(elevator_id)
        if unit is None:
            raise NotFoundError("The unit was not found.", hint="Refresh the fleet list.")
        site = await uow.sites.get(unit.site_id)
        if site is None:
            raise NotFoundError("The unit's site was not found.", hint="Sync, then try again.")
        customer = await uow.customers.get(site.customer_id)
        record = await _record(uow, unit)
        names = {u.id: u.display_name for u in await uow.users.list_all()}
    items = unit_compliance_items(unit, record.visits, record.inspections, today=today,
                                  settings=rules)  # fmt: skip
    open_incidents = tuple(i for i in record.incidents if i.status is IncidentStatus.OPEN)
    health = health_score(record, today=today, settings=rules)
    return UnitDetail(unit, site, customer, record, health, tuple(items), open_incidents, names)


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """Which units and which period the dashboard shows; None means all."""

    period: Period
    customer_id: UUID | None = None
    site_id: UUID | None = None
    manufacturer: Manufacturer | None = None

    def admits(self, row: FleetRow) -> bool:
        return (
            (self.customer_id is None or row.customer_id == self.customer_id)
            and (self.site_id is None or row.site_id == self.site_id)
            and (self.manufacturer is None or row.manufacturer is self.manufacturer)
        )


@dataclass(frozen=True, slots=True)
class OpenCallback:
    incident: Incident
    unit: FleetRow
    elapsed: timedelta


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    item: ComplianceItem
    unit: FleetRow
    days_left: int


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: date
    callbacks: int
    entrapments: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The supervisor dashboard for one filter."""

    filter: DashboardFilter
    metrics: FleetMetrics
    rows: tuple[FleetRow, ...]
    by_status: dict[ElevatorStatus, int]
    open_callbacks: tuple[OpenCallback, ...]
    overdue: tuple[ComplianceRow, ...]
    expiring: tuple[ComplianceRow, ...]
    lowest_health: tuple[FleetRow, ...]
    callbacks_per_month: tuple[MonthCount, ...]
    customers: tuple[Customer, ...]
    sites: tuple[Site, ...]


def trailing_period(today: date, days: int) -> Period:
    """The ``days`` days ending with ``today`` (included)."""
    end = today + timedelta(days=1)
    return Period.of_dates(end - timedelta(days=days), end)


def months_back(today: date, count: int = 12) -> list[date]:
    """First days of the ``count`` calendar months ending with ``today``'s month, oldest first."""
    first = today.replace(day=1)
    return [add_months(first, -k) for k in range(count - 1, -1, -1)]


def callbacks_per_month(incidents: Iterable[Incident], today: date) -> list[MonthCount]:
    """Countable callbacks and entrapments reported in each of the last 12 months."""
    months = months_back(today)
    keys = [(m.year, m.month) for m in months]
    calls: Counter[tuple[int, int]] = Counter()
    traps: Counter[tuple[int, int]] = Counter()
    for incident in incidents:
        if not incident.countable:
            continue
        key = (incident.reported_at.year, incident.reported_at.month)
        calls[key] += 1
        traps[key] += int(incident.entrapment)
    return [MonthCount(m, calls[k], traps[k]) for m, k in zip(months, keys, strict=True)]


_TEST_RULES = frozenset(ComplianceRule) - {ComplianceRule.CERTIFICATE}


def _compliance_rows(
    records: list[UnitRecord], by_id: dict[UUID, FleetRow], today: date, rules: ComplianceSettings
) -> tuple[list[ComplianceRow], list[ComplianceRow]]:
    items = fleet_compliance_items(records, today=today, settings=rules)
    alert = max(rules.certificate_alert_days, default=60)
    overdue, expiring = [], []
    for item in items:
        row = ComplianceRow(item, by_id[item.elevator_id], (item.due_on - today).days)
        if item.late and (item.rule in _TEST_RULES or item.status is ComplianceStatus.OVERDUE):
            overdue.append(row)
        elif item.rule is ComplianceRule.CERTIFICATE and 0 <= row.days_left <= alert:
            expiring.append(row)
    return overdue, expiring


async def dashboard(
    uow_factory: UnitOfWorkFactory,
    chosen: DashboardFilter,
    *,
    now: datetime,
    settings: ComplianceSettings | None = None,
    lowest: int = 10,
) -> Dashboard:
    """Fleet KPIs for the period, status counts, open callbacks, overdue and expiring work."""
    rules = settings or ComplianceSettings()
    today = now.date()
    data = await load_fleet(uow_factory)
    all_rows = fleet_rows(data, today=today, settings=rules)
    rows = [r for r in all_rows if chosen.admits(r)]
    by_id = {r.elevator_id: r for r in rows}
    records = [r for r in data.records if r.elevator.id in by_id]
    as_of = min(today, (chosen.period.end - timedelta(microseconds=1)).date())
    metrics = fleet_metrics(records, chosen.period, rules, as_of)
    incidents = [i for r in records for i in r.incidents]
    open_calls = sorted(
        (OpenCallback(i, by_id[i.elevator_id], now - i.reported_at)
         for i in incidents if i.status is IncidentStatus.OPEN),
        key=lambda c: (not c.incident.entrapment, c.incident.reported_at),
    )  # fmt: skip
    overdue, expiring = _compliance_rows(records, by_id, today, rules)
    counts = Counter(r.status for r in rows)
    return Dashboard(
        filter=chosen,
        metrics=metrics,
        rows=tuple(rows),
        by_status={
            s: counts.get(s, 0) for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED
        },
        open_callbacks=tuple(open_calls),
        overdue=tuple(overdue),
        expiring=tuple(sorted(expiring, key=lambda c: c.days_left)),
        lowest_health=tuple(sorted(rows, key=lambda r: (r.health, r.title))[:lowest]),
        callbacks_per_month=tuple(callbacks_per_month(incidents, today)),
        customers=tuple(sorted(data.customers.values(), key=lambda c: c.name)),
        sites=tuple(sorted(data.sites.values(), key=lambda s: s.name)),
    )


async def compliance_rows(
    uow_factory: UnitOfWorkFactory, *, today: date, settings: ComplianceSettings | None = None
) -> list[ComplianceRow]:
    """Every active unit's compliance items, earliest due first (the Compliance screen)."""
    rules = settings or ComplianceSettings()
    data = await load_fleet(uow_factory)
    by_id = {r.elevator_id: r for r in fleet_rows(data, today=today, settings=rules)}
    items = fleet_compliance_items(data.records, today=today, settings=rules)
    return [ComplianceRow(i, by_id[i.elevator_id], (i.due_on - today).days) for i in items]


async def unit_audit_trail(uow_factory: UnitOfWorkFactory, elevator_id: UUID) -> list[Event]:
    """The unit's events and those of its visits, callbacks, deficiencies and inspections."""
    async with uow_factory() as uow:
        ids: list[UUID] = [elevator_id]
        ids += [v.id for v in await uow.visits.for_elevator(elevator_id)]
        ids += [i.id for i in await uow.incidents.for_elevator(elevator_id)]
        ids += [d.id for d in await uow.deficiencies.for_elevator(elevator_id)]
        ids += [i.id for i in await uow.inspections.for_elevator(elevator_id)]
        events = [e for entity in ids for e in await uow.events.for_entity(entity)]
    return sorted(events, key=lambda e: (e.occurred_at, str(e.device_id), e.device_seq))


async def profiles(uow_factory: UnitOfWorkFactory) -> list[User]:
    """Active users who can sign in on this device, by name."""
    async with uow_factory() as uow:
        users = await uow.users.list_all()
    return sorted((u for u in users if u.active), key=lambda u: u.display_name.casefold())


async def user_names(uow_factory: UnitOfWorkFactory) -> dict[UUID, str]:
    """Every user's display name (former users too: old records name them)."""
    async with uow_factory() as uow:
        return {u.id: u.display_name for u in await uow.users.list_all()}


async def _unit_rows(
    uow_factory: UnitOfWorkFactory, today: date
) -> tuple[FleetData, dict[UUID, FleetRow]]:
    data = await load_fleet(uow_factory, include_decommissioned=True)
    rows = fleet_rows(data, today=today, settings=ComplianceSettings())
    return data, {r.elevator_id: r for r in rows}


async def callback_log(
    uow_factory: UnitOfWorkFactory, *, today: date
) -> list[tuple[Incident, FleetRow]]:
    """Every callback, newest first, with its unit (the Callbacks screen)."""
    data, by_id = await _unit_rows(uow_factory, today)
    calls = sorted((i for r in data.records for i in r.incidents), key=lambda i: i.reported_at)
    return [(i, by_id[i.elevator_id]) for i in reversed(calls)]


async def visit_log(uow_factory: UnitOfWorkFactory, *, today: date) -> list[tuple[Visit, FleetRow]]:
    """Every visit, newest first, with its unit (the Work screen)."""
    data, by_id = await _unit_rows(uow_factory, today)
    visits = sorted((v for r in data.records for v in r.visits), key=lambda v: v.created_at)
    return [(v, by_id[v.elevator_id]) for v in reversed(visits)]
