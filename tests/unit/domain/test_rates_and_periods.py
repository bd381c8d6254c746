"""Periods end now; rates per unit-year need a minimum exposure. Worked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.downtime import HOURS_PER_UNIT_YEAR, Period
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.figures import MIN_EXPOSURE_DAYS
from app.domain.health import health_score, incident_frequency_score
from app.domain.metrics import UnitRecord, unit_metrics
from app.domain.pm import pm_compliance
from app.domain.rules import UnitRules
from tests.unit.domain.factories import at, change, elevator, incident, visit

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


PM_PERIOD = Period.of_dates(date(2025, 1, 1), date(2025, 7, 1))


@settings(max_examples=200, deadline=None)
@given(
    days=st.lists(st.integers(min_value=-40, max_value=200), min_size=1, max_size=10),
    extra=st.integers(min_value=0, max_value=240),
    as_of=st.integers(min_value=0, max_value=200),
    interval=st.sampled_from([1, 7, 14, 30, 45, 90]),
)
def test_an_extra_preventive_visit_never_lowers_pm_compliance(
    days: list[int], extra: int, as_of: int, interval: int
) -> None:
    """Whatever the route did, one more preventive visit (after the first, which sets the
    calendar) never lowers the percentage."""
    unit = elevator(interval_days=interval)
    first = date(2025, 1, 1)
    visits = [visit(at(d).date()) for d in days]
    more = [*visits, visit(at(min(days) + extra).date())]
    day = date.fromordinal(first.toordinal() + as_of)

    before = pm_compliance(unit, visits, PM_PERIOD, as_of=day, rules=RULES)
    after = pm_compliance(unit, more, PM_PERIOD, as_of=day, rules=RULES)

    assert after.percent >= before.percent


def test_a_worked_extra_visit_moves_no_due_date() -> None:
    # Calendar from the first visit, Jan 1: due Jan 1, Jan 31, Mar 2 (window +-3 days).
    period = Period.of_dates(date(2025, 1, 1), date(2025, 3, 10))
    as_of = date(2025, 3, 10)

    def pm(*days: date) -> tuple[tuple[date, ...], tuple[date, ...], float]:
        found = pm_compliance(
            elevator(), [visit(d) for d in days], period, as_of=as_of, rules=RULES
        )
        assert found.due == (date(2025, 1, 1), date(2025, 1, 31), date(2025, 3, 2))
        return found.met, found.missed, found.percent

    route = (date(2025, 1, 1), date(2025, 1, 31), date(2025, 3, 2))
    assert pm(*route) == (route, (), 100)
    # an extra visit on Jan 10 (a callback's follow-up, say) is in no window: nothing changes
    assert pm(*route, date(2025, 1, 10)) == (route, (), 100)
    # a route that skipped Jan 31: 2 of 3; an extra visit on Feb 2 (in Jan 31's window) fills it
    gap = (date(2025, 1, 1), date(2025, 3, 2))
    met, missed, percent = pm(*gap)
    assert (met, missed) == (gap, (date(2025, 1, 31),))
    assert percent == pytest.approx(2 / 3 * 100)
    assert pm(*gap, date(2025, 2, 2))[2] == 100
