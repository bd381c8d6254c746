"""The figures shared by unit and fleet metrics, and the summable tally they are computed from.

A unit's ``MetricTally`` holds hours, counts and raw samples; a fleet's is the sum of its units'
(``total_tally``), and ``figures`` applies the same formulas to either. So fleet availability
comes from summed hours, never from averaged percentages, and any subset of units is
re-aggregated from its tallies without computing anything again. See ``metrics`` for what each
figure means.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from app.domain.downtime import unit_years
from app.domain.values import DomainModel


class MetricFigures(DomainModel):
    """The figures shared by unit and fleet metrics; hours, minutes and percentages."""

    operating_hours: float
    planned_downtime_hours: float
    unplanned_downtime_hours: float
    outages: int
    availability_pct: float | None
    service_availability_pct: float | None
    mtbf_hours: float | None
    mttr_hours: float | None
    unit_years: float
    callbacks: int
    excluded_callbacks: int
    callback_rate: float | None
    entrapments: int
    entrapment_rate: float | None
    mean_release_minutes: float | None
    mean_response_minutes: float | None
    p50_response_minutes: float | None
    p90_response_minutes: float | None
    pm_due: int
    pm_met: int
    pm_compliance_pct: float
    repeat_callbacks: int
    repeat_callback_pct: float | None
    closed_callbacks: int
    first_time_fixes: int
    first_time_fix_pct: float | None
    active_units: int
    compliant_units: int
    regulatory_compliance_pct: float | None


@dataclass(frozen=True, slots=True)
class MetricTally:
    """One unit's summable inputs of ``MetricFigures``: hours, counts and raw samples."""

    operating: float = 0.0
    planned: float = 0.0
    unplanned: float = 0.0
    outages: int = 0
    callbacks: int = 0
    excluded: int = 0
    entrapments: int = 0
    release_minutes: tuple[float, ...] = ()
    response_minutes: tuple[float, ...] = ()
    repeats: int = 0
    closed: int = 0
    first_time_fixes: int = 0
    pm_met: int = 0
    pm_counted: int = 0
    active: int = 0
    compliant: int = 0

    def __add__(self, other: MetricTally) -> MetricTally:
        return MetricTally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def total_tally(tallies: Iterable[MetricTally]) -> MetricTally:
    """The sum of ``tallies`` in order, as repeated ``+`` gives it (floats agree to the bit).

    Written out field by field: it runs over every unit each time the dashboard is filtered,
    and tuple concatenation in a loop would copy the pooled samples once per unit.
    """
    operating = planned = unplanned = 0.0
    outages = callbacks = excluded = entrapments = repeats = closed = fixes = 0
    pm_met = pm_counted = active = compliant = 0
    release: list[float] = []
    response: list[float] = []
    for t in tallies:
        operating += t.operating
        planned += t.planned
        unplanned += t.unplanned
        outages += t.outages
        callbacks += t.callbacks
        excluded += t.excluded
        entrapments += t.entrapments
        release.extend(t.release_minutes)
        response.extend(t.response_minutes)
        repeats += t.repeats
        closed += t.closed
        fixes += t.first_time_fixes
        pm_met += t.pm_met
        pm_counted += t.pm_counted
        active += t.active
        compliant += t.compliant
    return MetricTally(
        operating,
        planned,
        unplanned,
        outages,
        callbacks,
        excluded,
        entrapments,
        tuple(release),
        tuple(response),
        repeats,
        closed,
        fixes,
        pm_met,
        pm_counted,
        active,
        compliant,
    )


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The ``pct`` percentile with linear interpolation between ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return part / whole * scale if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def figures(t: MetricTally) -> dict[str, Any]:
    """Every ``MetricFigures`` field computed from ``t`` (None where a denominator is zero)."""
    down = t.planned + t.unplanned
    years = unit_years(t.operating)
    pm_pct = _ratio(t.pm_met, t.pm_counted, 100)
    return {
        "operating_hours": t.operating,
        "planned_downtime_hours": t.planned,
        "unplanned_downtime_hours": t.unplanned,
        "outages": t.outages,
        "availability_pct": _ratio(t.operating - down, t.operating - t.planned, 100),
        "service_availability_pct": _ratio(t.operating - down, t.operating, 100),
        "mtbf_hours": _ratio(t.operating - down, t.outages),
        "mttr_hours": _ratio(t.unplanned, t.outages),
        "unit_years": years,
        "callbacks": t.callbacks,
        "excluded_callbacks": t.excluded,
        "callback_rate": _ratio(t.callbacks, years),
        "entrapments": t.entrapments,
        "entrapment_rate": _ratio(t.entrapments, years),
        "mean_release_minutes": _mean(t.release_minutes),
        "mean_response_minutes": _mean(t.response_minutes),
        "p50_response_minutes": percentile(t.response_minutes, 50),
        "p90_response_minutes": percentile(t.response_minutes, 90),
        "pm_due": t.pm_counted,
        "pm_met": t.pm_met,
        "pm_compliance_pct": 100.0 if pm_pct is None else pm_pct,
        "repeat_callbacks": t.repeats,
        "repeat_callback_pct": _ratio(t.repeats, t.callbacks, 100),
        "closed_callbacks": t.closed,
        "first_time_fixes": t.first_time_fixes,
        "first_time_fix_pct": _ratio(t.first_time_fixes, t.closed, 100),
        "active_units": t.active,
        "compliant_units": t.compliant,
        "regulatory_compliance_pct": _ratio(t.compliant, t.active, 100),
    }
