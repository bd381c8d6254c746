"""Preventive-maintenance compliance: the rolling due-date schedule and how visits meet it.

A unit's PM interval comes from the unit (``maintenance_interval_days``); the window either side
of a due date is the interval x ``pm_window_fraction`` rounded half up to whole days, at least
one day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from app.domain.downtime import Period, midnight_utc
from app.domain.entities import ComplianceSettings, Elevator
from app.domain.enums import VisitStatus, VisitType
from app.domain.values import DomainModel
from app.domain.work import VisitSummary


class PmCompliance(DomainModel):
    """Preventive visits due in a window and which were met (see ``pm_compliance``)."""

    interval_days: int
    window_days: int
    due: tuple[date, ...]
    met: tuple[date, ...]
    missed: tuple[date, ...]
    pending: tuple[date, ...]
    percent: float


def pm_window_days(interval_days: int, fraction: float) -> int:
    """The ±window around a PM due date: interval x fraction, rounded half up, at least 1 day."""
    return max(1, int(interval_days * fraction + 0.5))


def preventive_visit_days(
    visits: Iterable[VisitSummary], *, until: date | None = None
) -> list[date]:
    """Days of completed or locked preventive visits (up to ``until``), oldest first."""
    done = {VisitStatus.COMPLETED, VisitStatus.LOCKED}
    days = [
        v.performed_on
        for v in visits
        if v.type is VisitType.PREVENTIVE and v.status in done and v.performed_on is not None
    ]
    return sorted(d for d in days if until is None or d <= until)


def pm_compliance(
    elevator: Elevator,
    visits: Iterable[VisitSummary],
    window: Period | None,
    *,
    as_of: date,
    settings: ComplianceSettings,
) -> PmCompliance:
    """PM compliance: due dates met within due ± window / due dates x 100 (100 if none due).

    The schedule rolls with the work, as a maintenance contract does: each due date is the
    previous preventive visit plus ``maintenance_interval_days``. The first due date in
    ``window`` (the unit's operating window in the period) is the last preventive visit before
    it plus the interval, or the window's first day when there was none. A completed/locked
    preventive visit within ± the PM window of a due date meets it; one outside (early, or late
    but before the next due date's window) misses it, and the next due date counts from that
    visit. With no visit at all, the due date is missed and the next falls an interval later.
    An unmet due date whose window is still open on ``as_of`` is pending: neither met nor
    missed, and not counted. Visits after ``as_of`` are ignored.
    """
    interval = elevator.maintenance_interval_days
    width = pm_window_days(interval, settings.pm_window_fraction)
    days = preventive_visit_days(visits, until=as_of)
    due: list[date] = []
    met: list[date] = []
    missed: list[date] = []
    pending: list[date] = []
    if window is not None:
        start = window.start.date()
        before = [d for d in days if d < start]
        later = [d for d in days if d >= start]
        day = before[-1] + timedelta(days=interval) if before else start
        step = timedelta(days=interval)
        margin = timedelta(days=width)
        while midnight_utc(day) < window.end:
            due.append(day)
            visit = later[0] if later else None
            if visit is not None and visit <= day + margin:
                (met if visit >= day - margin else missed).append(day)
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
