"""Preventive-maintenance compliance: the unit's calendar of due dates and how visits meet it.

A unit's PM interval is its own ``maintenance_interval_days``, else the organization's default;
the window either side of a due date is the interval x ``pm_window_percent`` / 100 rounded half
up to whole days, at least one day. A visit's day is its day at the site (its time zone).

The schedule is a fixed calendar (``PM_SCHEDULE``) that runs from the unit's registration day,
not from any visit: with a schedule that rolls from each visit (or one in step with the first
visit) an early, late or extra visit moves later due dates and can turn a later on-time visit
into a missed one. On a calendar no visit can move, a visit can only meet a due date, so an
extra visit never lowers compliance; the route keeps its rhythm after a late visit, as a
maintenance contract's monthly (or other) visits do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from app.domain.dates import local_date
from app.domain.downtime import Period, midnight_utc
from app.domain.entities import Elevator
from app.domain.enums import VisitStatus, VisitType
from app.domain.rules import UnitRules
from app.domain.values import DomainModel
from app.domain.work import VisitSummary

PM_SCHEDULE: Final = (
    "Fixed calendar from the unit's registration: the first visit is due one interval after the "
    "day the unit was registered, each later one an interval after the one before; a "
    "preventive visit within the window either side of a due date meets it. No visit moves a "
    "due date, so an extra visit never lowers compliance."
)
"""How preventive-maintenance due dates are set, in words (tooltips and documents)."""


class PmCompliance(DomainModel):
    """Preventive visits due in a window and which were met (see ``pm_compliance``)."""

    interval_days: int
    window_days: int
    due: tuple[date, ...]
    met: tuple[date, ...]
    missed: tuple[date, ...]
    pending: tuple[date, ...]
    percent: float


def pm_window_days(interval_days: int, percent: int) -> int:
    """The ±window around a PM due date: interval x percent / 100, rounded half up, at least
    1 day (integer arithmetic: no float rounding at the half)."""
    return max(1, (interval_days * percent + 50) // 100)


def visit_day(visit: VisitSummary, time_zone: str) -> date | None:
    """The day the work was done at the site (arrival, else completion, in its time zone)."""
    when = visit.arrived_at or visit.completed_at
    return local_date(when, time_zone) if when else None


def preventive_visit_days(
    visits: Iterable[VisitSummary], *, until: date | None = None, time_zone: str = "UTC"
) -> list[date]:
    """Days at the site of completed or locked preventive visits (up to ``until``), oldest
    first."""
    done = {VisitStatus.COMPLETED, VisitStatus.LOCKED}
    days = [
        visit_day(v, time_zone)
        for v in visits
        if v.type is VisitType.PREVENTIVE and v.status in done
    ]
    return sorted(d for d in days if d is not None and (until is None or d <= until))


@dataclass(frozen=True, slots=True)
class PmCalendar:
    """A unit's preventive-maintenance due dates: ``first``, then every ``interval`` days."""

    first: date
    """One interval after the unit's registration day (at the site): the first due date."""
    interval: int
    margin: int
    """Days either side of a due date within which a visit meets it."""

    def due_dates(self, start: date, end: date) -> list[date]:
        """The due dates from ``start`` up to (not including) ``end``."""
        step = timedelta(days=self.interval)
        behind = max(0, (start - self.first).days)
        day = self.first + step * -(-behind // self.interval)  # the first due date >= start
        found: list[date] = []
        while day < end:
            found.append(day)
            day += step
        return found

    def meets(self, due: date, visit: date) -> bool:
        """Whether a visit on ``visit`` is within the window of ``due``."""
        return abs((visit - due).days) <= self.margin


def pm_calendar(elevator: Elevator, rules: UnitRules) -> PmCalendar:
    """The unit's calendar: the first due date one interval after its registration day at the
    site, each later one an interval apart. Visits never move it."""
    interval = rules.pm_interval_days(elevator)
    margin = pm_window_days(interval, rules.pm_window_percent)
    registered = local_date(elevator.registered_at, rules.time_zone)
    return PmCalendar(registered + timedelta(days=interval), interval, margin)


def match_visits(calendar: PmCalendar, dues: list[date], days: list[date]) -> dict[date, date]:
    """Which visit meets which due date: each due date by the earliest unused visit in its
    window, each visit meeting at most one due date (in date order: the most that can be met).
    ``dues`` and ``days`` oldest first; one pass over both."""
    matched: dict[date, date] = {}
    margin = timedelta(days=calendar.margin)
    k = 0
    for due in dues:
        while k < len(days) and days[k] < due - margin:
            k += 1  # too early for this due date, and so for every later one
        if k < len(days) and days[k] <= due + margin:
            matched[due] = days[k]
            k += 1
    return matched


def pm_compliance(
    elevator: Elevator,
    visits: Iterable[VisitSummary],
    window: Period | None,
    *,
    as_of: date,
    rules: UnitRules,
) -> PmCompliance:
    """PM compliance: due dates met within due ± window / due dates x 100 (100 if none due).

    The due dates are the unit's calendar (``pm_calendar``) inside ``window``, the unit's
    operating window in the period. A due date is met by a completed or locked preventive visit
    within ± the window of it; unmet, it is missed once its window has closed before ``as_of``,
    and pending (neither met nor missed, not counted) while it is still open. Visits after
    ``as_of`` are ignored.
    """
    days = preventive_visit_days(visits, until=as_of, time_zone=rules.time_zone)
    calendar = pm_calendar(elevator, rules)
    met: list[date] = []
    missed: list[date] = []
    pending: list[date] = []
    dues: list[date] = []
    if window is not None:
        start = local_date(window.start, rules.time_zone)
        past_end = local_date(window.end, rules.time_zone) + timedelta(days=1)
        dues = [d for d in calendar.due_dates(start, past_end) if midnight_utc(d) < window.end]
        matched = match_visits(calendar, dues, days)
        for due in dues:
            if due in matched:
                met.append(due)
            elif due + timedelta(days=calendar.margin) >= as_of:
                pending.append(due)
            else:
                missed.append(due)
    counted = len(met) + len(missed)
    return PmCompliance(
        interval_days=calendar.interval,
        window_days=calendar.margin,
        due=tuple(dues),
        met=tuple(met),
        missed=tuple(missed),
        pending=tuple(pending),
        percent=len(met) / counted * 100 if counted else 100.0,
    )
