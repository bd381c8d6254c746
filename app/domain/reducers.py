"""Reducers: pure functions folding recorded events into projections, identical for any store.

``reduce(current, event)`` returns the new projection of the event's entity. The store loads
``current`` (``None`` for a new entity), calls the reducer and saves the result; rebuilding all
projections is the same fold over the whole log.

A reducer refuses an event that is invalid against the state it meets by raising
``EventRejected`` (see its docstring for what a store then does): an edit or status change of
a decommissioned unit, a status change without a reason or taking effect after it was
recorded, an event about an entity that does not exist, a second creation of one that does,
settings no organization may have. A status change takes effect at its ``effective_at`` (else
when recorded). One recorded with an ``effective_at`` before the unit's current status began
(it arrived late, through sync) joins the history in its place without changing the current
status; one without (recorded as it happened) always applies, whatever the clocks of the
devices say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from pydantic import ValidationError as PydanticValidationError

from app.domain import payloads as p
from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.enums import DeficiencyStatus, IncidentStatus, VisitStatus
from app.domain.errors import ConflictError, EventRejected
from app.domain.events import Event, PartialPayload
from app.domain.forms import user_error
from app.domain.settings import OrganizationSettings
from app.domain.status import check_status_event, check_unit_edit, default_cause
from app.domain.work import (
    Addendum,
    Deficiency,
    Incident,
    Inspection,
    ItemResult,
    Note,
    Photo,
    SignOff,
    Visit,
)

type Projection = (
    Organization | User | Customer | Site | Elevator | Visit | Deficiency | Incident | Inspection
)
type Reducer = Callable[[Any, Event], Any]


def _require[T](current: T | None, event: Event) -> T:
    if current is None:
        raise EventRejected(
            f"Event {event.type} refers to unknown {event.entity_type} {event.entity_id}."
        )
    return current


def _create_guard(current: object, event: Event) -> None:
    if current is not None:
        raise EventRejected(f"{event.entity_type} {event.entity_id} already exists.")


def _base(event: Event) -> dict[str, Any]:
    return {"id": event.entity_id, "organization_id": event.organization_id}


def _edit[T: Projection](current: T | None, event: Event) -> T:
    state = _require(current, event)
    assert isinstance(event.payload, PartialPayload)
    changes = {**event.payload.changes(), "updated_at": event.occurred_at}
    return cast(T, state.model_copy(update=changes))


def reduce_organization(current: Organization | None, event: Event) -> Organization:
    pl = event.payload
    at = event.occurred_at
    if event.entity_id != event.organization_id:
        raise EventRejected("An organization's events must be about that organization.")
    if isinstance(pl, p.OrganizationCreated):
        _create_guard(current, event)
        return Organization(
            id=event.entity_id,
            name=pl.name,
            time_zone=pl.time_zone,
            settings=pl.settings,
            created_at=at,
            updated_at=at,
        )
    organization = _require(current, event)
    assert isinstance(pl, p.OrganizationSettingsChanged)
    merged = {**organization.settings.model_dump(), **pl.changes()}
    try:
        settings = OrganizationSettings.model_validate(merged)
    except PydanticValidationError as exc:
        raise EventRejected(f"These settings are not valid: {user_error(exc).message}") from None
    return organization.model_copy(update={"settings": settings, "updated_at": at})


def reduce_user(current: User | None, event: Event) -> User:
    pl = event.payload
    if isinstance(pl, p.UserRegistered):
        _create_guard(current, event)
        at = event.occurred_at
        return User(**_base(event), **pl.model_dump(), created_at=at, updated_at=at)
    if isinstance(pl, p.UserPinSet):  # kept in the log only: read from there when switching
        return _require(current, event).model_copy(update={"updated_at": event.occurred_at})
    return _edit(current, event)


def reduce_customer(current: Customer | None, event: Event) -> Customer:
    pl = event.payload
    if isinstance(pl, p.CustomerCreated):
        _create_guard(current, event)
        at = event.occurred_at
        return Customer(**_base(event), **pl.model_dump(), created_at=at, updated_at=at)
    return _edit(current, event)


def reduce_site(current: Site | None, event: Event) -> Site:
    pl = event.payload
    if isinstance(pl, p.SiteCreated):
        _create_guard(current, event)
        at = event.occurred_at
        return Site(**_base(event), **pl.model_dump(), created_at=at, updated_at=at)
    if isinstance(pl, p.SiteTechnicianAssigned):
        site = _require(current, event)
        techs = [t for t in site.assigned_technicians if t != pl.technician_id]
        if pl.assigned:
            techs.append(pl.technician_id)
        return site.model_copy(
            update={"assigned_technicians": tuple(techs), "updated_at": event.occurred_at}
        )
    return _edit(current, event)


def reduce_elevator(current: Elevator | None, event: Event) -> Elevator:
    pl = event.payload
    at = event.occurred_at
    if isinstance(pl, p.ElevatorRegistered):
        _create_guard(current, event)
        return Elevator(
            **_base(event),
            **pl.model_dump(),
            status_since=at,
            registered_at=at,
            updated_at=at,
        )
    unit = _require(current, event)
    if isinstance(pl, p.ElevatorStatusChanged):
        effective = check_status_event(unit, pl, recorded=at)
        if pl.effective_at is not None and effective < unit.status_since:
            # back-dated before the change in force (it arrived late, by sync): it joins the
            # history in its place (``status_change_of``) and leaves the current status alone
            return unit.model_copy(update={"updated_at": at})
        return unit.model_copy(
            update={
                "status": pl.new,
                "status_since": effective,
                "status_reason": pl.reason,
                "downtime_cause": pl.cause or default_cause(pl.new),
                "updated_at": at,
            }
        )
    check_unit_edit(unit)
    return _edit(unit, event)


def status_change_of(event: Event) -> StatusChange | None:
    """The status-history row an event adds, if it is a status change."""
    pl = event.payload
    if not isinstance(pl, p.ElevatorStatusChanged):
        return None
    effective = pl.effective_at or event.occurred_at
    return StatusChange(
        event_id=event.event_id,
        elevator_id=event.entity_id,
        previous=pl.previous,
        new=pl.new,
        reason=pl.reason,
        cause=pl.cause or default_cause(pl.new),
        incident_id=pl.incident_id,
        changed_at=effective,
        actor_id=event.actor_id,
        recorded_at=event.occurred_at if event.occurred_at != effective else None,
    )


def _visit_update(visit: Visit, event: Event, **changes: Any) -> Visit:
    return visit.model_copy(update={**changes, "updated_at": event.occurred_at})


def reduce_visit(current: Visit | None, event: Event) -> Visit:
    pl = event.payload
    at = event.occurred_at
    if isinstance(pl, p.VisitScheduled):
        _create_guard(current, event)
        return Visit(
            **_base(event),
            **pl.model_dump(),
            status=VisitStatus.SCHEDULED,
            created_at=at,
            updated_at=at,
        )
    if isinstance(pl, p.VisitStarted):
        fields = {**pl.model_dump(), "status": VisitStatus.IN_PROGRESS}
        if current is None:
            return Visit(**_base(event), **fields, created_at=at, updated_at=at)
        return _visit_update(current, event, **fields)
    visit = _require(current, event)
    match pl:
        case p.VisitItemRecorded():
            result = ItemResult.model_construct(  # the payload's fields, validated already
                key=pl.key,
                outcome=pl.outcome,
                value=pl.value,
                text=pl.text,
                photos=pl.photos,
                recorded_at=at,
            )
            kept = tuple(r for r in visit.results if r.key != pl.key)
            return _visit_update(visit, event, results=(*kept, result))
        case p.VisitPartUsed():
            return _visit_update(visit, event, parts=(*visit.parts, pl.part))
        case p.VisitNoteAdded():
            note = Note(text=pl.text, author_id=event.actor_id, written_at=at)
            return _visit_update(visit, event, notes=(*visit.notes, note))
        case p.VisitPhotoAttached():
            photo = Photo(**pl.model_dump())
            return _visit_update(visit, event, photos=(*visit.photos, photo))
        case p.VisitSigned():
            sign = SignOff(name=pl.name, signature_sha256=pl.signature_sha256, refused=pl.refused)
            field = "technician_signature" if pl.signer == "technician" else "customer_signoff"
            return _visit_update(visit, event, **{field: sign})
        case p.VisitCompleted():
            return _visit_update(
                visit,
                event,
                status=VisitStatus.COMPLETED,
                departed_at=pl.departed_at,
                completed_at=at,
            )
        case p.VisitLocked():
            return _visit_update(visit, event, status=VisitStatus.LOCKED, locked_at=at)
        case p.VisitCancelled():
            return _visit_update(
                visit, event, status=VisitStatus.CANCELLED, cancel_reason=pl.reason
            )
        case p.VisitAddendumAdded():
            add = Addendum(
                event_id=event.event_id, text=pl.text, author_id=event.actor_id, written_at=at
            )
            return _visit_update(visit, event, addenda=(*visit.addenda, add))
    raise ConflictError(f"No visit reducer for {event.type}.")


def reduce_deficiency(current: Deficiency | None, event: Event) -> Deficiency:
    pl = event.payload
    if isinstance(pl, p.DeficiencyOpened):
        _create_guard(current, event)
        return Deficiency(**_base(event), **pl.model_dump(), opened_at=event.occurred_at)
    assert isinstance(pl, p.DeficiencyStatusChanged)
    deficiency = _require(current, event)
    closed = pl.status is not DeficiencyStatus.OPEN
    return deficiency.model_copy(
        update={
            "status": pl.status,
            "resolution": pl.resolution,
            "closed_at": event.occurred_at if closed else None,
        }
    )


def reduce_incident(current: Incident | None, event: Event) -> Incident:
    pl = event.payload
    at = event.occurred_at
    if isinstance(pl, p.IncidentOpened):
        _create_guard(current, event)
        down_at = pl.reported_at if pl.out_of_service else None
        return Incident(**_base(event), **pl.model_dump(), out_of_service_at=down_at)
    incident = _require(current, event)
    if isinstance(pl, p.IncidentUpdated):
        return incident.model_copy(update=pl.changes())
    assert isinstance(pl, p.IncidentClosed)
    changes = {k: v for k, v in pl.model_dump().items() if v is not None}
    return incident.model_copy(update={**changes, "status": IncidentStatus.CLOSED, "closed_at": at})


def reduce_inspection(current: Inspection | None, event: Event) -> Inspection:
    _create_guard(current, event)
    pl = event.payload
    assert isinstance(pl, p.InspectionRecorded)
    return Inspection(**_base(event), **pl.model_dump(), recorded_at=event.occurred_at)


REDUCERS: dict[str, Reducer] = {
    "organization": reduce_organization,
    "user": reduce_user,
    "customer": reduce_customer,
    "site": reduce_site,
    "elevator": reduce_elevator,
    "visit": reduce_visit,
    "deficiency": reduce_deficiency,
    "incident": reduce_incident,
    "inspection": reduce_inspection,
}
"""The reducer for each entity type."""


def reduce(current: Any, event: Event) -> Projection:
    """Fold one event into the projection of its entity."""
    try:
        reducer = REDUCERS[event.entity_type]
    except KeyError:
        raise ConflictError(f"No reducer for entity type {event.entity_type!r}.") from None
    result: Projection = reducer(current, event)
    return result
