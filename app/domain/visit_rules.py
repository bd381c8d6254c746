"""Rules every visit use case shares: lifecycle guards, templates, item events, completion.

Pure: what needs the store or the blob store (loading a visit, the callback it answers, the
sign-off image) is in ``app.services.visit_common``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from app.domain.checklists import (
    Evaluation,
    TemplateCatalog,
    require_mandatory,
    severity_on_fail,
)
from app.domain.dates import check_not_future
from app.domain.entities import ChecklistTemplate, Elevator, Site
from app.domain.enums import DriveType, IncidentStatus, VisitStatus
from app.domain.errors import ConflictError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import DeficiencyOpened, IncidentUpdated, VisitItemRecorded
from app.domain.site_time import check_not_before, local_time
from app.domain.status import ensure_in_service_record
from app.domain.work import Incident, Visit

_DRIVE_NAMES = {
    DriveType.TRACTION: "traction",
    DriveType.HYDRAULIC: "hydraulic",
    DriveType.MRL_TRACTION: "machine-room-less traction",
}


def ensure_not_finished(visit: Visit, site: Site) -> None:
    """Raise if the visit is completed, locked or cancelled (its record is final)."""
    if visit.status in (VisitStatus.COMPLETED, VisitStatus.LOCKED):
        when = visit.completed_at or visit.updated_at
        day = local_time(when, site.time_zone, with_date=True)[:10]
        raise ConflictError(
            f"This visit was completed on {day}; it can no longer change.",
            hint="Add an addendum to correct it.",
        )
    if visit.status is VisitStatus.CANCELLED:
        raise ConflictError(
            "This visit was cancelled; it can no longer change.", hint="Start a new visit instead."
        )


def ensure_editable(visit: Visit, unit: Elevator, site: Site) -> None:
    """Raise unless work may be recorded on the visit: in progress, unit not decommissioned."""
    ensure_not_finished(visit, site)
    if visit.status is VisitStatus.SCHEDULED:
        raise ConflictError(
            "This visit has not started yet.",
            hint="Start the visit (arrival time) before recording work.",
        )
    ensure_in_service_record(unit, site)


def resolve_template(
    templates: TemplateCatalog, template_id: str | None, version: int | None, unit: Elevator
) -> ChecklistTemplate | None:
    """The checklist a visit will use, checked against the unit's drive type."""
    if template_id is None:
        return None
    template = templates.get(template_id, version)
    if unit.drive_type not in template.drive_types:
        kinds = " or ".join(_DRIVE_NAMES[d] for d in template.drive_types)
        raise ValidationError(
            f"Checklist '{template.name}' is for {kinds} units; unit '{unit.unit_number}' is "
            f"{_DRIVE_NAMES[unit.drive_type]}.",
            field="template_id",
            hint="Choose a checklist for this unit's drive type.",
        )
    return template


def visit_template(visit: Visit, templates: TemplateCatalog) -> ChecklistTemplate | None:
    """The checklist the visit recorded at its start, if any."""
    if visit.template_id is None:
        return None
    return templates.get(visit.template_id, visit.template_version)


def require_template(template: ChecklistTemplate | None) -> ChecklistTemplate:
    """Raise unless a checklist was chosen."""
    if template is None:
        raise ValidationError(
            "This visit has no checklist.",
            field="template_id",
            hint="Choose a checklist when starting the visit.",
        )
    return template


def arrival_events(incident: Incident | None, arrived_at: datetime) -> list[NewEvent]:
    """Record the first arrival on an open callback (its response time)."""
    if incident is None or incident.arrived_at is not None:
        return []
    if incident.status is not IncidentStatus.OPEN:
        return []
    return [NewEvent(incident.id, IncidentUpdated(arrived_at=arrived_at))]


def item_events(
    visit_id: UUID,
    elevator_id: UUID,
    evaluation: Evaluation,
    new_id: Callable[[], UUID],
    *,
    open_deficiency: bool = True,
) -> list[NewEvent]:
    """The recorded answer and, when it failed, the deficiency it opens."""
    events = [
        NewEvent(
            visit_id,
            VisitItemRecorded(
                key=evaluation.item.key,
                outcome=evaluation.outcome,
                value=evaluation.value,
                text=evaluation.text,
                photos=evaluation.photos,
            ),
        )
    ]
    if evaluation.failed and open_deficiency:
        opened = DeficiencyOpened(
            elevator_id=elevator_id,
            severity=severity_on_fail(evaluation.item),
            description=evaluation.problem(),
            visit_id=visit_id,
            item_key=evaluation.item.key,
        )
        events.append(NewEvent(new_id(), opened))
    return events


def check_completion(
    *,
    template: ChecklistTemplate | None,
    answered: list[str],
    arrived_at: datetime | None,
    departed_at: datetime,
    technician_signed: bool,
    customer_answered: bool,
    site: Site,
) -> None:
    """Raise unless a visit may complete: checklist, times and sign-offs."""
    if template is not None:
        require_mandatory(template, answered)
    if arrived_at is None:
        raise ConflictError("The visit has no arrival time.", hint="Start the visit first.")
    check_not_before(
        departed_at,
        arrived_at,
        later_name="departure",
        earlier_name="arrival",
        field="departed_at",
        time_zone=site.time_zone,
    )
    if not technician_signed:
        raise ValidationError(
            "The technician's signature is missing.",
            field="technician_signature",
            hint="Sign the visit before completing it.",
        )
    if not customer_answered:
        raise ValidationError(
            "The customer sign-off is missing.",
            field="customer_signoff",
            hint="Ask the customer to sign, or record that they refused.",
        )


def check_visit_times(
    site: Site, now: datetime, *, arrived_at: datetime | None, departed_at: datetime | None
) -> None:
    """Raise if the arrival or the departure is in the future (beyond the clock allowance)."""
    for moment, what, field in (
        (arrived_at, "arrival", "arrived_at"),
        (departed_at, "departure", "departed_at"),
    ):
        if moment is not None:
            check_not_future(
                moment,
                now,
                what=f"{what} time",
                field=field,
                time_zone=site.time_zone,
                hint=f"Record the visit with its real {what} time, once it has happened.",
            )
