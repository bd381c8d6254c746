"""Use cases of sites (buildings): create, edit, assign technicians."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from app.domain.commands import AssignTechnician, CreateSite, UpdateSite
from app.domain.enums import Role
from app.domain.errors import ConflictError
from app.domain.events import NewEvent
from app.domain.payloads import SiteCreated, SiteTechnicianAssigned, SiteUpdated
from app.services.common import (
    Created,
    changed_fields,
    given_fields,
    must_get,
    refuse_taken_name,
    run,
)
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork


async def _check_name_free(
    uow: UnitOfWork, customer_id: UUID, name: str, *, exclude: UUID | None = None
) -> None:
    existing = await uow.sites.find_by_name(customer_id, name)
    refuse_taken_name(
        existing, "This customer already has a site named '{name}'.", kind="site", exclude=exclude
    )


def _may_set_rule_set(ctx: ServiceContext) -> None:
    """A site's rule set decides what it must comply with: administrators set it."""
    ctx.actor.require(Role.ADMIN)


async def create_site(cmd: CreateSite, *, ctx: ServiceContext) -> Created:
    """Create a site for an existing customer; its name must be unused for that customer.
    Naming its own rule set (else it follows the organization's) is for administrators."""
    site_id = ctx.ids.new_id()
    if cmd.rule_set is not None:
        _may_set_rule_set(ctx)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        await must_get(uow.customers, cmd.customer_id, "customer")
        await _check_name_free(uow, cmd.customer_id, cmd.name)
        return [NewEvent(site_id, SiteCreated(**cmd.model_dump()))]

    return Created(site_id, await run(ctx, decide))


async def update_site(cmd: UpdateSite, *, ctx: ServiceContext) -> Changes:
    """Change the given fields of a site (its rule set: administrators; None follows the
    organization's)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        site = await must_get(uow.sites, cmd.site_id, "site")
        changes = changed_fields(site, given_fields(cmd, key="site_id"))
        if "rule_set" in changes:
            _may_set_rule_set(ctx)
        if "name" in changes:
            await _check_name_free(uow, site.customer_id, changes["name"], exclude=site.id)
        return [NewEvent(site.id, SiteUpdated(**changes))] if changes else []

    return await run(ctx, decide)


async def assign_technician(cmd: AssignTechnician, *, ctx: ServiceContext) -> Changes:
    """Assign a technician to a site, or remove the assignment (supervisors and admins)."""
    ctx.actor.require(Role.SUPERVISOR, Role.ADMIN)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        site = await must_get(uow.sites, cmd.site_id, "site")
        user = await must_get(uow.users, cmd.technician_id, "technician")
        if cmd.assigned and not user.active:
            raise ConflictError(
                f"{user.display_name} is no longer active.", hint="Assign an active technician."
            )
        if (cmd.technician_id in site.assigned_technicians) == cmd.assigned:
            return []
        payload = SiteTechnicianAssigned(technician_id=user.id, assigned=cmd.assigned)
        return [NewEvent(site.id, payload)]

    return await run(ctx, decide)
