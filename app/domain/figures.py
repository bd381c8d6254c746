"""The figures shared by unit and fleet metrics, and the summable tally they are computed from.

A unit's ``MetricTally`` holds hours, counts and raw samples; a fleet's is the sum of its units'
(``total_tally``), and ``figures`` applies the same formulas to either. So fleet availability
comes from summed hours, never from averaged percentages, and any subset of units is
re-aggregated from its tallies without computing anything again. See ``metrics`` for what each
figure means.

Rates per unit-year divide by the unit-years in service, but by no less than
``MIN_EXPOSURE_DAYS``: a unit two days in service with one callback would otherwise score 183
callbacks a year. ``exposure_unit_years`` is the divisor used, and ``exposure_floored`` says
when the floor applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

from app.domain.downtime import HOURS_PER_UNIT_YEAR, unit_years
from app.domain.values import DomainModel

MIN_EXPOSURE_DAYS: Final = 90
"""The least exposure a per-unit-year rate is computed over (days in service)."""

MIN_EXPOSURE_UNIT_YEARS: Final = MIN_EXPOSURE_DAYS * 24 / HOURS_PER_UNIT_YEAR


class MetricFigures(DomainModel):
    """The figures shared by unit and fleet metrics; hours, minutes and percentages."""

    operating_hours: float
    """Hours the units were needed in service (24x7, or the organization's operating hours)."""
    planned_downtime_hours: float
    unplanned_downtime_hours: float
    outages: int
    availability_pct: float | None
    service_availability_pct: float | None
    mtbf_hours: float | None
    mttr_hours: float | None
    unit_years: float
    """Calendar time in service, in unit-years (whatever the operating hours)."""
    exposure_unit_years: float
    """What the per-unit-year rates divide by: ``unit_years``, at least the 90-day floor."""
    exposure_floored: bool
    callbacks: int
    """Countable callbacks (not excluded from the KPIs)."""
    excluded_callbacks: int
    all_callbacks: int
    """Every callback reported in the period, countable or excluded."""
    callback_rate: float | None
    entrapments: int
    entrapment_rate: float | None
    mean_release_minutes: float | None
    responses: int
    """Callbacks with a technician's arrival that count for the response time."""
    mean_response_minutes: float | None
    p50_response_minutes: float | None
    p90_response_minutes: float | None
    entrapment_responses: int
    """Entrapments with a technician's arrival."""
    entrapments_on_target: int
    """Of those, the ones reached within the organization's entrapment response target."""
    entrapment_on_target_pct: float | None
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
    calendar: float = 0.0
    planned: float = 0.0
    unplanned: float = 0.0
    outages: int = 0
    callbacks: int = 0
    excluded: int = 0
    entrapments: int = 0
    release_minutes: tuple[float, ...] = ()
    response_minutes: tuple[float, ...] = ()
    entrapment_responses: int = 0
    entrapments_on_target: int = 0
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
    operating = calendar = planned = unplanned = 0.0
    outages = callbacks = excluded = entrapments = repeats = closed = fixes = 0
    measured = on_target = pm_met = pm_counted = active = compliant = 0
    release: list[float] = []
    response: list[float] = []
    for t in tallies:
        operating += t.operating
        calendar += t.calendar
        planned += t.planned
        unplanned += t.unplanned
        outages += t.outages
        callbacks += t.callbacks
        excluded += t.excluded
        entrapments += t.entrapments
        release.extend(t.release_minutes)
        response.extend(t.response_minutes)
        measured += t.entrapment_responses
        on_target += t.entrapments_on_target
        repeats += t.repeats
        closed += t.closed
        fixes += t.first_time_fixes
        pm_met += t.pm_met
        pm_counted += t.pm_counted
        active += t.active
        compliant += t.compliant
    return MetricTally(
        operating,
        calendar,
        planned,
        unplanned,
        outages,
        callbacks,
        excluded,
        entrapments,
        tuple(release),
        tuple(response),
        measured,
        on_target,
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


def exposure(years: float) -> float:
    """The unit-years a rate divides by: ``years``, but at least ``MIN_EXPOSURE_DAYS``'s worth
    (zero stays zero: a unit never in service has no rate)."""
    return max(years, MIN_EXPOSURE_UNIT_YEARS) if years > 0 else 0.0


def figures(t: MetricTally) -> dict[str, Any]:
    """Every ``MetricFigures`` field computed from ``t`` (None where a denominator is zero)."""
    down = t.planned + t.unplanned
    years = unit_years(t.calendar)
    basis = exposure(years)
    every = t.callbacks + t.excluded
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
        "exposure_unit_years": basis,
        "exposure_floored": 0 < years < basis,
        "callbacks": t.callbacks,
        "excluded_callbacks": t.excluded,
        "all_callbacks": every,
        "callback_rate": _ratio(t.callbacks, basis),
        "entrapments": t.entrapments,
        "entrapment_rate": _ratio(t.entrapments, basis),
        "mean_release_minutes": _mean(t.release_minutes),
        "responses": len(t.response_minutes),
        "mean_response_minutes": _mean(t.response_minutes),
        "p50_response_minutes": percentile(t.response_minutes, 50),
        "p90_response_minutes": percentile(t.response_minutes, 90),
        "entrapment_responses": t.entrapment_responses,
        "entrapments_on_target": t.entrapments_on_target,
        "entrapment_on_target_pct": _ratio(t.entrapments_on_target, t.entrapment_responses, 100),
        "pm_due": t.pm_counted,
        "pm_met": t.pm_met,
        "pm_compliance_pct": 100.0 if pm_pct is None else pm_pct,
        "repeat_callbacks": t.repeats,
        "repeat_callback_pct": _ratio(t.repeats, every, 100),
        "closed_callbacks": t.closed,
        "first_time_fixes": t.first_time_fixes,
        "first_time_fix_pct": _ratio(t.first_time_fixes, every, 100),
        "active_units": t.active,
        "compliant_units": t.compliant,
        "regulatory_compliance_pct": _ratio(t.compliant, t.active, 100),
    }
