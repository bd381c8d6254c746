"""The organization's settings: read by every query, changed by administrators.

A store whose organization has recorded no settings (older stores) uses DOMAIN.md's defaults
(``OrganizationSettings()``); the first change records the organization with its settings.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    requested = {name: getattr(cmd, name) for name in cmd.model_fields_set - {"organization_name"}}

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
                name=cmd.organization_name or "Organization", settings=merged
            )
            return [NewEvent(ctx.device.organization_id, created)]
        if not changes:
            return []
        return [NewEvent(organization.id, OrganizationSettingsChanged(**changes))]

    return await run(ctx, decide)
