"""The organization's settings: read by every query, changed by administrators.

A store whose organization has recorded no settings (older stores) uses DOMAIN.md's defaults
(``OrganizationSettings()``); the first change records the organization with its settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.commands import ChangeOrganizationSettings
from app.domain.entities import Organization, Site
from app.domain.enums import Role
from app.domain.events import NewEvent
from app.domain.payloads import OrganizationCreated, OrganizationSettingsChanged
from app.domain.rules import RulesBook, UnitRules, unit_rules
from app.domain.settings import OrganizationSettings
from app.services.common import run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork, UnitOfWorkFactory


async def organization_on_record(uow: UnitOfWork) -> Organization | None:
    """The store's organization as its events recorded it, if they did."""
    found = await uow.organizations.list_all()
    return found[0] if found else None


async def organization_settings(uow: UnitOfWork) -> OrganizationSettings:
    """The organization's settings on record, else the defaults."""
    organization = await organization_on_record(uow)
    return organization.settings if organization else OrganizationSettings()


async def load_settings(uow_factory: UnitOfWorkFactory) -> OrganizationSettings:
    """``organization_settings`` in a unit of work of its own (the Settings screen)."""
    async with uow_factory() as uow:
        return await organization_settings(uow)


async def site_rules(uow: UnitOfWork, site: Site) -> UnitRules:
    """The rules in force at ``site``."""
    return unit_rules(await organization_settings(uow), site)


async def rules_book(uow: UnitOfWork) -> RulesBook:
    """The rules of every site of the organization."""
    settings = await organization_settings(uow)
    return RulesBook(settings, {s.id: s for s in await uow.sites.list_all()})


async def change_organization_settings(
    cmd: ChangeOrganizationSettings, *, ctx: ServiceContext
) -> Changes:
    """Change the settings given (administrators only); nothing is recorded when none change."""
    ctx.actor.require(Role.ADMIN)
    about = {"organization_name", "organization_time_zone"}
    requested = {name: getattr(cmd, name) for name in cmd.model_fields_set - about}

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        organization = await uow.organizations.get(ctx.device.organization_id)
        current = organization.settings if organization else OrganizationSettings()
        merged = OrganizationSettings.model_validate({**current.model_dump(), **requested})
        changes: dict[str, Any] = {
            name: getattr(merged, name)
            for name in requested
            if getattr(merged, name) != getattr(current, name)
        }
        if organization is None:
            created = OrganizationCreated(
                name=cmd.organization_name or "Organization",
                time_zone=cmd.organization_time_zone or "UTC",
                settings=merged,
            )
            return [NewEvent(ctx.device.organization_id, created)]
        if not changes:
            return []
        return [NewEvent(organization.id, OrganizationSettingsChanged(**changes))]

    return await run(ctx, decide)


@dataclass(frozen=True, slots=True)
class SiteRuleRow:
    """A site, its customer's name, and the rule set in force there."""

    site: Site
    customer_name: str
    rules: UnitRules


@dataclass(frozen=True, slots=True)
class SettingsOverview:
    """What the Settings screen shows: the organization (None until its settings are
    recorded), the settings in force, and every site's rule set."""

    organization: Organization | None
    settings: OrganizationSettings
    sites: tuple[SiteRuleRow, ...]


async def settings_overview(uow_factory: UnitOfWorkFactory) -> SettingsOverview:
    """The organization's settings and each site's rule set, by customer and site name."""
    async with uow_factory() as uow:
        organization = await organization_on_record(uow)
        settings = organization.settings if organization else OrganizationSettings()
        customers = {c.id: c.name for c in await uow.customers.list_all()}
        sites = await uow.sites.list_all()
    rows = [
        SiteRuleRow(s, customers.get(s.customer_id, ""), unit_rules(settings, s)) for s in sites
    ]
    rows.sort(key=lambda r: (r.customer_name.casefold(), r.site.name.casefold()))
    return SettingsOverview(organization, settings, tuple(rows))
