"""The visit form's use cases, each one action in one unit of work: record a whole visit
(started, answered, signed, completed), or continue a visit in progress with what was entered
since it was last saved. Both follow the rules of the step-by-step use cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from app.domain.checklists import Evaluation, TemplateCatalog, evaluate, template_item
from app.domain.commands import ContinueVisit, RecordVisit, VisitEntries
from app.domain.entities import ChecklistTemplate, Site
from app.domain.enums import DeficiencyStatus, VisitStatus
from app.domain.errors import ConflictError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import (
    VisitCompleted,
    VisitLocked,
    VisitNoteAdded,
    VisitPartUsed,
    VisitPhotoAttached,
    VisitStarted,
)
from app.domain.site_time import check_not_before
from app.domain.visit_rules import (
    arrival_events,
    check_completion,
    check_visit_times,
    ensure_editable,
    item_events,
    require_template,
    resolve_template,
    visit_template,
)
from app.domain.work import Visit
from app.services.common import Created, blob_hash, changeable_unit, must_get, run, store_blob
from app.services.context import Changes, ServiceContext
from app.services.ports import BlobStore, UnitOfWork
from app.services.visit_common import linked_incident, load_visit, signature_event


@dataclass(frozen=True, slots=True)
class _Before:
    """What the visit holds before the form's entries are added (nothing, for a new visit)."""

    arrived_at: datetime | None
    answered: tuple[str, ...] = ()
    technician_signed: bool = False
    customer_answered: bool = False
    open_deficiencies: frozenset[str] = frozenset()
    """The checklist items whose deficiency, opened on this visit, is still open."""


async def _stored(uow: UnitOfWork, visit: Visit) -> _Before:
    open_items = frozenset(
        d.item_key
        for d in await uow.deficiencies.for_elevator(visit.elevator_id)
        if d.visit_id == visit.id and d.item_key is not None and d.status is DeficiencyStatus.OPEN
    )
    return _Before(
        arrived_at=visit.arrived_at,
        answered=tuple(result.key for result in visit.results),
        technician_signed=visit.technician_signature is not None,
        customer_answered=visit.customer_signoff is not None,
        open_deficiencies=open_items,
    )


def _check_entries(
    entries: VisitEntries, template: ChecklistTemplate | None, site: Site, before: _Before
) -> list[Evaluation]:
    """Check every entry before anything is stored; return the evaluated checklist answers."""
    evaluations: list[Evaluation] = []
    for answer in entries.items:
        item = template_item(require_template(template), answer.key)
        photos = tuple(blob_hash(data) for data in answer.photos)
        evaluations.append(
            evaluate(
                item,
                outcome=answer.outcome,
                reading=answer.reading,
                text=answer.text,
                photos=photos,
            )
        )
    for photo in entries.photos:
        if photo.item_key is not None:
            template_item(require_template(template), photo.item_key)
    if entries.complete and entries.departed_at is not None:
        check_completion(
            template=template,
            answered=[*before.answered, *(answer.key for answer in entries.items)],
            arrived_at=before.arrived_at,
            departed_at=entries.departed_at,
            technician_signed=before.technician_signed or entries.technician_signature is not None,
            customer_answered=before.customer_answered or entries.customer_signoff is not None,
            site=site,
        )
    elif entries.departed_at is not None and before.arrived_at is not None:
        check_not_before(
            entries.departed_at,
            before.arrived_at,
            later_name="departure",
            earlier_name="arrival",
            field="departed_at",
            time_zone=site.time_zone,
        )
    elif entries.complete:  # the command refuses this; kept for type narrowing
        raise ValidationError("Enter the departure time.", field="departed_at")
    return evaluations


