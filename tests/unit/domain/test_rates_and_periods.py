"""Periods end now; rates per unit-year need a minimum exposure. Worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.downtime import HOURS_PER_UNIT_YEAR, Period
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.figures import MIN_EXPOSURE_DAYS
from app.domain.health import health_score, incident_frequency_score
from app.domain.metrics import UnitRecord, unit_metrics
from app.domain.rules import UnitRules
from tests.unit.domain.factories import at, change, elevator, incident

RULES = UnitRules()
TODAY = Period(start=at(0), end=at(1))  # 2025-01-01, midnight to midnight


def test_a_period_that_includes_now_ends_now_and_an_ongoing_outage_counts_up_to_now() -> None:
    history = [change(at(0, 10), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.INCIDENT)]
    now = at(0, 14)  # 14:00: the outage that began at 10:00 is still going

    m = unit_metrics(elevator(), history, [], [], [], TODAY.ending_by(now), RULES)

    assert TODAY.ending_by(now) == Period(start=at(0), end=now)
    assert m.operating_hours == 14  # 00:00-14:00, not the 24 h of the whole day
    assert m.unplanned_downtime_hours == 4  # 10:00-14:00
    assert m.outages == 1
    assert m.mttr_hours == 4
    assert m.availability_pct == pytest.approx((14 - 4) / 14 * 100)  # 71.43%, not 41.67%
    # a moment after the period ended leaves it whole
    assert TODAY.ending_by(at(3)) == TODAY


def test_one_callback_in_two_days_is_not_hundreds_a_year() -> None:
    unit = elevator(registered_at=at(-2))  # two days in service by now
    year = Period(start=at(-363), end=at(2))
    m = unit_metrics(unit, [], [], [incident(at(-1))], [], year.ending_by(at(0)), RULES)

    two_days = 2 * 24 / HOURS_PER_UNIT_YEAR  # 0.005476 unit-years
    assert m.unit_years == pytest.approx(two_days)
    assert 1 / two_days == pytest.approx(182.625)  # what it scored before: meaningless
    floor = MIN_EXPOSURE_DAYS / 365.25  # 90 days = 0.2464 unit-years
    assert m.exposure_unit_years == pytest.approx(floor)
    assert m.exposure_floored
    assert m.callback_rate == pytest.approx(1 / floor)  # 4.058 per unit-year


def test_the_health_score_uses_the_floored_rate_and_says_so() -> None:
    today = date(2025, 1, 1)
    record = UnitRecord(
        elevator=elevator(registered_at=at(-2), installation_date=date(2024, 12, 1)),
        incidents=(incident(at(-1)),),
    )

    score = health_score(record, today=today, rules=RULES, now=at(0, 12))

    frequency = next(c for c in score.components if c.name == "incident_frequency")
    assert frequency.value == pytest.approx(365.25 / 90)  # 4.058 per unit-year
    assert frequency.score == incident_frequency_score(4.058) == 45  # "< 6 -> 45", not 25
    assert "(counted as 0.25: at least 90 days)" in frequency.detail
    assert score.inputs.exposure_unit_years == pytest.approx(90 / 365.25)


def test_exposure_above_the_floor_is_used_as_it_is() -> None:
    unit = elevator(registered_at=at(-365))
    year = Period(start=at(-365), end=at(0))
    incidents = [incident(at(-300)), incident(at(-100))]

    m = unit_metrics(unit, [], [], incidents, [], year, RULES)

    assert not m.exposure_floored
    assert m.callback_rate == pytest.approx(2 / (365 * 24 / HOURS_PER_UNIT_YEAR))
