"""The PM calendar runs from the unit's registration: no visit moves a due date. Worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.compliance import ComplianceStatus, pm_item
from app.domain.downtime import Period, midnight_utc
from app.domain.pm import PmCompliance, pm_compliance
from app.domain.rules import UnitRules
from tests.unit.domain.factories import at, elevator, visit

RULES = UnitRules()
# Registered 2024-12-04 with a 30-day interval: due Jan 3, Feb 2, Mar 4 (Apr 3 falls after the
# period), each met by a preventive visit within 30 x 10% = 3 days of it.
UNIT = elevator(registered_at=at(-28))
PERIOD = Period.of_dates(date(2025, 1, 1), date(2025, 4, 1))
DUE = (date(2025, 1, 3), date(2025, 2, 2), date(2025, 3, 4))
AS_OF = date(2025, 4, 1)


def _pm(*days: date) -> PmCompliance:
    return pm_compliance(UNIT, [visit(d) for d in days], PERIOD, as_of=AS_OF, rules=RULES)


def test_the_first_due_date_is_one_interval_after_registration() -> None:
    found = _pm()

    assert found.due == DUE
    assert found.window_days == 3
    assert found.missed == DUE
    assert found.percent == 0


def test_a_late_first_visit_moves_no_due_date() -> None:
    # Jan 9 is six days after Jan 3 (window Dec 31 - Jan 6): Jan 3 is missed, and the route's
    # later visits on their due dates still meet them. (Anchored on the first visit, the
    # calendar would have become Jan 9, Feb 8, Mar 10 and both later visits would miss: 0 of 3.)
    found = _pm(date(2025, 1, 9), date(2025, 2, 2), date(2025, 3, 4))

    assert found.due == DUE
    assert found.met == (date(2025, 2, 2), date(2025, 3, 4))
    assert found.missed == (date(2025, 1, 3),)
    assert found.percent == pytest.approx(2 / 3 * 100)  # 66.7 %


def test_an_extra_visit_changes_nothing_even_before_the_first_due_date() -> None:
    route = DUE
    assert _pm(*route).percent == 100
    # Dec 20 (before the first due date) and Jan 20 (between two windows): both meet nothing.
    # Anchored on the first visit, Dec 20 would have made the calendar Dec 20, Jan 19, Feb 18,
    # Mar 20 and every visit of the route a miss.
    found = _pm(date(2024, 12, 20), *route, date(2025, 1, 20))

    assert found.due == DUE
    assert found.met == route
    assert found.percent == 100


def test_a_visit_in_no_window_meets_nothing() -> None:
    # Feb 17 falls between Feb 2's window (Jan 30 - Feb 5) and Mar 4's (Mar 1 - Mar 7).
    found = _pm(date(2025, 1, 3), date(2025, 2, 17), date(2025, 3, 4))

    assert found.met == (date(2025, 1, 3), date(2025, 3, 4))
    assert found.missed == (date(2025, 2, 2),)
    assert found.percent == pytest.approx(2 / 3 * 100)
    # on the window's last day it would have met Feb 2: 3 of 3
    assert _pm(date(2025, 1, 3), date(2025, 2, 5), date(2025, 3, 4)).percent == 100


def test_a_late_visit_brings_the_unit_up_to_date_without_moving_the_next_due_date() -> None:
    # Met Jan 3, missed Feb 2's window, came on Feb 9: the next visit is still due Mar 4.
    visits = [visit(date(2025, 1, 3)), visit(date(2025, 2, 9))]

    item = pm_item(UNIT, visits, today=date(2025, 2, 12), rules=RULES)

    assert item.due_on == date(2025, 3, 4)
    assert item.status is ComplianceStatus.OK
    assert item.last_done_on == date(2025, 2, 9)
    # without the late visit the unit is overdue since Feb 2
    late = pm_item(UNIT, visits[:1], today=date(2025, 2, 12), rules=RULES)
    assert (late.due_on, late.status) == (date(2025, 2, 2), ComplianceStatus.OVERDUE)


def test_the_registration_day_is_the_sites() -> None:
    # Registered at 02:00 UTC on Dec 5, which is still Dec 4 in New York: due Jan 3.
    unit = elevator(registered_at=midnight_utc(date(2024, 12, 5)) + timedelta(hours=2))
    rules = UnitRules(time_zone="America/New_York")

    found = pm_compliance(unit, [], PERIOD, as_of=AS_OF, rules=rules)

    assert found.due == DUE


@settings(max_examples=300, deadline=None)
@given(
    registered=st.integers(min_value=-200, max_value=150),
    days=st.lists(st.integers(min_value=-250, max_value=220), max_size=12),
    extra=st.integers(min_value=-250, max_value=220),
    as_of=st.integers(min_value=0, max_value=220),
    interval=st.sampled_from([1, 2, 7, 14, 30, 45, 60, 90]),
    window_percent=st.sampled_from([0, 10, 25, 50]),
)
def test_adding_any_visit_never_lowers_pm_compliance_nor_moves_a_due_date(
    registered: int,
    days: list[int],
    extra: int,
    as_of: int,
    interval: int,
    window_percent: int,
) -> None:
    """Whatever the route did, one more preventive visit on any day (before the first, between
    windows, after the day evaluated) moves no due date and never lowers the percentage."""
    unit = elevator(registered_at=at(registered), interval_days=interval)
    rules = UnitRules(pm_window_percent=window_percent)
    period = Period.of_dates(date(2025, 1, 1), date(2025, 7, 1))
    visits = [visit(at(d).date()) for d in days]
    day = at(as_of).date()

    before = pm_compliance(unit, visits, period, as_of=day, rules=rules)
    after = pm_compliance(unit, [*visits, visit(at(extra).date())], period, as_of=day, rules=rules)

    assert after.due == before.due
    assert len(after.met) >= len(before.met)
    assert after.percent >= before.percent
