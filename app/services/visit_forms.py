"""The whole-visit form: a visit started, answered, signed and completed in one action."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.checklists import Evaluation, TemplateCatalog, evaluate, template_item
from app.domain.commands import RecordVisit
from app.domain.enums import VisitStatus
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
    item_events,
    require_template,
    resolve_template,
)
from app.services.common import Created, blob_hash, changeable_unit, must_get, run, store_blob
from app.services.context import ServiceContext
from app.services.ports import BlobStore, UnitOfWork
from app.services.visit_common import linked_incident, signature_event


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
        evaluations: list[Evaluation] = []
        for answer in cmd.items:
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
        for photo in cmd.photos:
            if photo.item_key is not None:
                template_item(require_template(template), photo.item_key)
        if cmd.complete and cmd.departed_at is not None:
            check_completion(
                template=template,
                answered=[answer.key for answer in cmd.items],
                arrived_at=cmd.arrived_at,
                departed_at=cmd.departed_at,
                technician_signed=cmd.technician_signature is not None,
                customer_answered=cmd.customer_signoff is not None,
                site=site,
            )
        elif cmd.departed_at is not None:
            check_not_before(
                cmd.departed_at,
                cmd.arrived_at,
                later_name="departure",
                earlier_name="arrival",
                field="departed_at",
                time_zone=site.time_zone,
            )
        elif cmd.complete:  # the command refuses this; kept for type narrowing
            raise ValidationError("Enter the departure time.", field="departed_at")

        # Everything is valid: build the events (and only now store the blobs).
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
        for answer, evaluation in zip(cmd.items, evaluations, strict=True):
            for data in answer.photos:
                await store_blob(blobs, data)
            events += item_events(visit_id, unit.id, evaluation, ctx.ids.new_id)
        events += [NewEvent(visit_id, VisitPartUsed(part=part)) for part in cmd.parts]
        events += [NewEvent(visit_id, VisitNoteAdded(text=note)) for note in cmd.notes]
        for photo in cmd.photos:
            digest = await store_blob(blobs, photo.data)
            attached = VisitPhotoAttached(
                sha256=digest, caption=photo.caption, item_key=photo.item_key
            )
            events.append(NewEvent(visit_id, attached))
        if cmd.technician_signature is not None:
            events.append(
                await signature_event(visit_id, "technician", cmd.technician_signature, blobs)
            )
        if cmd.customer_signoff is not None:
            events.append(await signature_event(visit_id, "customer", cmd.customer_signoff, blobs))
        if cmd.complete and cmd.departed_at is not None:
            events.append(NewEvent(visit_id, VisitCompleted(departed_at=cmd.departed_at)))
            if cmd.lock:
                events.append(NewEvent(visit_id, VisitLocked()))
        return events

    return Created(visit_id, await run(ctx, decide))
