"""Interval maths: periods, a unit's operating window and its planned/unplanned down intervals.

Downtime comes from the status history (DOMAIN.md), read as a timeline: each change holds from
its ``changed_at`` (when it took effect, which for a change recorded after the fact is earlier
than when it was recorded) until the next change. Before the first change the unit is in the
status the first change recorded names as ``previous`` (``operational`` when it names none),
or, with no history at all, in the unit's current status, since registration.

Operating time is 24x7 unless the organization sets operating hours: then only the hours a
unit is needed in service count, in the site's time zone, for operating time and downtime
alike, and an outage entirely outside them is not an outage.

Classification of a status (``cause`` defaults as ``app.domain.status.default_cause`` does):

- ``operational`` and ``degraded``: in service (a degraded unit still carries passengers);
- ``maintenance``: planned downtime, whatever the cause;
- ``out_of_service`` with cause ``planned``: planned downtime;
- ``out_of_service`` with cause ``incident``, ``other`` or none: unplanned downtime (a stop
  nobody planned is counted against the unit, so ``other`` is treated as unplanned);
- ``decommissioned``: the unit leaves operating time for good; later changes are ignored.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from pydantic import model_validator

from app.domain.dates import zone
from app.domain.entities import Elevator, StatusChange
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.settings import OperatingHours
from app.domain.status import default_cause
from app.domain.values import DomainModel, UtcDatetime

HOURS_PER_UNIT_YEAR = 365.25 * 24
"""Hours in one unit-year in service (a 365.25-day year)."""


class DowntimeKind(StrEnum):
    PLANNED = "planned"
    UNPLANNED = "unplanned"


class Period(DomainModel):
    """A half-open time span ``[start, end)`` in UTC."""

    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("a period must not end before it starts")
        return self

    @classmethod
    def of_dates(cls, first: date, end: date) -> Period:
        """The days from ``first`` up to (not including) ``end``, midnight to midnight UTC."""
        return cls(start=midnight_utc(first), end=midnight_utc(end))

    @property
    def hours(self) -> float:
        """Length of the period in hours."""
        return (self.end - self.start).total_seconds() / 3600

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside ``[start, end)``."""
        return self.start <= moment < self.end

    def clip(self, other: Period) -> Period | None:
        """The part of this period inside ``other``, or None when they do not overlap."""
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Period(start=start, end=end) if start < end else None

    def ending_by(self, moment: datetime) -> Period:
        """This period cut off at ``moment`` (figures of a period that includes now end now)."""
        if moment >= self.end:
            return self
        return Period(start=self.start, end=max(self.start, moment))


class Downtime(DomainModel):
    """A unit's down intervals inside its operating window, with the hours that count
    (operating hours only, when the organization sets them); each unplanned interval with
    hours that count is an outage."""

    window: Period | None
    planned: tuple[Period, ...]
    unplanned: tuple[Period, ...]
    operating_hours: float = 0.0
    """Hours the unit was needed in service in the period (zero without a window)."""
    planned_hours: float = 0.0
    unplanned_hours: float = 0.0
    outages: int = 0
    """Unplanned outages (maximal merged unplanned intervals) with hours that count."""


