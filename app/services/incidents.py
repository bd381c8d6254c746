"""Use cases of the callback log (ASME A17.1): open, update, close incidents.

An incident reported with the unit out of service takes the unit out of service (cause
``incident``) from the time it was reported, not from when it was logged: a callback logged
three hours late records the outage as it happened. A unit already down for planned work
becomes unplanned downtime from the report on. Closing it with the unit back in service makes
the unit operational again, from the back-in-service time, unless another open incident still
keeps it down. A status change cannot take effect before the unit's previous one: when the
unit's status changed after the report (or after the back-in-service time), the incident's
change takes effect at that later change instead, so the history stays in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from app.domain.commands import CloseIncident, OpenIncident, UpdateIncident, check_callback
from app.domain.dates import check_not_future
from app.domain.entities import Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus, IncidentStatus, VisitStatus, VisitType
from app.domain.errors import ConflictError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import IncidentClosed, IncidentOpened, IncidentUpdated
from app.domain.site_time import check_not_before
from app.domain.work import Incident
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
from app.services.context import Changes, ServiceContext
from app.services.organization import organization_settings
from app.services.ports import UnitOfWork

_EXTRA_FIELDS = (
    "release_at",
    "arrived_at",
    "fault_code",
    "fault_category",
    "root_cause",
    "corrective_action",
    "excluded_from_kpi",
    "exclusion_reason",
)
_NOT_NULL = frozenset({"entrapment", "persons_trapped", "excluded_from_kpi"})


def _not_future(site: Site, now: datetime, moment: datetime | None, what: str, field: str) -> None:
    if moment is not None:
        check_not_future(
            moment,
            now,
            what=what,
            field=field,
            time_zone=site.time_zone,
            hint=f"Enter the {what} as it happened; it cannot be recorded in advance.",
        )


def _check_times(
    site: Site,
    reported_at: datetime,
    now: datetime,
    *,
    release_at: datetime | None,
    arrived_at: datetime | None,
) -> None:
    _not_future(site, now, release_at, "release time", "release_at")
    _not_future(site, now, arrived_at, "arrival time", "arrived_at")
    if release_at is not None:
        check_not_before(
            release_at,
            reported_at,
            later_name="release",
            earlier_name="report",
            field="release_at",
            time_zone=site.time_zone,
        )
    if arrived_at is not None:
        check_not_before(
            arrived_at,
            reported_at,
            later_name="arrival",
            earlier_name="report",
            field="arrived_at",
            time_zone=site.time_zone,
        )


def previous_callback(
    history: Sequence[Incident], reported_at: datetime, window: timedelta
) -> Incident | None:
    """The latest callback reported within ``window`` before ``reported_at`` (the
    organization's repeat-callback window)."""
    earlier = [i for i in history if i.reported_at < reported_at <= i.reported_at + window]
    return max(earlier, key=lambda i: i.reported_at, default=None)


async def _repeat_of(
    uow: UnitOfWork, unit: Elevator, given: UUID | None, reported_at: datetime
) -> UUID | None:
    history = await uow.incidents.for_elevator(unit.id)
    if given is None:
        days = (await organization_settings(uow)).repeat_callback_window_days
        previous = previous_callback(history, reported_at, timedelta(days=days))
        return previous.id if previous else None
    if not any(i.id == given for i in history):
        raise ValidationError(
            "The callback this repeats is not one of this unit's callbacks.", field="repeat_of"
        )
    return given


async def open_incident(cmd: OpenIncident, *, ctx: ServiceContext) -> Created:
    """Log a callback; with the unit out of service, take the unit out of service too."""
    incident_id = ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await changeable_unit(uow, cmd.elevator_id)
        now = ctx.clock.now()
        reported = cmd.reported_at or now
        _not_future(site, now, reported, "report time", "reported_at")
        _check_times(site, reported, now, release_at=cmd.release_at, arrived_at=cmd.arrived_at)
        opened = IncidentOpened(
            elevator_id=unit.id,
            reported_at=reported,
            channel=cmd.channel,
            reported_trouble=cmd.reported_trouble,
            unit_status_at_report=cmd.unit_status_at_report or unit.status,
            reporter=cmd.reporter,
            out_of_service=cmd.out_of_service,
            entrapment=cmd.entrapment,
            persons_trapped=cmd.persons_trapped,
            injuries=cmd.injuries,
            repeat_of=await _repeat_of(uow, unit, cmd.repeat_of, reported),
        )
        events = [NewEvent(incident_id, opened)]
        extra = {f: getattr(cmd, f) for f in _EXTRA_FIELDS if getattr(cmd, f) not in (None, False)}
        if extra:
            events.append(NewEvent(incident_id, IncidentUpdated(**extra)))
        down_by_incident = (
            unit.status is ElevatorStatus.OUT_OF_SERVICE
            and unit.downtime_cause is DowntimeCause.INCIDENT
        )
        if cmd.out_of_service and not down_by_incident:  # planned downtime turns unplanned
            reason = f"Callback: {cmd.reported_trouble}"
            events.append(
                status_change(
                    unit,
                    ElevatorStatus.OUT_OF_SERVICE,
                    reason,
                    cause=DowntimeCause.INCIDENT,
                    incident_id=incident_id,
                    effective_at=max(reported, unit.status_since),
                )
            )
        return events

    return Created(incident_id, await run(ctx, decide))


async def update_incident(cmd: UpdateIncident, *, ctx: ServiceContext) -> Changes:
    """Change the given fields of a callback-log entry."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        incident = await must_get(uow.incidents, cmd.incident_id, "callback")
        _unit, site = await changeable_unit(uow, incident.elevator_id)
        given = given_fields(cmd, key="incident_id")
        requested = {k: v for k, v in given.items() if v is not None or k not in _NOT_NULL}
        changes = changed_fields(incident, requested)
        merged = incident.model_copy(update=changes)
        check_callback(
            entrapment=merged.entrapment,
            persons_trapped=merged.persons_trapped,
            release_at=merged.release_at,
            excluded_from_kpi=merged.excluded_from_kpi,
            exclusion_reason=merged.exclusion_reason,
        )
        _check_times(
            site,
            incident.reported_at,
            ctx.clock.now(),
            release_at=changes.get("release_at"),
            arrived_at=changes.get("arrived_at"),
        )
        return [NewEvent(incident.id, IncidentUpdated(**changes))] if changes else []

    return await run(ctx, decide)


async def _callback_visits(uow: UnitOfWork, incident: Incident) -> int:
    """Callback visits made for ``incident`` (its first-time-fix measure)."""
    visits = await uow.visits.for_elevator(incident.elevator_id)
    return sum(
        1
        for v in visits
        if v.incident_id == incident.id
        and v.type is VisitType.CALLBACK
        and v.status is not VisitStatus.CANCELLED
    )


async def close_incident(cmd: CloseIncident, *, ctx: ServiceContext) -> Changes:
    """Close a callback; back in service makes the unit operational unless another keeps it down."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        incident = await must_get(uow.incidents, cmd.incident_id, "callback")
        if incident.status is IncidentStatus.CLOSED:
            raise ConflictError(
                "This callback is already closed.", hint="Edit its details instead."
            )
        unit, site = await unit_and_site(uow, incident.elevator_id)
        if not (cmd.corrective_action or incident.corrective_action):
            raise ValidationError(
                "Describe the corrective action before closing the callback.",
                field="corrective_action",
            )
        now = ctx.clock.now()
        back_at = cmd.back_in_service_at or (now if cmd.back_in_service else None)
        _not_future(site, now, back_at, "back-in-service time", "back_in_service_at")
        if back_at is not None:
            check_not_before(
                back_at,
                incident.reported_at,
                later_name="back in service",
                earlier_name="report",
                field="back_in_service_at",
                time_zone=site.time_zone,
            )
        closed = IncidentClosed(
            back_in_service_at=back_at,
            corrective_action=cmd.corrective_action,
            fault_code=cmd.fault_code,
            fault_category=cmd.fault_category,
            root_cause=cmd.root_cause,
            visits_to_resolve=await _callback_visits(uow, incident),
        )
        events = [NewEvent(incident.id, closed)]
        if back_at is not None and unit.active and unit.status is not ElevatorStatus.OPERATIONAL:
            still_down = [
                other
                for other in await uow.incidents.open_for_elevator(unit.id)
                if other.id != incident.id
                and other.out_of_service
                and other.back_in_service_at is None
            ]
            if not still_down:
                reason = f"Back in service after callback: {incident.reported_trouble}"
                events.append(
                    status_change(
                        unit,
                        ElevatorStatus.OPERATIONAL,
                        reason,
                        cause=DowntimeCause.INCIDENT,
                        incident_id=incident.id,
                        effective_at=max(back_at, unit.status_since),
                    )
                )
        return events

    return await run(ctx, decide)
