"""Continuing a visit in progress (ContinueVisit): one action, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import ContinueVisit, ItemAnswer, PhotoInput, RecordVisit, Signature
from app.domain.enums import ItemOutcome, VisitStatus, VisitType
from app.domain.errors import ConflictError, StoreFullError, ValidationError
from app.domain.work import PartUsed
from app.services.context import ServiceContext
from app.services.visit_forms import continue_visit, record_visit
from tests.fakes import InMemoryStore, MemoryBlobStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused, types_of
from tests.unit.services.test_visit_forms import ARRIVAL, DEPARTURE, TEMPLATE, answers

OIL = "oil-temperature"


async def _in_progress(
    fleet: Fleet, ctx: ServiceContext, templates: TemplateCatalog, blobs: MemoryBlobStore
) -> tuple[UUID, tuple[ItemAnswer, ...]]:
    """A visit saved half done: the first answers (the oil too hot: a deficiency), signed by
    the technician; returns it with the answers still to give."""
    every = answers(templates, oil_temperature="72")
    first = tuple(a for a in every if a.key == OIL) + tuple(a for a in every if a.key != OIL)[:2]
    rest = tuple(a for a in every if a not in first)
    cmd = RecordVisit(
        elevator_id=fleet.hydraulic_id,
        type=VisitType.PREVENTIVE,
        template_id=TEMPLATE,
        arrived_at=ARRIVAL,
        items=first,
        technician_signature=Signature(name="Tess Tech", image=b"tess-sig"),
        complete=False,
    )
    created = await record_visit(cmd, ctx=ctx, templates=templates, blobs=blobs)
    return created.id, rest


def _rest(visit_id: UUID, rest: tuple[ItemAnswer, ...], **changes: object) -> ContinueVisit:
    fields: dict[str, object] = {
        "visit_id": visit_id,
        "departed_at": DEPARTURE,
        "items": (*rest, ItemAnswer(key=OIL, reading="74")),  # still too hot
        "parts": (PartUsed(part_number="SEAL-9", quantity=1),),
        "notes": ("Seal replaced",),
        "photos": (
            PhotoInput(data=b"valve-photo", item_key="oil-leaks"),
            PhotoInput(data=b"tank-photo", caption="Tank"),
        ),
        "customer_signoff": Signature(name="Ann Manager", image=b"ann-sig"),
        "lock": True,
    }
    return ContinueVisit(**(fields | changes))


async def test_the_rest_of_a_visit_is_recorded_in_one_action(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id, rest = await _in_progress(fleet, tech_ctx, templates, blobs)
    begin, commits = len(store.events), store.commits

    changes = await continue_visit(
        _rest(visit_id, rest), ctx=tech_ctx, templates=templates, blobs=blobs
    )

    assert store.commits == commits + 1
    kinds = types_of(store, begin)
    assert kinds.count("visit.item_recorded") == len(rest) + 1
    assert "deficiency.opened" not in kinds  # the oil's deficiency is open already
    assert kinds.count("visit.photo_attached") == 2
    assert kinds.count("visit.signed") == 1  # the customer; the technician had signed
    assert kinds[-2:] == ["visit.completed", "visit.locked"]
    visit = store.state.visits[visit_id]
    assert visit.status is VisitStatus.LOCKED
    assert visit.departed_at == DEPARTURE
    oil = visit.result(OIL)
    assert oil is not None
    assert oil.outcome is ItemOutcome.FAIL
    assert [p.part_number for p in visit.parts] == ["SEAL-9"]
    assert len(store.state.deficiencies) == 1
    assert set(changes.entity_ids("visit")) == {visit_id}
    assert_chain(store, tech_ctx)


async def test_completion_counts_what_the_visit_holds_and_what_is_new(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id, rest = await _in_progress(fleet, tech_ctx, templates, blobs)
    cases = [
        (_rest(visit_id, rest[1:]), "1 mandatory checklist item is not recorded yet"),
        (_rest(visit_id, rest, customer_signoff=None), "The customer sign-off is missing."),
        (
            _rest(visit_id, rest, departed_at=datetime(2025, 3, 3, 6, 30, tzinfo=UTC)),
            "Departure 06:30 is before arrival 07:00.",
        ),
        (
            _rest(visit_id, (ItemAnswer(key="no-such-item", outcome=ItemOutcome.PASS),)),
            "no-such-item",
        ),
    ]
    for cmd, message in cases:
        error = await refused(
            store,
            continue_visit(cmd, ctx=tech_ctx, templates=templates, blobs=blobs),
            ValidationError,
        )
        assert message in error.message
    saved = _rest(visit_id, (), complete=False, lock=False, departed_at=None)
    await continue_visit(saved, ctx=tech_ctx, templates=templates, blobs=blobs)
    assert store.state.visits[visit_id].status is VisitStatus.IN_PROGRESS


@pytest.mark.parametrize("failure", ["a photo half-way", "the commit"])
async def test_a_failure_half_way_leaves_the_visit_exactly_as_it_was(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
    failure: str,
) -> None:
    visit_id, rest = await _in_progress(fleet, tech_ctx, templates, blobs)
    before = store.state.copy()
    if failure == "the commit":
        store.fail_next_commit = StoreFullError("The disk is full.")
    else:
        blobs.room = 1  # the first photo fits, the second does not
    await refused(
        store,
        continue_visit(_rest(visit_id, rest), ctx=tech_ctx, templates=templates, blobs=blobs),
        StoreFullError,
    )
    assert store.state.visits == before.visits
    assert store.state.deficiencies == before.deficiencies
    assert store.state.log == before.log
    assert store.state.entity_heads == before.entity_heads

    blobs.room = None  # space freed: saving again records everything once
    await continue_visit(_rest(visit_id, rest), ctx=tech_ctx, templates=templates, blobs=blobs)
    visit = store.state.visits[visit_id]
    assert visit.status is VisitStatus.LOCKED
    assert [p.part_number for p in visit.parts] == ["SEAL-9"]
    assert [n.text for n in visit.notes] == ["Seal replaced"]
    assert_chain(store, tech_ctx)


async def test_a_finished_visit_cannot_be_continued(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id, rest = await _in_progress(fleet, tech_ctx, templates, blobs)
    await continue_visit(_rest(visit_id, rest), ctx=tech_ctx, templates=templates, blobs=blobs)
    error = await refused(
        store,
        continue_visit(
            _rest(visit_id, (), complete=False, lock=False, departed_at=None),
            ctx=tech_ctx,
            templates=templates,
            blobs=blobs,
        ),
        ConflictError,
    )
    assert "can no longer change" in error.message
