"""DOMAIN.md metrics worked by hand: availability, MTBF/MTTR, callbacks, PM and regulatory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from app.domain.downtime import HOURS_PER_UNIT_YEAR, Period
from app.domain.entities import Certificate, StatusChange
from app.domain.enums import (
    DowntimeCause,
    ElevatorStatus,
    IncidentChannel,
    InspectionType,
    VisitStatus,
    VisitType,
)
from app.domain.figures import percentile
from app.domain.metrics import UnitRecord, fleet_metrics, unit_metrics
from app.domain.rules import UnitRules
from app.domain.work import Inspection
from tests.unit.domain.factories import (
    at,
    certificate,
    change,
    elevator,
    incident,
    inspection,
    uid,
    visit,
    worked_example_history,
)

RULES = UnitRules()
THIRTY_DAYS = Period(start=at(0), end=at(30))  # 720 h
ONE_UNIT_YEAR = Period(start=at(0), end=at(hours=HOURS_PER_UNIT_YEAR))  # 8766 h


def test_availability_mtbf_mttr_worked_example() -> None:
    # OT 720 h; planned 10 h; unplanned 3 h + 5 h = 8 h in 2 outages (the 2 h overlap merged).
    m = unit_metrics(elevator(), worked_example_history(), [], [], [], THIRTY_DAYS, RULES)

    assert m.operating_hours == 720
    assert m.planned_downtime_hours == 10
    assert m.unplanned_downtime_hours == 8
    assert m.outages == 2
    assert m.availability_pct == pytest.approx((720 - 10 - 8) / (720 - 10) * 100)  # 98.87
    assert m.service_availability_pct == pytest.approx((720 - 18) / 720 * 100)  # 97.5
    assert m.mtbf_hours == pytest.approx((720 - 18) / 2)  # 351
    assert m.mttr_hours == pytest.approx(8 / 2)  # 4


def test_no_outages_leaves_mtbf_and_mttr_undefined() -> None:
    history = [
        change(at(3), ElevatorStatus.MAINTENANCE, cause=DowntimeCause.PLANNED),
        change(at(3, 12), ElevatorStatus.OPERATIONAL),
    ]

    m = unit_metrics(elevator(), history, [], [], [], THIRTY_DAYS, RULES)

    assert m.outages == 0
    assert m.mtbf_hours is None
    assert m.mttr_hours is None
    assert m.availability_pct == 100  # (720 - 12 - 0) / (720 - 12)
    assert m.service_availability_pct == pytest.approx((720 - 12) / 720 * 100)


def test_callback_rate_per_unit_year_for_a_unit_registered_mid_period() -> None:
    # Registered half a unit-year into a one-unit-year period: 8766 / 2 = 4383 h in service.
    unit = elevator(registered_at=at(hours=4383))
    incidents = [
        incident(at(hours=4400)),
        incident(at(hours=5000)),
        incident(at(hours=6000)),
        incident(at(hours=7000), excluded=True),  # nuisance: not countable
    ]

    m = unit_metrics(unit, [], [], incidents, [], ONE_UNIT_YEAR, RULES)

    assert m.operating_hours == 4383
    assert m.unit_years == 0.5
    assert m.callbacks == 3
    assert m.excluded_callbacks == 1
    assert m.callback_rate == 3 / 0.5  # 6 per unit-year


def test_a_callback_stamped_before_registration_counts_at_registration() -> None:
    # Registered at 10:00:30; the callback's time was entered to the minute, 10:00. Like a
    # status change stamped before registration, it counts as of registration, not never.
    unit = elevator(registered_at=at(hours=10) + timedelta(seconds=30))
    early = incident(at(hours=10), closed=True)

    m = unit_metrics(unit, [], [], [early], [], THIRTY_DAYS, RULES)

    assert (m.callbacks, m.closed_callbacks) == (1, 1)
    before = Period(start=at(0), end=at(hours=10))  # a period that ends before registration
    assert unit_metrics(unit, [], [], [early], [], before, RULES).callbacks == 0


def test_response_time_mean_p50_p90() -> None:
    # Ten callbacks answered after 10, 20, ..., 100 minutes.
    incidents = [incident(at(n), arrived_after_min=10 * n) for n in range(1, 11)]
    incidents += [
        # excluded from the KPIs (vandalism, found on arrival): the response still counts
        incident(at(20), arrived_after_min=65, excluded=True),
        incident(at(21)),  # nobody has arrived yet
        incident(at(22), arrived_after_min=0, channel=IncidentChannel.TECHNICIAN_FOUND),
    ]

    m = unit_metrics(elevator(), [], [], incidents, [], THIRTY_DAYS, RULES)

    # 11 samples: 10, 20, ..., 100 and 65; the technician-found one had no response to time
    assert m.responses == 11
    assert m.mean_response_minutes == pytest.approx((550 + 65) / 11)  # 55.909...
    # sorted: 10 20 30 40 50 60 65 70 80 90 100. P50 at rank (11 - 1) x 0.5 = 5 -> 60.
    assert m.p50_response_minutes == pytest.approx(60)
    # P90 at rank (11 - 1) x 0.9 = 9 -> 90 exactly.
    assert m.p90_response_minutes == pytest.approx(90)


def test_no_callbacks_leave_callback_figures_undefined() -> None:
    m = unit_metrics(elevator(), [], [], [], [], THIRTY_DAYS, RULES)

    assert m.callback_rate == 0
    assert m.mean_response_minutes is None
    assert m.p50_response_minutes is None
    assert m.repeat_callback_pct is None
    assert m.first_time_fix_pct is None
    assert m.mean_release_minutes is None


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([42.0], 90) == 42.0
    assert percentile([], 50) is None


def test_entrapment_rate_and_mean_release_time() -> None:
    incidents = [
        incident(at(10), entrapment=True, released_after_min=30),
        incident(at(100), entrapment=True, released_after_min=50),
        incident(at(200), entrapment=True),  # release not recorded yet
        incident(at(300), entrapment=True, released_after_min=400, excluded=True),  # vandalism
    ]

    m = unit_metrics(elevator(), [], [], incidents, [], ONE_UNIT_YEAR, RULES)

    assert m.entrapments == 3  # the rate counts the unit's own: vandalism left out
    assert m.entrapment_rate == 3 / 1.0  # one unit-year in service
    # the release counts every entrapment: the people were trapped whatever the cause
    assert m.mean_release_minutes == (30 + 50 + 400) / 3


def test_repeat_callbacks_within_thirty_days_over_every_callback() -> None:
    incidents = [
        incident(at(-20)),  # before the period: makes day 0 a repeat
        incident(at(0)),  # 20 days after day -20: repeat
        incident(at(10)),  # 10 days after day 0: repeat
        incident(at(41), excluded=True),  # 31 days after day 10: first (a callback all the same)
        incident(at(45)),  # 4 days after day 41: repeat (another trip to the same unit)
        incident(at(80)),  # 35 days after day 45: first
    ]
    period = Period(start=at(0), end=at(90))

    m = unit_metrics(elevator(), [], [], incidents, [], period, RULES)

    assert (m.callbacks, m.all_callbacks) == (4, 5)  # days 0, 10, 45, 80 countable; 41 not
    assert m.repeat_callbacks == 3  # days 0, 10, 45
    assert m.repeat_callback_pct == 3 / 5 * 100  # 60%: over every callback (DOMAIN.md)


def test_first_time_fix_rate_over_every_callback() -> None:
    incidents = [
        incident(at(1), closed=True, visits_to_resolve=0),  # closed without a visit: no fix
        incident(at(2), closed=True, visits_to_resolve=1),  # fixed on the first visit
        incident(at(3), closed=True, visits_to_resolve=1),  # fixed on the first visit
        incident(at(4), closed=True, visits_to_resolve=2),
        incident(at(5), closed=True, visits_to_resolve=3),
        incident(at(6)),  # still open: not (yet) a first-time fix
        incident(at(7), closed=True, visits_to_resolve=1, excluded=True),  # a fix all the same
    ]

    m = unit_metrics(elevator(), [], [], incidents, [], THIRTY_DAYS, RULES)

    assert (m.all_callbacks, m.closed_callbacks) == (7, 6)
    assert m.first_time_fixes == 3  # days 2, 3 and 7
    assert m.first_time_fix_pct == pytest.approx(3 / 7 * 100)  # 42.86%


# PM: a 90-day period from 2025-01-01 with a 30-day interval. The due dates are a fixed
# calendar from the unit's registration: the first one interval after the day it was
# registered, each later one an interval on. The window is 30 x 10% = 3 days either side.
PM_PERIOD = Period.of_dates(date(2025, 1, 1), date(2025, 4, 1))


def test_pm_compliance_with_on_time_late_and_edge_visits() -> None:
    visits = [
        visit(date(2025, 1, 3)),  # registered Dec 4: due dates Jan 3 + 30 k
        visit(date(2025, 2, 9)),  # due Feb 2, +7 days: late, Feb 2 missed
        visit(date(2025, 3, 7)),  # due Mar 4, +3 days: on the window's edge, met
        visit(date(2025, 3, 4), status=VisitStatus.CANCELLED),  # never done
        visit(date(2025, 2, 2), kind=VisitType.CALLBACK),  # not a preventive visit
    ]  # next due Apr 3: after the period. The late visit moved no due date.

    unit = elevator(registered_at=at(-28))  # 2024-12-04
    m = unit_metrics(unit, [], visits, [], [], PM_PERIOD, RULES, as_of=date(2025, 4, 1))

    assert m.pm.window_days == 3
    assert m.pm.due == (date(2025, 1, 3), date(2025, 2, 2), date(2025, 3, 4))
    assert m.pm.missed == (date(2025, 2, 2),)
    assert (m.pm_met, m.pm_due) == (2, 3)
    assert m.pm_compliance_pct == pytest.approx(2 / 3 * 100)


def test_pm_calendar_runs_from_registration_even_before_the_period() -> None:
    visits = [
        visit(date(2024, 12, 17)),  # registered Nov 17: due dates Dec 17 + 30 k
        visit(date(2025, 1, 16)),  # due Jan 16: met
        visit(date(2025, 2, 10)),  # before Feb 15's window (Feb 12-18): meets nothing
        visit(date(2025, 3, 17)),  # due Mar 17: met; next due Apr 16, after the period
    ]

    unit = elevator(registered_at=at(-45))  # 2024-11-17
    m = unit_metrics(unit, [], visits, [], [], PM_PERIOD, RULES, as_of=date(2025, 4, 1))

    assert m.pm.due == (date(2025, 1, 16), date(2025, 2, 15), date(2025, 3, 17))
    assert m.pm.missed == (date(2025, 2, 15),)  # nobody came in its window
    assert m.pm_compliance_pct == pytest.approx(2 / 3 * 100)


def test_pm_compliance_with_no_visits_is_zero_and_open_windows_are_pending() -> None:
    # Registered 2024-01-02: due dates every 30 days from 2024-02-01; 2025-01-26 is
    # 2024-02-01 + 12 x 30 days, then Feb 25 and Mar 27.
    m = unit_metrics(elevator(), [], [], [], [], PM_PERIOD, RULES, as_of=date(2025, 2, 27))

    # Jan 26 was missed; Feb 25's window runs to Feb 28, still open on Feb 27; Mar 27 is ahead.
    assert m.pm.missed == (date(2025, 1, 26),)
    assert m.pm.pending == (date(2025, 2, 25), date(2025, 3, 27))
    assert m.pm_compliance_pct == 0


def test_pm_compliance_is_100_when_nothing_was_due() -> None:
    unit = elevator(registered_at=at(100))  # registered after the period ended

    m = unit_metrics(unit, [], [], [], [], PM_PERIOD, RULES)

    assert m.pm.due == ()
    assert m.pm_compliance_pct == 100


def test_each_visit_meets_at_most_one_due_date() -> None:
    # A daily interval: window = max(1, round(1 x 10%)) = 1 day, so the windows of Jan 1, 2
    # and 3 overlap. The Jan 2 visit could meet any of them; it meets one (the earliest),
    # never two; the others are missed.
    unit = elevator(interval_days=1)
    period = Period.of_dates(date(2025, 1, 1), date(2025, 1, 4))

    visits = [visit(date(2025, 1, 2))]

    m = unit_metrics(unit, [], visits, [], [], period, RULES, as_of=date(2025, 1, 10))

    assert m.pm.window_days == 1
    assert m.pm.due == (date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3))
    assert (m.pm_met, m.pm_due) == (1, 3)


def test_pm_due_dates_stop_at_decommissioning() -> None:
    history = [change(at(45), ElevatorStatus.DECOMMISSIONED)]  # Feb 15

    m = unit_metrics(elevator(), history, [], [], [], PM_PERIOD, RULES)

    assert m.pm.due == (date(2025, 1, 26),)  # Feb 25 is after the decommissioning


AS_OF = date(2025, 1, 31)
VALID = certificate(date(2024, 6, 1), date(2025, 5, 31))


def _record(
    n: int,
    *,
    cert: Certificate = VALID,
    tests: tuple[Inspection, ...] | None = None,
    history: tuple[StatusChange, ...] = (),
) -> UnitRecord:
    """A unit with passing Category 1 and 5 tests last autumn unless ``tests`` says otherwise."""
    if tests is None:
        tests = (
            inspection(InspectionType.CAT1, date(2024, 10, 1), unit=uid(n)),
            inspection(InspectionType.CAT5, date(2024, 10, 1), unit=uid(n)),
        )
    unit = elevator(n=n, certificate=cert)
    return UnitRecord(elevator=unit, inspections=tests, history=history)


def test_regulatory_compliance_counts_active_units_with_certificate_and_tests() -> None:
    expired = certificate(date(2024, 1, 1), date(2025, 1, 15))
    overdue = (
        inspection(
            InspectionType.CAT1, date(2024, 1, 10), next_due=date(2025, 1, 15), unit=uid(13)
        ),
        inspection(InspectionType.CAT5, date(2024, 10, 1), unit=uid(13)),
    )
    records = [
        _record(11),  # compliant
        _record(12, cert=expired),  # certificate expired on Jan 15
        _record(13, tests=overdue),  # Category 1 due Jan 15, not done
        _record(14, history=(change(at(10), ElevatorStatus.DECOMMISSIONED, unit=uid(14)),)),
    ]

    fleet = fleet_metrics(records, THIRTY_DAYS, lambda _unit: RULES, AS_OF)

    assert [u.regulatory_compliant for u in fleet.units] == [True, False, False, None]
    assert (fleet.compliant_units, fleet.active_units) == (1, 3)  # the decommissioned one left
    assert fleet.regulatory_compliance_pct == pytest.approx(1 / 3 * 100)


def test_fleet_availability_comes_from_summed_hours() -> None:
    down = (
        change(at(1), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.INCIDENT, unit=uid(21)),
        change(at(4), ElevatorStatus.OPERATIONAL, unit=uid(21)),
    )  # 72 h down
    records = [
        UnitRecord(elevator=elevator(n=21), history=down),  # 720 h, availability 90%
        UnitRecord(elevator=elevator(n=22, registered_at=at(15))),  # 360 h, availability 100%
    ]

    fleet = fleet_metrics(records, THIRTY_DAYS, lambda _unit: RULES, AS_OF)

    assert [u.availability_pct for u in fleet.units] == [pytest.approx(90), 100]
    assert fleet.operating_hours == 720 + 360
    # (1080 - 72) / 1080 = 93.33%, not the 95% an average of percentages would give.
    assert fleet.availability_pct == pytest.approx((1080 - 72) / 1080 * 100)
    assert fleet.mtbf_hours == pytest.approx(1080 - 72)  # one outage in the fleet
    assert fleet.unit_count == 2


def test_fleet_pools_callbacks_and_response_samples() -> None:
    records = [
        UnitRecord(
            elevator=elevator(n=31),
            incidents=(incident(at(1), arrived_after_min=10, unit=uid(31)),),
        ),
        UnitRecord(
            elevator=elevator(n=32),
            incidents=(
                incident(at(2), arrived_after_min=20, unit=uid(32)),
                incident(at(3), arrived_after_min=60, unit=uid(32)),
            ),
        ),
    ]

    fleet = fleet_metrics(records, THIRTY_DAYS, lambda _unit: RULES, AS_OF)

    assert fleet.callbacks == 3
    assert fleet.mean_response_minutes == pytest.approx((10 + 20 + 60) / 3)
    assert fleet.p50_response_minutes == 20
    # 2 units x 30 days = 60 unit-days, under the 90-day floor: 3 / (90 / 365.25) = 12.175
    assert fleet.unit_years == pytest.approx(2 * 720 / HOURS_PER_UNIT_YEAR)
    assert fleet.exposure_floored
    assert fleet.callback_rate == pytest.approx(3 / (90 / 365.25))


def test_unit_record_rejects_another_units_records() -> None:
    with pytest.raises(ValidationError):
        UnitRecord(elevator=elevator(n=41), incidents=(incident(at(1), unit=uid(42)),))


def test_as_of_defaults_to_the_periods_last_day() -> None:
    # Category 1 due Jan 30 2025: still in date on the period's last day, Jan 30.
    tests = (
        inspection(InspectionType.CAT1, date(2024, 1, 30), next_due=date(2025, 1, 30)),
        inspection(InspectionType.CAT5, date(2024, 1, 30)),
    )
    unit = elevator(certificate=VALID)

    m = unit_metrics(unit, [], [], [], tests, THIRTY_DAYS, RULES)

    assert m.regulatory_compliant is True
    late = unit_metrics(unit, [], [], [], tests, THIRTY_DAYS, RULES, as_of=date(2025, 1, 31))
    assert late.regulatory_compliant is False
    assert late.period.end - late.period.start == timedelta(days=30)
