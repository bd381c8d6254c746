"""Deficiencies by hand and their statuses; inspections and their next due dates."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from app.domain.commands import ChangeDeficiencyStatus, OpenDeficiency, RecordInspection
from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    InspectionResult,
    InspectionType,
)
from app.domain.errors import ConflictError, ValidationError
from app.services.context import ServiceContext
from app.services.deficiencies import change_deficiency_status, open_deficiency
from app.services.inspections import record_inspection
from tests.fakes import FixedClock, InMemoryStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused


async def test_deficiency_lifecycle(
    store: InMemoryStore, tech_ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    created = await open_deficiency(
        OpenDeficiency(
            elevator_id=fleet.mrl_id,
            severity=DeficiencySeverity.ADVISORY,
            description="Car light flickers",
            due_date=date(2025, 4, 1),
        ),
        ctx=tech_ctx,
    )
    assert store.state.deficiencies[created.id].status is DeficiencyStatus.OPEN
    verify_now = ChangeDeficiencyStatus(deficiency_id=created.id, status=DeficiencyStatus.VERIFIED)
    error = await refused(store, change_deficiency_status(verify_now, ctx=tech_ctx), ConflictError)
    assert error.message == "A deficiency that is open cannot become verified."
    clock.advance(days=1)
    await change_deficiency_status(
        ChangeDeficiencyStatus(
            deficiency_id=created.id,
            status=DeficiencyStatus.FIXED,
            resolution="Replaced LED driver",
        ),
        ctx=tech_ctx,
    )
    await change_deficiency_status(verify_now, ctx=tech_ctx)
    deficiency = store.state.deficiencies[created.id]
    assert (deficiency.status, deficiency.closed_at) == (DeficiencyStatus.VERIFIED, clock.now())
    assert_chain(store, tech_ctx)


def test_fixing_needs_a_resolution() -> None:
    with pytest.raises(ValidationError) as caught:
        ChangeDeficiencyStatus(deficiency_id=UUID(int=1), status=DeficiencyStatus.FIXED)
    assert caught.value.message == "Say how or why the deficiency was fixed."
    assert caught.value.field == "resolution"


async def test_an_inspection_keeps_the_next_due_date_the_report_states_and_no_other(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    def recorded(next_due: date | None) -> RecordInspection:
        return RecordInspection(
            elevator_id=fleet.traction_id,
            type=InspectionType.CAT1,
            performed_on=date(2024, 2, 29),
            performed_by="J. Inspector",
            result=InspectionResult.PASSED_WITH_DEFECTS,
            defects=("Pit light missing", " "),
            next_due=next_due,
        )

    stated = await record_inspection(recorded(date(2025, 1, 31)), ctx=ctx)
    unstated = await record_inspection(recorded(None), ctx=ctx)
    assert store.state.inspections[stated.id].next_due == date(2025, 1, 31)
    # compliance works it out from the rule set's interval, so settings changes apply
    assert store.state.inspections[unstated.id].next_due is None
    assert store.state.inspections[unstated.id].defects == ("Pit light missing",)


async def test_a_future_inspection_is_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    cmd = RecordInspection(
        elevator_id=fleet.traction_id,
        type=InspectionType.LOLER,
        performed_on=date(2025, 3, 4),
        performed_by="J. Inspector",
        result=InspectionResult.PASSED,
    )
    error = await refused(store, record_inspection(cmd, ctx=ctx), ValidationError)
    assert error.message == "The inspection date 2025-03-04 is in the future (today is 2025-03-03)."


async def test_an_inspection_opens_a_deficiency_for_each_defect_in_one_action(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    before = len(store.events)
    created = await record_inspection(
        RecordInspection(
            elevator_id=fleet.traction_id,
            type=InspectionType.CAT1,
            performed_on=date(2025, 3, 1),
            performed_by="J. Inspector",
            witnessed_by="Tia Tech",
            result=InspectionResult.FAILED,
            defects=("Pit light missing", "", "Governor seal broken"),
            deficiency_severity=DeficiencySeverity.DEFICIENT,
            deficiencies_due=date(2025, 4, 1),
        ),
        ctx=ctx,
    )
    opened = [d for d in store.state.deficiencies.values() if d.elevator_id == fleet.traction_id]
    assert sorted(d.description for d in opened) == [
        "Governor seal broken (found by the Category 1 test on 2025-03-01)",
        "Pit light missing (found by the Category 1 test on 2025-03-01)",
    ]
    assert {(d.severity, d.status, d.due_date) for d in opened} == {
        (DeficiencySeverity.DEFICIENT, DeficiencyStatus.OPEN, date(2025, 4, 1))
    }
    assert len(store.events) == before + 3
    assert len(created.changes.events) == 3  # one transaction: the inspection and both
    assert_chain(store, ctx)


async def test_an_inspection_without_a_severity_opens_no_deficiency(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    await record_inspection(
        RecordInspection(
            elevator_id=fleet.traction_id,
            type=InspectionType.CAT1,
            performed_on=date(2025, 3, 1),
            performed_by="J. Inspector",
            result=InspectionResult.PASSED_WITH_DEFECTS,
            defects=("Pit light missing",),
        ),
        ctx=ctx,
    )
    assert not [d for d in store.state.deficiencies.values() if d.elevator_id == fleet.traction_id]


def test_a_correct_by_date_needs_a_severity() -> None:
    with pytest.raises(ValidationError) as caught:
        RecordInspection(
            elevator_id=UUID(int=1),
            type=InspectionType.CAT1,
            performed_on=date(2025, 3, 1),
            performed_by="J. Inspector",
            result=InspectionResult.FAILED,
            defects=("Pit light missing",),
            deficiencies_due=date(2025, 4, 1),
        )
    assert caught.value.field == "deficiencies_due"
