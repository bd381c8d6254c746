"""The fleet as the screens list it: every unit's record, read in one pass, and its row.

``load_fleet`` reads each kind of record with one whole-table query (``list_all``; visits as
``summaries``, their headers only), not one query per unit and kind, and groups them by unit.
``load_unit_record`` reads one unit's record in full, for the unit page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from app.domain.entities import Customer, Elevator, Site
from app.domain.enums import DriveType, ElevatorStatus, Manufacturer
from app.domain.health import HealthBand, HealthScore, caps_text, health_score
from app.domain.metrics import UnitRecord
from app.domain.rules import RulesBook
from app.domain.settings import OrganizationSettings
from app.services.organization import organization_settings
from app.services.ports import UnitOfWork, UnitOfWorkFactory, UnitSpan


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
    time_zone: str = "UTC"
    """The site's time zone: the unit's records are shown in it."""
    health_caps: str = ""
    """Why the health score was held down (``capped at 40: certificate ... expired``), if it was."""

    @property
    def title(self) -> str:
        """``Harbour View / L1``."""
        return f"{self.site_name} / {self.unit_number}"

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """The fleet list's order: customer, site, unit number."""
        return (self.customer_name, self.site_name, self.unit_number)


@dataclass(frozen=True, slots=True)
class FleetData:
    """Every unit's record with the names it is shown under and the organization's settings."""

    records: tuple[UnitRecord, ...]
    sites: dict[UUID, Site]
    customers: dict[UUID, Customer]
    settings: OrganizationSettings = field(default_factory=OrganizationSettings)

    def rules(self) -> RulesBook:
        """The rules of every site of the fleet."""
        return RulesBook(self.settings, self.sites)


class _OfUnit(Protocol):
    @property
    def elevator_id(self) -> UUID: ...


def _by_unit[T: _OfUnit](items: Iterable[T]) -> dict[UUID, tuple[T, ...]]:
    grouped: defaultdict[UUID, list[T]] = defaultdict(list)
    for item in items:
        grouped[item.elevator_id].append(item)
    return {unit: tuple(found) for unit, found in grouped.items()}


async def read_fleet(uow: UnitOfWork, *, include_decommissioned: bool = False) -> FleetData:
    """``load_fleet`` inside an open unit of work: one query per kind of record."""
    units = [u for u in await uow.elevators.list_all() if include_decommissioned or u.active]
    records = await read_records(uow, units)
    sites = {s.id: s for s in await uow.sites.list_all()}
    customers = {c.id: c for c in await uow.customers.list_all()}
    return FleetData(records, sites, customers, await organization_settings(uow))


async def read_records(
    uow: UnitOfWork, units: Sequence[Elevator], span: UnitSpan | None = None, *, full: bool = True
) -> tuple[UnitRecord, ...]:
    """The records of ``units`` (all within ``span``, if given), one query per kind; without
    ``full``, only what compliance is judged from (visit headers and inspections)."""
    visits = _by_unit(await uow.visits.summaries(span))
    inspections = _by_unit(await uow.inspections.list_all(span))
    history = _by_unit(await uow.status_history.list_all(span)) if full else {}
    incidents = _by_unit(await uow.incidents.list_all(span)) if full else {}
    deficiencies = _by_unit(await uow.deficiencies.list_all(span)) if full else {}
    return tuple(
        UnitRecord(
            elevator=unit,
            history=history.get(unit.id, ()),
            visits=visits.get(unit.id, ()),
            incidents=incidents.get(unit.id, ()),
            inspections=inspections.get(unit.id, ()),
            deficiencies=deficiencies.get(unit.id, ()),
        )
        for unit in units
    )


async def load_fleet(
    uow_factory: UnitOfWorkFactory, *, include_decommissioned: bool = False
) -> FleetData:
    """Every unit (active ones unless asked) with its record (visit headers), sites, customers."""
    async with uow_factory() as uow:
        return await read_fleet(uow, include_decommissioned=include_decommissioned)


async def load_unit_record(uow: UnitOfWork, unit: Elevator) -> UnitRecord:
    """One unit's record in full (its visits with their checklists), one query per kind."""
    return UnitRecord(
        elevator=unit,
        history=tuple(await uow.status_history.for_elevator(unit.id)),
        visits=tuple(await uow.visits.for_elevator(unit.id)),
        incidents=tuple(await uow.incidents.for_elevator(unit.id)),
        inspections=tuple(await uow.inspections.for_elevator(unit.id)),
        deficiencies=tuple(await uow.deficiencies.for_elevator(unit.id)),
    )


def fleet_row(data: FleetData, record: UnitRecord, health: HealthScore) -> FleetRow:
    """The unit's row: its names, make, status and health."""
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
        time_zone=site.time_zone if site else "UTC",
        health_caps=caps_text(health.caps),
    )


def fleet_rows(data: FleetData, *, today: date, now: datetime | None = None) -> list[FleetRow]:
    """A row per unit with its health score on ``today`` (its data up to ``now``, if given),
    ordered by site and unit number."""
    book = data.rules()
    rows = [
        fleet_row(data, r, health_score(r, today=today, rules=book.for_unit(r.elevator), now=now))
        for r in data.records
    ]
    return sorted(rows, key=lambda r: r.sort_key)


async def fleet(
    uow_factory: UnitOfWorkFactory, *, today: date, now: datetime | None = None
) -> list[FleetRow]:
    """The fleet list: unit, site and customer names, status and health score."""
    data = await load_fleet(uow_factory)
    return fleet_rows(data, today=today, now=now)


def matches(row: FleetRow, text: str) -> bool:
    """Whether every word of ``text`` appears in the unit's number, names, serial or make."""
    haystack = " ".join(
        (
            row.unit_number,
            row.site_name,
            row.customer_name,
            row.serial_number or "",
            row.manufacturer.value,
            row.model or "",
        )
    ).casefold()
    return all(word in haystack for word in text.casefold().split())
