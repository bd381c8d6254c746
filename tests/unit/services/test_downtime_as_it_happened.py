"""Downtime as it happened: status changes take effect when the status really changed.

Worked by hand. Every unit of the service fleet is registered on 2025-03-03 at 08:00 (the
clock's start), so on that day its operating window runs from 08:00 to midnight: 16 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from app.domain.commands import ChangeElevatorStatus, CloseIncident, OpenIncident
from app.domain.downtime import Period
from app.domain.enums import DowntimeCause, ElevatorStatus, IncidentChannel
from app.domain.errors import InvalidTransitionError, ValidationError
from app.domain.metrics import UnitMetrics, unit_metrics
from app.domain.rules import UnitRules
from app.services.context import ServiceContext
from app.services.elevators import change_elevator_status
from app.services.incidents import close_incident, open_incident
from app.services.queries import load_unit_record
from tests.fakes import FixedClock, InMemoryStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import refused

DAY = Period.of_dates(date(2025, 3, 3), date(2025, 3, 4))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 3, hour, minute, tzinfo=UTC)


async def metrics(store: InMemoryStore, unit_id: UUID) -> UnitMetrics:
    async with store.unit_of_work() as uow:
        unit = await uow.elevators.get(unit_id)
        assert unit is not None
        r = await load_unit_record(uow, unit)
    return unit_metrics(
        unit, r.history, r.visits, r.incidents, r.inspections, DAY, UnitRules(), as_of=DAY_LAST
    )


DAY_LAST = date(2025, 3, 3)


def callback(unit_id: UUID, reported_at: datetime) -> OpenIncident:
    return OpenIncident(
        elevator_id=unit_id,
        reported_at=reported_at,
        channel=IncidentChannel.PHONE,
        reported_trouble="Car stopped at level 2",
        out_of_service=True,
    )


async def test_a_one_hour_outage_logged_three_hours_late_is_one_hour_of_downtime(
    store: InMemoryStore, tech_ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    clock.set(at(13))  # the technician gets to the laptop at 13:00
    created = await open_incident(callback(fleet.traction_id, at(10)), ctx=tech_ctx)
    clock.set(at(13, 5))
    close = CloseIncident(
        incident_id=created.id,
        back_in_service=True,
        back_in_service_at=at(11),
        corrective_action="Reset the drive",
    )
    await close_incident(close, ctx=tech_ctx)

    history = [(c.changed_at, c.new, c.recorded_at) for c in store.state.status_history]
    assert history == [
        (at(10), ElevatorStatus.OUT_OF_SERVICE, at(13)),  # took effect at the report
        (at(11), ElevatorStatus.OPERATIONAL, at(13, 5)),  # and ended at back in service
    ]
    m = await metrics(store, fleet.traction_id)
    # window 08:00-24:00 = 16 h; down 10:00-11:00 = 1 h (not 10:00-13:05)
    assert m.operating_hours == 16
    assert m.unplanned_downtime_hours == 1
    assert m.outages == 1
    assert m.mttr_hours == 1
    assert m.availability_pct == pytest.approx(15 / 16 * 100)  # 93.75%
    assert m.mtbf_hours == 15


async def test_a_status_change_recorded_after_the_fact_counts_from_its_effective_time(
    store: InMemoryStore, supervisor_ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    clock.set(at(12))
    down = ChangeElevatorStatus(
        elevator_id=fleet.traction_id,
        status=ElevatorStatus.OUT_OF_SERVICE,
        reason="Door operator fault found on site",
        effective_at=at(9, 30),
    )
    await change_elevator_status(down, ctx=supervisor_ctx)
    clock.set(at(12, 10))
    up = ChangeElevatorStatus(
        elevator_id=fleet.traction_id,
        status=ElevatorStatus.OPERATIONAL,
        reason="Operator replaced",
        effective_at=at(10, 30),
    )
    await change_elevator_status(up, ctx=supervisor_ctx)

    unit = store.state.elevators[fleet.traction_id]
    assert (unit.status, unit.status_since) == (ElevatorStatus.OPERATIONAL, at(10, 30))
    m = await metrics(store, fleet.traction_id)
    assert m.unplanned_downtime_hours == 1  # 09:30-10:30, an unplanned stop (cause other)
    assert m.availability_pct == pytest.approx(15 / 16 * 100)


async def test_an_effective_time_in_the_future_or_before_the_previous_change_is_refused(
    store: InMemoryStore, supervisor_ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    clock.set(at(12))

    def change(effective: datetime) -> ChangeElevatorStatus:
        return ChangeElevatorStatus(
            elevator_id=fleet.traction_id,
            status=ElevatorStatus.MAINTENANCE,
            reason="Annual overhaul",
            effective_at=effective,
        )

    error = await refused(
        store, change_elevator_status(change(at(12, 30)), ctx=supervisor_ctx), ValidationError
    )
    assert error.field == "effective_at"
    assert error.message == (
        "The effective time 2025-03-03 12:30 is in the future (it is now 2025-03-03 12:00 at the "
        "site)."
    )
    # a few minutes ahead of this device's clock is clock skew, not the future
    await change_elevator_status(change(at(12, 4)), ctx=supervisor_ctx)
    back = ChangeElevatorStatus(
        elevator_id=fleet.traction_id,
        status=ElevatorStatus.OPERATIONAL,
        reason="Done",
        effective_at=at(11),
    )
    error = await refused(store, change_elevator_status(back, ctx=supervisor_ctx), ValidationError)
    assert error.message == (
        "The effective time 2025-03-03 11:00 is before the unit's previous status change "
        "(2025-03-03 12:04)."
    )
    assert error.field == "effective_at"


async def test_an_incident_during_planned_work_turns_it_into_unplanned_downtime(
    store: InMemoryStore,
    supervisor_ctx: ServiceContext,
    tech_ctx: ServiceContext,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    clock.set(at(9))
    planned = ChangeElevatorStatus(
        elevator_id=fleet.traction_id,
        status=ElevatorStatus.MAINTENANCE,
        reason="Rope replacement",
        cause=DowntimeCause.PLANNED,
    )
    await change_elevator_status(planned, ctx=supervisor_ctx)
    clock.set(at(10, 5))
    created = await open_incident(callback(fleet.traction_id, at(10)), ctx=tech_ctx)
    clock.set(at(11, 30))
    close = CloseIncident(
        incident_id=created.id, back_in_service=True, corrective_action="Brake released"
    )
    await close_incident(close, ctx=tech_ctx)

    m = await metrics(store, fleet.traction_id)
    # window 16 h: planned 09:00-10:00 = 1 h, unplanned from the incident 10:00-11:30 = 1.5 h
    assert (m.planned_downtime_hours, m.unplanned_downtime_hours) == (1, 1.5)
    assert m.availability_pct == pytest.approx((16 - 1 - 1.5) / (16 - 1) * 100)  # 90%
    assert m.service_availability_pct == pytest.approx((16 - 2.5) / 16 * 100)  # 84.375%
    assert m.mttr_hours == 1.5


async def test_an_incident_on_a_unit_down_for_planned_work_makes_that_downtime_unplanned(
    store: InMemoryStore,
    supervisor_ctx: ServiceContext,
    tech_ctx: ServiceContext,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    clock.set(at(9))
    planned = ChangeElevatorStatus(
        elevator_id=fleet.traction_id,
        status=ElevatorStatus.OUT_OF_SERVICE,
        reason="Shut down for the building's electrical works",
        cause=DowntimeCause.PLANNED,
    )
    await change_elevator_status(planned, ctx=supervisor_ctx)
    clock.set(at(10))
    await open_incident(callback(fleet.traction_id, at(10)), ctx=tech_ctx)

    unit = store.state.elevators[fleet.traction_id]
    assert (unit.status, unit.downtime_cause) == (
        ElevatorStatus.OUT_OF_SERVICE,
        DowntimeCause.INCIDENT,
    )
    clock.set(at(14))
    m = await metrics(store, fleet.traction_id)
    # planned 09:00-10:00; unplanned from the incident on, to the end of the day (no "now" cut)
    assert (m.planned_downtime_hours, m.unplanned_downtime_hours) == (1, 14)
    # the same status with the same cause again is no change at all
    again = ChangeElevatorStatus(
        elevator_id=fleet.traction_id, status=ElevatorStatus.OUT_OF_SERVICE, reason="Still down"
    )
    error = await refused(
        store, change_elevator_status(again, ctx=supervisor_ctx), InvalidTransitionError
    )
    assert error.message == "The unit is already out of service."


async def test_an_incident_reported_before_the_units_last_change_takes_effect_after_it(
    store: InMemoryStore,
    supervisor_ctx: ServiceContext,
    tech_ctx: ServiceContext,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    clock.set(at(12))
    degraded = ChangeElevatorStatus(
        elevator_id=fleet.traction_id, status=ElevatorStatus.DEGRADED, reason="Slow doors"
    )
    await change_elevator_status(degraded, ctx=supervisor_ctx)
    clock.set(at(13))
    await open_incident(callback(fleet.traction_id, at(10)), ctx=tech_ctx)

    # the history stays in order: the outage starts at the later change, 12:00
    changes = [(c.changed_at, c.new) for c in store.state.status_history]
    assert changes == [
        (at(12), ElevatorStatus.DEGRADED),
        (at(12), ElevatorStatus.OUT_OF_SERVICE),
    ]
