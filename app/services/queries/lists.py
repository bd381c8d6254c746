"""The unit page and the list screens (work, callbacks, compliance, audit, profiles)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final
from uuid import UUID

from app.domain.compliance import ComplianceItem, unit_compliance_items
from app.domain.entities import Customer, Elevator, Site, User
from app.domain.enums import IncidentStatus
from app.domain.errors import NotFoundError
from app.domain.events import Event
from app.domain.health import HealthScore, health_score
from app.domain.metrics import UnitRecord
from app.domain.rules import UnitRules
from app.domain.work import Incident, Visit
from app.services.organization import site_rules
from app.services.ports import UnitOfWorkFactory
from app.services.queries.fleet import FleetData, FleetRow, fleet_row, load_unit_record


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """A compliance item with its unit and the days left until it falls due."""

    item: ComplianceItem
    unit: FleetRow
    days_left: int


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
    visits: tuple[Visit, ...] = ()
    """The unit's visits in full (checklists, parts, sign-offs), oldest first."""
    names: dict[UUID, str] = field(default_factory=dict)
    """Display names of the users the records mention (technicians, authors)."""
    rules: UnitRules = field(default_factory=UnitRules)
    """The rules the unit is held to (its site's rule set, the organization's settings)."""

    @property
    def row(self) -> FleetRow:
        """The unit as the lists show it."""
        customers = {self.customer.id: self.customer} if self.customer else {}
        names = FleetData((), {self.site.id: self.site}, customers)
        return fleet_row(names, self.record, self.health)


async def unit_detail(
    uow_factory: UnitOfWorkFactory,
    elevator_id: UUID,
    *,
    today: date,
    now: datetime | None = None,
) -> UnitDetail:
    """The unit page: unit, site, history, work records, health with breakdown, compliance,
    under the rules of its site; figures up to ``now`` when given."""
    async with uow_factory() as uow:
        unit = await uow.elevators.get(elevator_id)
        if unit is None:
            raise NotFoundError("The unit was not found.", hint="Refresh the fleet list.")
        site = await uow.sites.get(unit.site_id)
        if site is None:
            raise NotFoundError("The unit's site was not found.", hint="Sync, then try again.")
        customer = await uow.customers.get(site.customer_id)
        record = await load_unit_record(uow, unit)
        names = {u.id: u.display_name for u in await uow.users.list_all()}
        rules = await site_rules(uow, site)
    items = unit_compliance_items(unit, record.visits, record.inspections, today=today, rules=rules)
    open_incidents = tuple(i for i in record.incidents if i.status is IncidentStatus.OPEN)
    health = health_score(record, today=today, rules=rules, now=now)
    visits = tuple(v for v in record.visits if isinstance(v, Visit))
    return UnitDetail(
        unit, site, customer, record, health, tuple(items), open_incidents, visits, names, rules
    )


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


async def callback_log(
    uow_factory: UnitOfWorkFactory, units: Mapping[UUID, FleetRow]
) -> list[tuple[Incident, FleetRow]]:
    """Every callback, newest first, with its unit's row from ``units`` (the Callbacks screen)."""
    async with uow_factory() as uow:
        calls = sorted(await uow.incidents.list_all(), key=lambda i: i.reported_at)
    return [(i, units[i.elevator_id]) for i in reversed(calls) if i.elevator_id in units]


RECENT_VISITS: Final = 2_000
"""Finished visits the Work screen lists, newest first (a store holds hundreds of thousands)."""


async def visit_log(
    uow_factory: UnitOfWorkFactory, units: Mapping[UUID, FleetRow], *, recent: int = RECENT_VISITS
) -> list[tuple[Visit, FleetRow]]:
    """Every unfinished visit and the ``recent`` created last, newest first, each with its unit's
    row from ``units`` (the Work screen)."""
    async with uow_factory() as uow:
        found = {v.id: v for v in await uow.visits.newest(recent)}
        found.update((v.id, v) for v in await uow.visits.unfinished())
    visits = sorted(found.values(), key=lambda v: (v.created_at, str(v.id)), reverse=True)
    return [(v, units[v.elevator_id]) for v in visits if v.elevator_id in units]
