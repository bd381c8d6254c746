"""Preventive-maintenance compliance: the rolling due-date schedule and how visits meet it.

A unit's PM interval is its own ``maintenance_interval_days``, else the organization's default;
the window either side of a due date is the interval x ``pm_window_percent`` / 100 rounded half
up to whole days, at least one day. A visit's day is its day at the site (its time zone).
"""

from __future__ import annotations

from collections.abc import Iterable
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
    "Rolling schedule: each visit is due one interval after the previous preventive visit; "
    "a visit within the window either side of its due date is on time. A visit before the "
    "window (an extra one) moves the next due date on and never counts as missed."
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


def pm_compliance(
    elevator: Elevator,
    visits: Iterable[VisitSummary],
    window: Period | None,
    *,
    as_of: date,
    rules: UnitRules,
) -> PmCompliance:
    """PM compliance: due dates met within due ± window / due dates x 100 (100 if none due).

    The schedule rolls with the work, as a maintenance contract does (``PM_SCHEDULE``): each
    due date is the previous preventive visit plus the interval. The first due date in
    ``window`` (the unit's operating window in the period) is the last preventive visit before
    it plus the interval, or the window's first day when there was none. Then, visit by visit:

    - before the due date's window (early, or an extra visit): the next due date counts from
      it, and nothing is counted, so an extra visit never lowers compliance;
    - within ± the window: the due date is met, and the next counts from the visit;
    - late, but before the next due date's window: the due date is missed and the next counts
      from the visit;
    - none by then: the due date is missed and the next falls an interval later.

    An unmet due date whose window is still open on ``as_of`` is pending: neither met nor
    missed, and not counted. Visits after ``as_of`` are ignored.
    """
    interval = rules.pm_interval_days(elevator)
    width = pm_window_days(interval, rules.pm_window_percent)
    days = preventive_visit_days(visits, until=as_of, time_zone=rules.time_zone)
    due: list[date] = []
    met: list[date] = []
    missed: list[date] = []
    pending: list[date] = []
    if window is not None:
        start = local_date(window.start, rules.time_zone)
        before = [d for d in days if d < start]
        later = [d for d in days if d >= start]
        day = before[-1] + timedelta(days=interval) if before else start
        step = timedelta(days=interval)
        margin = timedelta(days=width)
        while midnight_utc(day) < window.end:
            visit = later[0] if later else None
            if visit is not None and visit < day - margin:
                later.pop(0)  # early or extra: the schedule moves on from it, nothing counted
                day = visit + step
                continue
            due.append(day)
            if visit is not None and visit <= day + margin:
                met.append(day)
                later.pop(0)
                day = visit + step
            elif day + margin >= as_of:
                pending.append(day)
                break
            elif visit is not None and visit < day + step - margin:
                missed.append(day)  # a late visit: it serves this due date, not the next
                later.pop(0)
                day = visit + step
            else:
                missed.append(day)
                day += step
    counted = len(met) + len(missed)
    return PmCompliance(
        interval_days=interval,
        window_days=width,
        due=tuple(due),
        met=tuple(met),
        missed=tuple(missed),
        pending=tuple(pending),
        percent=len(met) / counted * 100 if counted else 100.0,
    )
