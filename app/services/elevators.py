"""Use cases of units: register, edit, change status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from app.domain.commands import ChangeElevatorStatus, RegisterElevator, UpdateElevator
from app.domain.dates import check_day_not_future, check_installed_before_records, local_date
from app.domain.entities import Elevator, Site
from app.domain.enums import Role
from app.domain.errors import AuthorizationError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import ElevatorRegistered, ElevatorStatusChanged, ElevatorUpdated
from app.domain.status import check_status_change
from app.domain.values import text_key
from app.services.common import (
    Created,
    changeable_unit,
    changed_fields,
    given_fields,
    must_get,
    run,
    status_change,
    unit_and_site,
)
from app.services.context import Actor, Changes, ServiceContext
from app.services.ports import UnitOfWork


async def _check_unit_number(
    uow: UnitOfWork, site: Site, unit_number: str, *, exclude: UUID | None = None
) -> None:
    """Raise unless no other active unit at ``site`` has this number (case-insensitive)."""
    existing = await uow.elevators.find_active_by_unit_number(site.id, unit_number.strip())
    if existing is not None and existing.id != exclude:
        raise ValidationError(
            f"Unit '{unit_number}' already exists at {site.name}; choose another unit number.",
            field="unit_number",
            hint=f"If unit '{existing.unit_number}' was replaced, decommission it first.",
        )


async def _check_replacement(uow: UnitOfWork, site: Site, unit_number: str, actor: Actor) -> None:
    """Only an administrator may register a replacement for a decommissioned unit."""
    if actor.role is Role.ADMIN:
        return
    retired = [
        unit
        for unit in await uow.elevators.list_by_site(site.id)
        if not unit.active and text_key(unit.unit_number) == text_key(unit_number)
    ]
    if retired:
        raise AuthorizationError(
            f"Unit '{unit_number}' at {site.name} was decommissioned; only an administrator can "
            "register its replacement.",
            hint="Ask an administrator to register the replacement unit.",
        )


def _check_installation(installed: date | None, site: Site, ctx: ServiceContext) -> None:
    if installed is not None:
        check_day_not_future(
            installed,
            local_date(ctx.clock.now(), site.time_zone),
            what="installation date",
            field="installation_date",
            hint="Enter the day the unit was installed (a unit is registered once installed).",
        )


async def _dated_records(uow: UnitOfWork, unit: Elevator, site: Site) -> list[tuple[date, str]]:
    """The unit's visits (the day at the site they were made) and inspections, by date."""
    records = [(i.performed_on, "inspection") for i in await uow.inspections.for_elevator(unit.id)]
    for visit in await uow.visits.for_elevator(unit.id):
        when = visit.arrived_at or visit.completed_at
        if when is not None:
            records.append((local_date(when, site.time_zone), f"{visit.type.value} visit"))
    return records


async def register_elevator(cmd: RegisterElevator, *, ctx: ServiceContext) -> Created:
    """Register a unit at a site; its number must be free there among active units."""
    elevator_id = ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        site = await must_get(uow.sites, cmd.site_id, "site")
        _check_installation(cmd.installation_date, site, ctx)
        await _check_unit_number(uow, site, cmd.unit_number)
        await _check_replacement(uow, site, cmd.unit_number, ctx.actor)
        payload = ElevatorRegistered(
            **cmd.model_dump(exclude={"certificate"}), certificate=cmd.certificate
        )
        return [NewEvent(elevator_id, payload)]

    return Created(elevator_id, await run(ctx, decide))


async def update_elevator(cmd: UpdateElevator, *, ctx: ServiceContext) -> Changes:
    """Change the given attributes of a unit; nothing is recorded when nothing changes."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await changeable_unit(uow, cmd.elevator_id)
        changes = changed_fields(unit, given_fields(cmd, key="elevator_id"))
        installed = changes.get("installation_date")
        if installed is not None:
            _check_installation(installed, site, ctx)
            records = await _dated_records(uow, unit, site)
            check_installed_before_records(installed, records, unit=unit.unit_number)
        for required in ("manufacturer", "drive_type", "carries_passengers"):
            if required in changes and changes[required] is None:
                raise ValidationError(
                    f"The {required.replace('_', ' ')} cannot be removed.", field=required
                )
        renumbered = changes.get("unit_number")
        if renumbered is not None and text_key(renumbered) != text_key(unit.unit_number):
            await _check_unit_number(uow, site, renumbered, exclude=unit.id)
        if not changes:
            return []
        return [NewEvent(unit.id, ElevatorUpdated(**changes))]

    return await run(ctx, decide)


async def change_elevator_status(cmd: ChangeElevatorStatus, *, ctx: ServiceContext) -> Changes:
    """Move a unit to another status with a reason (decommissioning: supervisors and admins),
    from now or from an earlier ``effective_at`` (not before the unit's previous change)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await unit_and_site(uow, cmd.elevator_id)
        event = status_change(
            unit, cmd.status, cmd.reason, cause=cmd.cause, effective_at=cmd.effective_at
        )
        assert isinstance(event.payload, ElevatorStatusChanged)
        check_status_change(
            unit, event.payload, now=ctx.clock.now(), role=ctx.actor.role, time_zone=site.time_zone
        )
        return [event]

    return await run(ctx, decide)
