"""The fleet as entered by hand: customers with their sites, and the fleet's deficiencies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from app.domain.entities import Customer, Site
from app.domain.enums import RuleSet
from app.domain.work import Deficiency
from app.services.organization import organization_settings
from app.services.ports import UnitOfWorkFactory
from app.services.queries.fleet import FleetRow


@dataclass(frozen=True, slots=True)
class SiteLine:
    """A site with its customer's name and how many active units it has."""

    site: Site
    customer: str
    units: int


@dataclass(frozen=True, slots=True)
class Directory:
    """Every customer (by name) and every site (by customer, then name)."""

    customers: tuple[Customer, ...]
    sites: tuple[SiteLine, ...]
    rule_set: RuleSet = RuleSet.ASME_A17_1
    """The organization's rule set, which sites without their own follow."""

    def sites_of(self, customer_id: UUID) -> list[SiteLine]:
        return [line for line in self.sites if line.site.customer_id == customer_id]


async def directory(uow_factory: UnitOfWorkFactory) -> Directory:
    """Customers and sites for the Customers & Sites screen."""
    async with uow_factory() as uow:
        customers = sorted(await uow.customers.list_all(), key=lambda c: c.name.casefold())
        sites = await uow.sites.list_all()
        units = Counter(u.site_id for u in await uow.elevators.list_all() if u.active)
        rule_set = (await organization_settings(uow)).rule_set
    names = {c.id: c.name for c in customers}
    lines = [SiteLine(s, names.get(s.customer_id, ""), units[s.id]) for s in sites]
    lines.sort(key=lambda line: (line.customer.casefold(), line.site.name.casefold()))
    return Directory(tuple(customers), tuple(lines), rule_set)


async def deficiency_log(
    uow_factory: UnitOfWorkFactory, units: Mapping[UUID, FleetRow]
) -> list[tuple[Deficiency, FleetRow]]:
    """Every deficiency of the fleet, newest first, with its unit's row from ``units``."""
    async with uow_factory() as uow:
        found = sorted(await uow.deficiencies.list_all(), key=lambda d: (d.opened_at, str(d.id)))
    return [(d, units[d.elevator_id]) for d in reversed(found) if d.elevator_id in units]


async def unit_title(uow_factory: UnitOfWorkFactory, elevator_id: UUID) -> str:
    """``Harbour View / L1``: how the forms name a unit."""
    async with uow_factory() as uow:
        unit = await uow.elevators.get(elevator_id)
        site = await uow.sites.get(unit.site_id) if unit else None
    if unit is None:
        return "the unit"
    return f"{site.name} / {unit.unit_number}" if site else unit.unit_number
