"""Continuing a visit on the real store: a failure half-way leaves the visit exactly as it was."""

from __future__ import annotations

from uuid import UUID

import pytest

from app.demo.seeding import seed_fleet
from app.domain.commands import ContinueVisit, ItemAnswer, PhotoInput, RecordVisit, Signature
from app.domain.enums import ItemKind, ItemOutcome, VisitStatus, VisitType
from app.domain.errors import StoreFullError
from app.services.context import ServiceContext
from app.services.templates import load_catalog
from app.services.visit_forms import continue_visit, record_visit
from app.store import Store
from tests.fakes import MemoryBlobStore

TEMPLATE = "pm-monthly-traction"


async def _visit_state(store: Store, ctx: ServiceContext, visit_id: UUID) -> tuple[object, ...]:
    """The visit, its events, the device's chain head, the deficiencies and the event count."""
    async with store.unit_of_work() as uow:
        visit = await uow.visits.get(visit_id)
        history = await uow.events.for_entity(visit_id)
        head = await uow.events.head(ctx.device.device_id)
        deficiencies = await uow.deficiencies.list_all()
    return visit, [e.hash for e in history], head, deficiencies, await store.count_events()


@pytest.mark.parametrize("failure", ["a photo half-way", "the disk at commit"])
async def test_a_failed_continuation_leaves_the_visit_as_it_was(
    store: Store, ctx: ServiceContext, failure: str
) -> None:
    templates, blobs = load_catalog(), MemoryBlobStore()
    [unit] = await seed_fleet(ctx, units=1)
    arrived = ctx.clock.now()
    started = RecordVisit(
        elevator_id=unit,
        type=VisitType.PREVENTIVE,
        template_id=TEMPLATE,
        arrived_at=arrived,
        items=(ItemAnswer(key=templates.get(TEMPLATE).items[0].key, outcome=ItemOutcome.PASS),),
        technician_signature=Signature(name="Seed", image=b"signature"),
        complete=False,
    )
    visit_id = (await record_visit(started, ctx=ctx, templates=templates, blobs=blobs)).id
    rest = ContinueVisit(
        visit_id=visit_id,
        items=tuple(
            ItemAnswer(key=item.key, outcome=ItemOutcome.NOT_APPLICABLE)
            for item in templates.get(TEMPLATE).items[1:]
            if item.kind is not ItemKind.PASS_FAIL
        ),
        notes=("x" * 8_000,) * 5,  # 40,000 characters, each note under the cap
        photos=(PhotoInput(data=b"first"), PhotoInput(data=b"second")),
        customer_signoff=Signature(name="Ann", refused=True),
        complete=False,
    )
    before = await _visit_state(store, ctx, visit_id)
    if failure == "the disk at commit":
        await store.limit_pages(await store.page_count() + 2)
    else:
        blobs.room = 1
    with pytest.raises(StoreFullError):
        await continue_visit(rest, ctx=ctx, templates=templates, blobs=blobs)
    assert await _visit_state(store, ctx, visit_id) == before

    await store.limit_pages(None)
    blobs.room = None  # space freed: saving again records everything once
    await continue_visit(rest, ctx=ctx, templates=templates, blobs=blobs)
    async with store.unit_of_work() as uow:
        visit = await uow.visits.get(visit_id)
    assert visit is not None
    assert visit.status is VisitStatus.IN_PROGRESS
    assert len(visit.photos) == 2
    assert len(visit.notes) == 5
    assert visit.customer_signoff is not None
