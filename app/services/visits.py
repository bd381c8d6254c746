"""Use cases of a visit's lifecycle: schedule, start, complete, lock, cancel, addenda."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    AddAddendum,
    CancelVisit,
    CompleteVisit,
    LockVisit,
    ScheduleVisit,
    StartVisit,
)
from app.domain.enums import Role, VisitStatus
from app.domain.errors import ConflictError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import (
    VisitAddendumAdded,
    VisitCancelled,
    VisitCompleted,
    VisitLocked,
    VisitScheduled,
    VisitStarted,
)
from app.domain.visit_rules import (
    arrival_events,
    check_completion,
    check_visit_times,
    ensure_editable,
    ensure_not_finished,
    resolve_template,
    visit_template,
)
from app.services.common import Created, changeable_unit, must_get, run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork
from app.services.visit_common import linked_incident, load_visit


async def schedule_visit(cmd: ScheduleVisit, *, ctx: ServiceContext) -> Created:
    """Plan a visit to a unit, optionally for a technician (supervisors and admins only)."""
    ctx.actor.require(Role.SUPERVISOR, Role.ADMIN)
    visit_id = ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, _site = await changeable_unit(uow, cmd.elevator_id)
        if cmd.technician_id is not None:
            technician = await must_get(uow.users, cmd.technician_id, "technician")
            if not technician.active:
                raise ValidationError(
                    f"{technician.display_name} is no longer active.", field="technician_id"
                )
        payload = VisitScheduled(
            elevator_id=unit.id,
            site_id=unit.site_id,
            type=cmd.type,
            scheduled_date=cmd.scheduled_date,
            technician_id=cmd.technician_id,
        )
        return [NewEvent(visit_id, payload)]

    return Created(visit_id, await run(ctx, decide))


async def start_visit(
    cmd: StartVisit, *, ctx: ServiceContext, templates: TemplateCatalog
) -> Created:
    """Arrive at a unit: start a scheduled visit or a new one (the unit must be active)."""
    visit_id = cmd.visit_id or ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        if cmd.visit_id is not None:
            visit, _unit, site = await load_visit(uow, cmd.visit_id)
            ensure_not_finished(visit, site)
            if visit.status is not VisitStatus.SCHEDULED:
                raise ConflictError(
                    "This visit has already started.", hint="Continue recording on it."
                )
            elevator_id, visit_type = visit.elevator_id, visit.type
        elif cmd.elevator_id is not None and cmd.type is not None:
            elevator_id, visit_type = cmd.elevator_id, cmd.type
        else:  # the command refuses this; kept for type narrowing
            raise ValidationError("Choose a unit and a visit type.", field="elevator_id")
        unit, site = await changeable_unit(uow, elevator_id)
        template = resolve_template(templates, cmd.template_id, cmd.template_version, unit)
        arrived = cmd.arrived_at or ctx.clock.now()
        check_visit_times(site, ctx.clock.now(), arrived_at=arrived, departed_at=None)
        incident = await linked_incident(uow, cmd.incident_id, unit, arrived, site)
        started = VisitStarted(
            elevator_id=unit.id,
            site_id=unit.site_id,
            type=visit_type,
            technician_id=ctx.actor.user_id,
            arrived_at=arrived,
            template_id=template.template_id if template else None,
            template_version=template.version if template else None,
            incident_id=cmd.incident_id,
        )
        return [NewEvent(visit_id, started), *arrival_events(incident, arrived)]

    return Created(visit_id, await run(ctx, decide))


async def complete_visit(
    cmd: CompleteVisit, *, ctx: ServiceContext, templates: TemplateCatalog
) -> Changes:
    """Complete a visit: mandatory items, departure after arrival, both sign-offs."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        departed = cmd.departed_at or ctx.clock.now()
        check_visit_times(site, ctx.clock.now(), arrived_at=None, departed_at=departed)
        check_completion(
            template=visit_template(visit, templates),
            answered=[r.key for r in visit.results],
            arrived_at=visit.arrived_at,
            departed_at=departed,
            technician_signed=visit.technician_signature is not None,
            customer_answered=visit.customer_signoff is not None,
            site=site,
        )
        events = [NewEvent(visit.id, VisitCompleted(departed_at=departed))]
        if cmd.lock:
            events.append(NewEvent(visit.id, VisitLocked()))
        return events

    return await run(ctx, decide)


async def lock_visit(cmd: LockVisit, *, ctx: ServiceContext) -> Changes:
    """Lock a completed visit; from then on it is corrected only by addenda."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit = await must_get(uow.visits, cmd.visit_id, "visit")
        if visit.status is VisitStatus.LOCKED:
            raise ConflictError(
                "This visit is already locked.", hint="Add an addendum to correct it."
            )
        if visit.status is not VisitStatus.COMPLETED:
            raise ConflictError(
                "Only a completed visit can be locked.", hint="Complete the visit first."
            )
        return [NewEvent(visit.id, VisitLocked())]

    return await run(ctx, decide)


async def cancel_visit(cmd: CancelVisit, *, ctx: ServiceContext) -> Changes:
    """Cancel a scheduled or started visit, with a reason."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, _unit, site = await load_visit(uow, cmd.visit_id)
        ensure_not_finished(visit, site)
        return [NewEvent(visit.id, VisitCancelled(reason=cmd.reason))]

    return await run(ctx, decide)


async def add_addendum(cmd: AddAddendum, *, ctx: ServiceContext) -> Changes:
    """Append a correction to a completed or locked visit (DOMAIN.md: completed visits are
    immutable; corrections are addenda)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit = await must_get(uow.visits, cmd.visit_id, "visit")
        if visit.status not in (VisitStatus.COMPLETED, VisitStatus.LOCKED):
            raise ConflictError(
                "Addenda correct a completed visit; this one is not completed.",
                hint="While the visit is open, add a note instead.",
            )
        return [NewEvent(visit.id, VisitAddendumAdded(text=cmd.text))]

    return await run(ctx, decide)