def midnight_utc(day: date) -> datetime:
    """The start of ``day`` in UTC."""
    return datetime.combine(day, time(), tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    """``day`` moved by calendar months, clamped to the month's end (Jan 31 + 1 -> Feb 28)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def merge_periods(periods: Iterable[Period]) -> list[Period]:
    """Merge overlapping or touching periods into maximal disjoint ones, oldest first."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        if merged and period.start <= merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(start=merged[-1].start, end=period.end)
        else:
            merged.append(period)
    return merged


def classify(status: ElevatorStatus, cause: DowntimeCause | None) -> DowntimeKind | None:
    """Planned, unplanned, or None when the status is in service (or decommissioned)."""
    if status is ElevatorStatus.MAINTENANCE:
        return DowntimeKind.PLANNED
    if status is ElevatorStatus.OUT_OF_SERVICE:
        cause = cause or default_cause(status)
        return DowntimeKind.PLANNED if cause is DowntimeCause.PLANNED else DowntimeKind.UNPLANNED
    return None


def _ordered(history: Sequence[StatusChange]) -> list[StatusChange]:
    # Stable sort: callers pass oldest first, and ties keep their recorded order.
    return sorted(history, key=lambda change: change.changed_at)


def decommissioned_at(elevator: Elevator, history: Sequence[StatusChange]) -> datetime | None:
    """When the unit was decommissioned (history first, else its current status), if ever."""
    for change in _ordered(history):
        if change.new is ElevatorStatus.DECOMMISSIONED:
            return max(change.changed_at, elevator.registered_at)
    if elevator.status is ElevatorStatus.DECOMMISSIONED:
        return elevator.status_since
    return None


def operating_window(
    elevator: Elevator, history: Sequence[StatusChange], period: Period
) -> Period | None:
    """``[max(period start, registration), min(period end, decommission))``, None if empty."""
    end = decommissioned_at(elevator, history) or period.end
    return period.clip(Period(start=elevator.registered_at, end=max(end, elevator.registered_at)))


def _timeline(
    elevator: Elevator, history: Sequence[StatusChange]
) -> list[tuple[datetime, DowntimeKind | None]]:
    """Change points ``(from, kind)``; each holds until the next point (the last until the end)."""
    changes = _ordered(history)
    if changes:
        # the state before the history: what the first change *recorded* says it left
        first = min(changes, key=lambda c: c.recorded_at or c.changed_at).previous
        points = [(elevator.registered_at, classify(first or ElevatorStatus.OPERATIONAL, None))]
    else:
        initial = classify(elevator.status, elevator.downtime_cause)
        points = [(elevator.registered_at, initial)]
    for change in changes:
        if change.new is ElevatorStatus.DECOMMISSIONED:
            break
        # A change stamped before registration (clock skew) takes effect at registration.
        points.append(
            (max(change.changed_at, elevator.registered_at), classify(change.new, change.cause))
        )
    return points


def scheduled_hours(period: Period, hours: OperatingHours | None, time_zone: str) -> float:
    """Hours of ``period`` inside the operating hours (all of it without operating hours)."""
    if hours is None:
        return period.hours
    return _scheduled_hours(period.start, period.end, hours, time_zone)


@lru_cache(maxsize=4096)  # most units share their operating window: computed once for all
def _scheduled_hours(
    start: datetime, end: datetime, hours: OperatingHours, time_zone: str
) -> float:
    local = zone(time_zone)
    day, last = start.astimezone(local).date(), end.astimezone(local).date()
    total = 0.0
    while day <= last:
        if day.isoweekday() in hours.days:
            opens = datetime.combine(day, hours.opens, tzinfo=local).astimezone(UTC)
            closes = datetime.combine(day, hours.closes, tzinfo=local).astimezone(UTC)
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += (finish - begin).total_seconds() / 3600
        day += timedelta(days=1)
    return total


def downtime(
    elevator: Elevator,
    history: Sequence[StatusChange],
    period: Period,
    *,
    hours: OperatingHours | None = None,
    time_zone: str = "UTC",
) -> Downtime:
    """The unit's planned and unplanned down intervals in ``period``, clipped and merged, with
    the hours of each that fall in the operating hours."""
    window = operating_window(elevator, history, period)
    if window is None:
        return Downtime(window=None, planned=(), unplanned=())
    points = _timeline(elevator, history)
    found: dict[DowntimeKind, list[Period]] = {kind: [] for kind in DowntimeKind}
    for index, (start, kind) in enumerate(points):
        if kind is None:
            continue
        end = points[index + 1][0] if index + 1 < len(points) else window.end
        if end <= start:
            continue
        clipped = Period(start=start, end=end).clip(window)
        if clipped is not None:
            found[kind].append(clipped)
    planned = merge_periods(found[DowntimeKind.PLANNED])
    unplanned = merge_periods(found[DowntimeKind.UNPLANNED])
    unplanned_hours = [scheduled_hours(p, hours, time_zone) for p in unplanned]
    return Downtime(
        window=window,
        planned=tuple(planned),
        unplanned=tuple(unplanned),
        operating_hours=scheduled_hours(window, hours, time_zone),
        planned_hours=sum((scheduled_hours(p, hours, time_zone) for p in planned), 0.0),
        unplanned_hours=sum(unplanned_hours, 0.0),
        outages=sum(1 for h in unplanned_hours if h > 0),
    )


def unit_years(hours: float) -> float:
    """Hours in service expressed in unit-years."""
    return hours / HOURS_PER_UNIT_YEAR


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from ``start`` to ``end``."""
    return (end - start).total_seconds() / 60
