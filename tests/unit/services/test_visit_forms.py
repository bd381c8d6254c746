"""The whole-visit form (RecordVisit): one action, same rules as step by step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import ItemAnswer, PhotoInput, RecordVisit, Signature
from app.domain.enums import DeficiencySeverity, ItemKind, ItemOutcome, VisitStatus, VisitType
from app.domain.errors import StoreFullError, ValidationError
from app.domain.work import PartUsed
from app.services.context import ServiceContext
from app.services.visit_forms import record_visit
from tests.fakes import InMemoryStore, MemoryBlobStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused, types_of

ARRIVAL = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
DEPARTURE = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
TEMPLATE = "pm-monthly-hydraulic"


def answers(templates: TemplateCatalog, **overrides: str) -> tuple[ItemAnswer, ...]:
    """Passing answers to every mandatory item; ``overrides`` give readings by key."""
    result = []
    for item in templates.get(TEMPLATE).items:
        if not item.mandatory:
            continue
        if item.kind is ItemKind.READING:
            reading = overrides.get(item.key.replace("-", "_"), str(item.min_value))
            result.append(ItemAnswer(key=item.key, reading=reading))
        else:
            result.append(ItemAnswer(key=item.key, outcome=ItemOutcome.PASS))
    return tuple(result)


def form(fleet: Fleet, templates: TemplateCatalog, **changes: object) -> RecordVisit:
    fields: dict[str, object] = {
        "elevator_id": fleet.hydraulic_id,
        "type": VisitType.PREVENTIVE,
        "template_id": TEMPLATE,
        "arrived_at": ARRIVAL,
        "departed_at": DEPARTURE,
        "items": answers(templates, oil_temperature="72"),
        "parts": (PartUsed(part_number="SEAL-9", quantity=1),),
        "notes": ("Topped up oil",),
        "photos": (PhotoInput(data=b"leak-photo", caption="Valve block", item_key="oil-leaks"),),
        "technician_signature": Signature(name="Tess Tech", image=b"tess-sig"),
        "customer_signoff": Signature(name="Ann Manager", image=b"ann-sig"),
        "lock": True,
    }
    return RecordVisit(**(fields | changes))


async def test_a_whole_visit_is_recorded_in_one_action(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    begin, commits = len(store.events), store.commits
    created = await record_visit(
        form(fleet, templates), ctx=tech_ctx, templates=templates, blobs=blobs
    )

    assert store.commits == commits + 1
    visit = store.state.visits[created.id]
    assert visit.status is VisitStatus.LOCKED
    assert (visit.arrived_at, visit.departed_at) == (ARRIVAL, DEPARTURE)
    assert len(visit.results) == 9
    oil = visit.result("oil-temperature")
    assert oil is not None
    assert oil.outcome is ItemOutcome.FAIL
    [deficiency] = store.state.deficiencies.values()
    assert deficiency.severity is DeficiencySeverity.DEFICIENT
    assert deficiency.description.startswith("Hydraulic oil temperature failed: reading 72")
    assert visit.customer_signoff is not None
    assert visit.customer_signoff.name == "Ann Manager"
    assert set(blobs.blobs.values()) == {b"leak-photo", b"tess-sig", b"ann-sig"}
    kinds = types_of(store, begin)
    assert kinds[0] == "visit.started"
    assert kinds[-2:] == ["visit.completed", "visit.locked"]
    assert kinds.count("deficiency.opened") == 1
    assert set(created.changes.entity_ids("visit")) == {created.id}
    assert created.changes.entity_ids("deficiency") == [deficiency.id]
    assert_chain(store, tech_ctx)


async def test_bad_whole_visit_forms_write_nothing(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    cases = [
        (
            form(fleet, templates, items=answers(templates, oil_temperature="warm")),
            "Reading 'warm' for 'Hydraulic oil temperature' is not a number.",
        ),
        (
            form(fleet, templates, departed_at=datetime(2025, 3, 3, 6, 10, tzinfo=UTC)),
            "Departure 06:10 is before arrival 07:00.",
        ),
        (
            form(fleet, templates, items=answers(templates)[1:]),
            "1 mandatory checklist item is not recorded yet: "
            "'Door operation, reopening device and door lock'.",
        ),
        (form(fleet, templates, customer_signoff=None), "The customer sign-off is missing."),
        (
            form(fleet, templates, template_id="pm-monthly-mrl"),
            "Checklist 'Monthly preventive maintenance - machine-room-less' is for "
            "machine-room-less traction units; unit 'L2' is hydraulic.",
        ),
    ]
    for cmd, message in cases:
        error = await refused(
            store,
            record_visit(cmd, ctx=tech_ctx, templates=templates, blobs=blobs),
            ValidationError,
        )
        assert error.message == message
    assert not blobs.blobs


async def test_form_level_mistakes_are_caught_by_the_command(fleet: Fleet) -> None:
    with pytest.raises(ValidationError, match="Only a completed visit can be locked"):
        RecordVisit(
            elevator_id=fleet.hydraulic_id,
            type=VisitType.REPAIR,
            arrived_at=ARRIVAL,
            lock=True,
            complete=False,
        )


async def test_an_open_visit_can_be_saved_without_completing(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    cmd = RecordVisit(
        elevator_id=fleet.hydraulic_id,
        type=VisitType.REPAIR,
        arrived_at=ARRIVAL,
        complete=False,
        notes=("Waiting for parts",),
    )
    created = await record_visit(cmd, ctx=tech_ctx, templates=templates, blobs=blobs)
    visit = store.state.visits[created.id]
    assert visit.status is VisitStatus.IN_PROGRESS
    assert visit.template_id is None


async def test_a_failed_commit_rolls_everything_back(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    store.fail_next_commit = StoreFullError("The disk is full.")
    await refused(
        store,
        record_visit(form(fleet, templates), ctx=tech_ctx, templates=templates, blobs=blobs),
        StoreFullError,
    )
    assert not store.state.visits
    assert not store.state.deficiencies
    # The device chain carries on from the last committed event, without a gap.
    await record_visit(form(fleet, templates), ctx=tech_ctx, templates=templates, blobs=blobs)
    assert_chain(store, tech_ctx)
