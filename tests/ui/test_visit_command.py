"""The visit form's values become one command, without a window (app.ui.views.visit.command)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from app.domain.commands import ContinueVisit, ItemAnswer, RecordVisit
from app.domain.enums import ItemOutcome, VisitStatus, VisitType
from app.domain.errors import ValidationError
from app.domain.work import PartUsed
from app.ui.views.visit.command import (
    SignatureEntry,
    VisitFormValues,
    parse_parts,
    problems,
    visit_command,
)
from app.ui.views.visit.plan import VisitPlan
from tests.unit.domain.factories import UNIT, at, incident, visit

ARRIVED = at(hours=8)
VALUES = VisitFormValues(
    unit_id=UNIT,
    visit_type=VisitType.REPAIR,
    template=("pm-monthly-traction", 1),
    arrived_at=ARRIVED,
    departed_at=ARRIVED + timedelta(hours=1),
    answers=(ItemAnswer(key="brake", outcome=ItemOutcome.PASS),),
    parts=(("DL-200", "Door roller", "2", "A1, A2"), ("", "", "1", "")),
    note="  Doors adjusted. ",
    technician=SignatureEntry("Tess", b"tess-png"),
    customer=SignatureEntry("Pat", None, refused=True),
)


def test_a_new_visit_is_recorded_whole() -> None:
    cmd = visit_command(VALUES, VisitPlan(elevator_id=UNIT))
    assert isinstance(cmd, RecordVisit)
    assert (cmd.elevator_id, cmd.type, cmd.arrived_at) == (UNIT, VisitType.REPAIR, ARRIVED)
    assert (cmd.template_id, cmd.template_version) == ("pm-monthly-traction", 1)
    assert (cmd.scheduled_visit_id, cmd.incident_id) == (None, None)
    assert cmd.departed_at == VALUES.departed_at
    assert (cmd.complete, cmd.lock) == (True, True)
    assert cmd.parts == (
        PartUsed(part_number="DL-200", description="Door roller", quantity=2, serials=("A1", "A2")),
    )
    assert cmd.notes == ("Doors adjusted.",)
    assert cmd.technician_signature is not None
    assert cmd.technician_signature.image == b"tess-png"
    assert cmd.customer_signoff is not None
    assert cmd.customer_signoff.refused
    assert cmd.customer_signoff.image is None


def test_a_scheduled_visit_and_a_callback_are_named_in_the_command() -> None:
    planned = visit(ARRIVED, status=VisitStatus.SCHEDULED)
    scheduled = visit_command(VALUES, VisitPlan(visit=planned))
    assert isinstance(scheduled, RecordVisit)
    assert scheduled.scheduled_visit_id == planned.id
    callback = incident(ARRIVED - timedelta(hours=2))
    answered = visit_command(VALUES, VisitPlan(incident=callback))
    assert isinstance(answered, RecordVisit)
    assert answered.incident_id == callback.id


def test_saving_without_completing_sends_no_departure_and_no_lock() -> None:
    cmd = visit_command(replace(VALUES, complete=False), VisitPlan(elevator_id=UNIT))
    assert (cmd.departed_at, cmd.complete, cmd.lock) == (None, False, False)


def test_a_visit_in_progress_is_continued_with_only_what_is_new() -> None:
    started = visit(ARRIVED, status=VisitStatus.IN_PROGRESS)
    values = replace(
        VALUES,
        technician=SignatureEntry("Tess", None, recorded=True),
        customer=SignatureEntry("Pat", b"pat-png"),
        note="",
    )
    cmd = visit_command(values, VisitPlan(visit=started))
    assert isinstance(cmd, ContinueVisit)
    assert cmd.visit_id == started.id
    assert cmd.items == VALUES.answers
    assert cmd.technician_signature is None  # signed before: never recorded twice
    assert cmd.customer_signoff is not None
    assert cmd.customer_signoff.image == b"pat-png"
    assert cmd.notes == ()


def test_a_bad_part_quantity_names_the_part() -> None:
    with pytest.raises(ValidationError, match="quantity of part DL-200") as caught:
        parse_parts((("DL-200", "", "two", ""),))
    assert caught.value.field == "parts"


def test_problems_are_found_before_anything_is_sent() -> None:
    plan = VisitPlan(incident=incident(ARRIVED + timedelta(minutes=5)))
    values = replace(
        VALUES,
        unit_id=None,
        departed_at=ARRIVED - timedelta(minutes=1),
        unanswered=("Brake", "Doors", "Ropes", "Pit"),
        technician=SignatureEntry("Tess"),
        customer=SignatureEntry("", b"png"),
    )
    assert problems(values, plan) == [
        ("elevator_id", "Choose the unit you worked on."),
        ("items", "4 mandatory items not recorded yet: Brake, Doors, Ropes and 1 more."),
        ("departed_at", "Departure is before arrival. Check the times."),
        ("arrived_at", "Arrival is before the callback was reported."),
        ("technician_signature", "Sign the visit before completing it."),
        ("customer_signoff", "Enter the customer's name."),
    ]
    assert problems(VALUES, VisitPlan(elevator_id=UNIT)) == []
    unsigned = replace(VALUES, customer=SignatureEntry("Pat"), unanswered=("Brake",))
    assert problems(replace(unsigned, complete=False), VisitPlan(elevator_id=UNIT)) == []
    assert ("customer_signoff", "Ask the customer to sign, or tick 'refused to sign'.") in (
        problems(unsigned, VisitPlan(elevator_id=UNIT))
    )