async def _entry_events(
    visit_id: UUID,
    elevator_id: UUID,
    entries: VisitEntries,
    evaluations: list[Evaluation],
    before: _Before,
    *,
    ctx: ServiceContext,
    blobs: BlobStore,
) -> list[NewEvent]:
    """The entries' events, in the order the step-by-step use cases record them.

    Called once every entry is checked: only now are photos and signatures stored.
    """
    events: list[NewEvent] = []
    for answer, evaluation in zip(entries.items, evaluations, strict=True):
        for data in answer.photos:
            await store_blob(blobs, data)
        opens = answer.key not in before.open_deficiencies
        events += item_events(
            visit_id, elevator_id, evaluation, ctx.ids.new_id, open_deficiency=opens
        )
    events += [NewEvent(visit_id, VisitPartUsed(part=part)) for part in entries.parts]
    events += [NewEvent(visit_id, VisitNoteAdded(text=note)) for note in entries.notes]
    for photo in entries.photos:
        digest = await store_blob(blobs, photo.data)
        attached = VisitPhotoAttached(sha256=digest, caption=photo.caption, item_key=photo.item_key)
        events.append(NewEvent(visit_id, attached))
    if entries.technician_signature is not None:
        signature = entries.technician_signature
        events.append(await signature_event(visit_id, "technician", signature, blobs))
    if entries.customer_signoff is not None:
        events.append(await signature_event(visit_id, "customer", entries.customer_signoff, blobs))
    if entries.complete and entries.departed_at is not None:
        events.append(NewEvent(visit_id, VisitCompleted(departed_at=entries.departed_at)))
        if entries.lock:
            events.append(NewEvent(visit_id, VisitLocked()))
    return events


async def record_visit(
    cmd: RecordVisit, *, ctx: ServiceContext, templates: TemplateCatalog, blobs: BlobStore
) -> Created:
    """Record a whole visit form in one transaction, with the same rules as step by step."""
    visit_id = cmd.scheduled_visit_id or ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await changeable_unit(uow, cmd.elevator_id)
        if cmd.scheduled_visit_id is not None:
            planned = await must_get(uow.visits, cmd.scheduled_visit_id, "scheduled visit")
            if planned.elevator_id != unit.id or planned.status is not VisitStatus.SCHEDULED:
                raise ConflictError(
                    "That visit is not a scheduled visit of this unit.",
                    hint="Choose the unit's scheduled visit, or record a new visit.",
                )
        check_visit_times(
            site, ctx.clock.now(), arrived_at=cmd.arrived_at, departed_at=cmd.departed_at
        )
        template = resolve_template(templates, cmd.template_id, cmd.template_version, unit)
        incident = await linked_incident(uow, cmd.incident_id, unit, cmd.arrived_at, site)
        before = _Before(arrived_at=cmd.arrived_at)
        evaluations = _check_entries(cmd, template, site, before)
        started = VisitStarted(
            elevator_id=unit.id,
            site_id=unit.site_id,
            type=cmd.type,
            technician_id=ctx.actor.user_id,
            arrived_at=cmd.arrived_at,
            template_id=template.template_id if template else None,
            template_version=template.version if template else None,
            incident_id=cmd.incident_id,
        )
        events = [NewEvent(visit_id, started), *arrival_events(incident, cmd.arrived_at)]
        return events + await _entry_events(
            visit_id, unit.id, cmd, evaluations, before, ctx=ctx, blobs=blobs
        )

    return Created(visit_id, await run(ctx, decide))


async def continue_visit(
    cmd: ContinueVisit, *, ctx: ServiceContext, templates: TemplateCatalog, blobs: BlobStore
) -> Changes:
    """Record what was entered on a visit in progress since it was last saved, in one
    transaction: should anything fail, the visit stays exactly as it was."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        check_visit_times(site, ctx.clock.now(), arrived_at=None, departed_at=cmd.departed_at)
        before = await _stored(uow, visit)
        evaluations = _check_entries(cmd, visit_template(visit, templates), site, before)
        return await _entry_events(
            visit.id, unit.id, cmd, evaluations, before, ctx=ctx, blobs=blobs
        )

    return await run(ctx, decide)
