"""Visits step by step: start, record, sign, complete, lock, addenda; and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    AddAddendum,
    AddNote,
    AddPart,
    AttachPhoto,
    CancelVisit,
    ChangeElevatorStatus,
    CompleteVisit,
    LockVisit,
    RecordChecklistItem,
    ScheduleVisit,
    Signature,
    SignVisit,
    StartVisit,
)
from app.domain.entities import ChecklistTemplate
from app.domain.enums import (
    DeficiencySeverity,
    ElevatorStatus,
    ItemKind,
    ItemOutcome,
    VisitStatus,
    VisitType,
)
from app.domain.errors import AuthorizationError, ConflictError, NotFoundError, ValidationError
from app.domain.payloads import DeficiencyOpened, VisitItemRecorded, VisitSigned
from app.services.context import ServiceContext
from app.services.elevators import change_elevator_status
from app.services.visit_entries import (
    add_note,
    add_part,
    attach_photo,
    record_checklist_item,
    sign_visit,
)
from app.services.visits import (
    add_addendum,
    cancel_visit,
    complete_visit,
    lock_visit,
    schedule_visit,
    start_visit,
)
from tests.fakes import FixedClock, InMemoryStore, MemoryBlobStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused, types_of

ARRIVAL = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
MONTHLY = "pm-monthly-traction"
PNG = b"\x89PNG\r\n\x1a\n-signature-"


@pytest.fixture
def clock() -> FixedClock:
    """Noon on the day of the visits: arrivals and departures are in the past."""
    return FixedClock(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))


def passing_reading(template: ChecklistTemplate, key: str) -> str:
    item = template.item(key)
    assert item is not None
    assert item.max_value is not None
    return str(item.max_value)


async def start(ctx: ServiceContext, templates: TemplateCatalog, unit: UUID) -> UUID:
    cmd = StartVisit(
        elevator_id=unit, type=VisitType.PREVENTIVE, arrived_at=ARRIVAL, template_id=MONTHLY
    )
    return (await start_visit(cmd, ctx=ctx, templates=templates)).id


async def answer_mandatory(
    ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    visit_id: UUID,
    *,
    skip: str | None = None,
) -> None:
    template = templates.get(MONTHLY)
    for item in template.items:
        if not item.mandatory or item.key == skip:
            continue
        if item.kind is ItemKind.READING:
            cmd = RecordChecklistItem(
                visit_id=visit_id, key=item.key, reading=passing_reading(template, item.key)
            )
        else:
            cmd = RecordChecklistItem(visit_id=visit_id, key=item.key, outcome=ItemOutcome.PASS)
        await record_checklist_item(cmd, ctx=ctx, templates=templates, blobs=blobs)


async def sign_both(ctx: ServiceContext, blobs: MemoryBlobStore, visit_id: UUID) -> None:
    await sign_visit(
        SignVisit(
            visit_id=visit_id, signer="technician", signature=Signature(name="Tess Tech", image=PNG)
        ),
        ctx=ctx,
        blobs=blobs,
    )
    await sign_visit(
        SignVisit(
            visit_id=visit_id,
            signer="customer",
            signature=Signature(name="Front desk", refused=True),
        ),
        ctx=ctx,
        blobs=blobs,
    )


async def test_a_visit_step_by_step(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    begin = len(store.events)
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await answer_mandatory(tech_ctx, templates, blobs, visit_id)
    await add_part(
        AddPart(visit_id=visit_id, part_number="KM123", quantity=2, serials=("S1", " ")),
        ctx=tech_ctx,
    )
    await add_note(AddNote(visit_id=visit_id, text="Lubricated guide rails"), ctx=tech_ctx)
    await attach_photo(
        AttachPhoto(visit_id=visit_id, data=b"jpeg-bytes", caption="Pit", item_key="pit"),
        ctx=tech_ctx,
        templates=templates,
        blobs=blobs,
    )
    await sign_both(tech_ctx, blobs, visit_id)
    departed = datetime(2025, 3, 3, 11, 30, tzinfo=UTC)
    changes = await complete_visit(
        CompleteVisit(visit_id=visit_id, departed_at=departed), ctx=tech_ctx, templates=templates
    )

    visit = store.state.visits[visit_id]
    assert visit.status is VisitStatus.COMPLETED
    assert (visit.arrived_at, visit.departed_at) == (ARRIVAL, departed)
    assert (visit.template_id, visit.template_version) == (MONTHLY, 1)
    assert visit.technician_id == tech_ctx.actor.user_id
    assert len(visit.results) == 8
    assert all(r.outcome is ItemOutcome.PASS for r in visit.results)
    levelling = visit.result("levelling-accuracy")
    assert levelling is not None
    assert levelling.value == Decimal("10")
    assert visit.parts[0].serials == ("S1",)
    assert visit.notes[0].author_id == tech_ctx.actor.user_id
    assert visit.photos[0].item_key == "pit"
    assert visit.technician_signature is not None
    assert visit.customer_signoff is not None
    assert visit.customer_signoff.refused
    assert visit.customer_signoff.signature_sha256 is None
    # Blobs are stored aside; events carry only their hashes.
    sig_hash = visit.technician_signature.signature_sha256
    assert sig_hash is not None
    assert blobs.blobs[sig_hash] == PNG
    assert blobs.blobs[visit.photos[0].sha256] == b"jpeg-bytes"
    signed = [e.payload for e in store.events if isinstance(e.payload, VisitSigned)]
    assert signed[0].to_json()["signature_sha256"] == sig_hash
    assert all(
        isinstance(v, str | int | bool | None | list | dict)
        for e in store.events
        for v in e.payload.to_json().values()
    )
    assert types_of(store, begin)[0] == "visit.started"
    assert types_of(store, begin)[-1] == "visit.completed"
    assert changes.entity_ids("visit") == [visit_id]
    assert not store.state.deficiencies
    assert_chain(store, tech_ctx)


async def test_failed_reading_opens_a_deficiency_once(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    cmd = StartVisit(
        elevator_id=fleet.traction_id,
        type=VisitType.PREVENTIVE,
        arrived_at=ARRIVAL,
        template_id="annual-full-traction",
    )
    visit_id = (await start_visit(cmd, ctx=tech_ctx, templates=templates)).id
    begin = len(store.events)
    gap = RecordChecklistItem(
        visit_id=visit_id, key="brake-gap", outcome=ItemOutcome.PASS, reading="0,9"
    )
    changes = await record_checklist_item(gap, ctx=tech_ctx, templates=templates, blobs=blobs)
    await record_checklist_item(
        gap.model_copy(update={"reading": "1.0"}), ctx=tech_ctx, templates=templates, blobs=blobs
    )

    assert types_of(store, begin) == [
        "visit.item_recorded",
        "deficiency.opened",
        "visit.item_recorded",
    ]
    recorded, opened = store.events[begin].payload, store.events[begin + 1].payload
    assert isinstance(recorded, VisitItemRecorded)
    assert isinstance(opened, DeficiencyOpened)
    assert (recorded.outcome, recorded.to_json()["value"]) == (ItemOutcome.FAIL, "0.9")
    assert opened.severity is DeficiencySeverity.INOPERABLE
    assert opened.description == "Brake air gap failed: reading 0.9 mm outside 0.2 to 0.7 mm"
    [deficiency] = store.state.deficiencies.values()
    assert (deficiency.visit_id, deficiency.item_key) == (visit_id, "brake-gap")
    assert changes.entity_ids("deficiency") == [deficiency.id]
    result = store.state.visits[visit_id].result("brake-gap")
    assert result is not None
    assert result.value == Decimal("1.0")


async def test_reading_that_is_not_a_number_writes_nothing(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    cmd = RecordChecklistItem(
        visit_id=visit_id, key="levelling-accuracy", reading="abc", photos=(b"evidence",)
    )
    error = await refused(
        store,
        record_checklist_item(cmd, ctx=tech_ctx, templates=templates, blobs=blobs),
        ValidationError,
    )
    assert error.message == (
        "Reading 'abc' for 'Levelling accuracy at the main floor' is not a number."
    )
    assert error.field == "reading"
    assert error.hint
    assert not blobs.blobs  # nothing stored for a refused answer


async def test_departure_before_arrival_is_refused(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await answer_mandatory(tech_ctx, templates, blobs, visit_id)
    await sign_both(tech_ctx, blobs, visit_id)
    early = CompleteVisit(visit_id=visit_id, departed_at=datetime(2025, 3, 3, 9, 10, tzinfo=UTC))
    error = await refused(
        store, complete_visit(early, ctx=tech_ctx, templates=templates), ValidationError
    )
    assert error.message == "Departure 09:10 is before arrival 10:00."
    assert error.field == "departed_at"
    assert store.state.visits[visit_id].status is VisitStatus.IN_PROGRESS


async def test_completing_with_a_missing_mandatory_item_is_refused(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await answer_mandatory(tech_ctx, templates, blobs, visit_id, skip="brake-operation")
    await sign_both(tech_ctx, blobs, visit_id)
    cmd = CompleteVisit(visit_id=visit_id, departed_at=datetime(2025, 3, 3, 11, tzinfo=UTC))
    error = await refused(
        store, complete_visit(cmd, ctx=tech_ctx, templates=templates), ValidationError
    )
    assert error.message == (
        "1 mandatory checklist item is not recorded yet: "
        "'Brake operation: smooth stop, no slip, no abnormal noise'."
    )
    assert error.hint == "Record them (N/A is an answer) before completing the visit."


async def test_completing_needs_both_sign_offs(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await answer_mandatory(tech_ctx, templates, blobs, visit_id)
    cmd = CompleteVisit(visit_id=visit_id, departed_at=datetime(2025, 3, 3, 11, tzinfo=UTC))
    error = await refused(
        store, complete_visit(cmd, ctx=tech_ctx, templates=templates), ValidationError
    )
    assert error.message == "The technician's signature is missing."
    await sign_visit(
        SignVisit(
            visit_id=visit_id, signer="technician", signature=Signature(name="Tess", image=PNG)
        ),
        ctx=tech_ctx,
        blobs=blobs,
    )
    error = await refused(
        store, complete_visit(cmd, ctx=tech_ctx, templates=templates), ValidationError
    )
    assert error.message == "The customer sign-off is missing."


async def test_a_completed_visit_cannot_be_edited_only_amended_then_locked(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await answer_mandatory(tech_ctx, templates, blobs, visit_id)
    await sign_both(tech_ctx, blobs, visit_id)
    early_addendum = AddAddendum(visit_id=visit_id, text="Too early")
    await refused(store, add_addendum(early_addendum, ctx=tech_ctx), ConflictError)
    await refused(store, lock_visit(LockVisit(visit_id=visit_id), ctx=tech_ctx), ConflictError)
    clock.set(datetime(2025, 3, 3, 11, 15, tzinfo=UTC))
    await complete_visit(CompleteVisit(visit_id=visit_id), ctx=tech_ctx, templates=templates)
    assert store.state.visits[visit_id].departed_at == clock.now()

    edits = [
        record_checklist_item(
            RecordChecklistItem(visit_id=visit_id, key="pit", outcome=ItemOutcome.FAIL),
            ctx=tech_ctx,
            templates=templates,
            blobs=blobs,
        ),
        add_note(AddNote(visit_id=visit_id, text="late note"), ctx=tech_ctx),
        add_part(AddPart(visit_id=visit_id, part_number="P1"), ctx=tech_ctx),
        complete_visit(CompleteVisit(visit_id=visit_id), ctx=tech_ctx, templates=templates),
        cancel_visit(CancelVisit(visit_id=visit_id, reason="no"), ctx=tech_ctx),
    ]
    for edit in edits:
        error = await refused(store, edit, ConflictError)
        assert error.message == "This visit was completed on 2025-03-03; it can no longer change."
        assert error.hint == "Add an addendum to correct it."
    # DOMAIN.md: a completed visit is immutable and corrected by addenda, locked or not
    await add_addendum(AddAddendum(visit_id=visit_id, text="Part number was KM124"), ctx=tech_ctx)
    assert store.state.visits[visit_id].status is VisitStatus.COMPLETED

    await lock_visit(LockVisit(visit_id=visit_id), ctx=tech_ctx)
    await add_addendum(AddAddendum(visit_id=visit_id, text="Serial 77-12"), ctx=tech_ctx)
    visit = store.state.visits[visit_id]
    assert visit.status is VisitStatus.LOCKED
    assert [a.text for a in visit.addenda] == ["Part number was KM124", "Serial 77-12"]
    error = await refused(
        store, add_note(AddNote(visit_id=visit_id, text="x"), ctx=tech_ctx), ConflictError
    )
    assert error.hint == "Add an addendum to correct it."
    assert_chain(store, tech_ctx)


async def test_scheduled_visit_is_started_then_cancelled(
    store: InMemoryStore,
    ctx: ServiceContext,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    planned = await schedule_visit(
        ScheduleVisit(
            elevator_id=fleet.hydraulic_id,
            type=VisitType.PREVENTIVE,
            scheduled_date=date(2025, 3, 4),
            technician_id=fleet.technician_id,
        ),
        ctx=ctx,
    )
    assert store.state.visits[planned.id].status is VisitStatus.SCHEDULED
    not_started = AddNote(visit_id=planned.id, text="x")
    await refused(store, add_note(not_started, ctx=tech_ctx), ConflictError)
    wrong = StartVisit(visit_id=planned.id, template_id=MONTHLY)
    error = await refused(
        store, start_visit(wrong, ctx=tech_ctx, templates=templates), ValidationError
    )
    assert error.message == (
        "Checklist 'Monthly preventive maintenance - traction' is for traction units; "
        "unit 'L2' is hydraulic."
    )
    started = await start_visit(
        StartVisit(visit_id=planned.id, template_id="pm-monthly-hydraulic"),
        ctx=tech_ctx,
        templates=templates,
    )
    assert started.id == planned.id
    visit = store.state.visits[planned.id]
    assert (visit.status, visit.scheduled_date) == (VisitStatus.IN_PROGRESS, date(2025, 3, 4))
    await cancel_visit(CancelVisit(visit_id=planned.id, reason="Site closed"), ctx=tech_ctx)
    assert store.state.visits[planned.id].cancel_reason == "Site closed"


async def test_no_visit_work_on_a_decommissioned_unit(
    store: InMemoryStore,
    ctx: ServiceContext,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=fleet.traction_id, status=ElevatorStatus.DECOMMISSIONED, reason="Removed"
        ),
        ctx=ctx,
    )
    error = await refused(
        store,
        start_visit(
            StartVisit(elevator_id=fleet.traction_id, type=VisitType.REPAIR),
            ctx=tech_ctx,
            templates=templates,
        ),
        ConflictError,
    )
    assert error.message == "Unit 'L1' at Harbour View is decommissioned; it can no longer change."
    await refused(
        store, add_note(AddNote(visit_id=visit_id, text="x"), ctx=tech_ctx), ConflictError
    )
    await refused(
        store,
        schedule_visit(
            ScheduleVisit(
                elevator_id=fleet.traction_id,
                type=VisitType.PREVENTIVE,
                scheduled_date=date(2025, 4, 1),
            ),
            ctx=ctx,
        ),
        ConflictError,
    )


async def test_unknown_visit_and_item(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    blobs: MemoryBlobStore,
    fleet: Fleet,
) -> None:
    visit_id = await start(tech_ctx, templates, fleet.traction_id)
    unknown = RecordChecklistItem(visit_id=visit_id, key="flux-capacitor", outcome=ItemOutcome.PASS)
    error = await refused(
        store,
        record_checklist_item(unknown, ctx=tech_ctx, templates=templates, blobs=blobs),
        ValidationError,
    )
    assert error.message == (
        "Checklist 'Monthly preventive maintenance - traction' has no item 'flux-capacitor'."
    )
    missing = AddNote(visit_id=fleet.traction_id, text="x")
    await refused(store, add_note(missing, ctx=tech_ctx), NotFoundError)


async def test_technicians_cannot_schedule_work(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    plan = ScheduleVisit(
        elevator_id=fleet.traction_id, type=VisitType.PREVENTIVE, scheduled_date=date(2025, 4, 1)
    )
    await refused(store, schedule_visit(plan, ctx=tech_ctx), AuthorizationError)
