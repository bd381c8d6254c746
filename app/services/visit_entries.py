"""Use cases recording work on a visit in progress: checklist answers, parts, notes, photos,
signatures."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.checklists import TemplateCatalog, evaluate, template_item
from app.domain.commands import AddNote, AddPart, AttachPhoto, RecordChecklistItem, SignVisit
from app.domain.enums import DeficiencyStatus
from app.domain.events import NewEvent
from app.domain.payloads import VisitNoteAdded, VisitPartUsed, VisitPhotoAttached
from app.domain.visit_rules import ensure_editable, item_events, require_template, visit_template
from app.services.common import blob_hash, run, store_blob
from app.services.context import Changes, ServiceContext
from app.services.ports import BlobStore, UnitOfWork
from app.services.visit_common import load_visit, signature_event


async def record_checklist_item(
    cmd: RecordChecklistItem,
    *,
    ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: BlobStore,
) -> Changes:
    """Record one checklist answer; a failed item opens a deficiency (once per visit and item)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        item = template_item(require_template(visit_template(visit, templates)), cmd.key)
        photos = tuple(blob_hash(data) for data in cmd.photos)
        evaluation = evaluate(
            item, outcome=cmd.outcome, reading=cmd.reading, text=cmd.text, photos=photos
        )
        already_open = any(
            d.visit_id == visit.id and d.item_key == item.key and d.status is DeficiencyStatus.OPEN
            for d in await uow.deficiencies.for_elevator(unit.id)
        )
        for data in cmd.photos:
            await store_blob(blobs, data)
        return item_events(
            visit.id, unit.id, evaluation, ctx.ids.new_id, open_deficiency=not already_open
        )

    return await run(ctx, decide)


async def add_part(cmd: AddPart, *, ctx: ServiceContext) -> Changes:
    """Record a part used on a visit in progress."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        return [NewEvent(visit.id, VisitPartUsed(part=cmd.part()))]

    return await run(ctx, decide)


async def add_note(cmd: AddNote, *, ctx: ServiceContext) -> Changes:
    """Add a note to a visit in progress."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        return [NewEvent(visit.id, VisitNoteAdded(text=cmd.text))]

    return await run(ctx, decide)


async def attach_photo(
    cmd: AttachPhoto, *, ctx: ServiceContext, templates: TemplateCatalog, blobs: BlobStore
) -> Changes:
    """Attach a photo to a visit in progress (optionally to one checklist item)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        if cmd.item_key is not None:
            template_item(require_template(visit_template(visit, templates)), cmd.item_key)
        digest = await store_blob(blobs, cmd.data)
        payload = VisitPhotoAttached(sha256=digest, caption=cmd.caption, item_key=cmd.item_key)
        return [NewEvent(visit.id, payload)]

    return await run(ctx, decide)


async def sign_visit(cmd: SignVisit, *, ctx: ServiceContext, blobs: BlobStore) -> Changes:
    """Record the technician's signature or the customer's sign-off (signed or refused)."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        visit, unit, site = await load_visit(uow, cmd.visit_id)
        ensure_editable(visit, unit, site)
        return [await signature_event(visit.id, cmd.signer, cmd.signature, blobs)]

    return await run(ctx, decide)
