"""The metrics of DOMAIN.md for one unit and for a fleet over a period.

Modelling decisions:

- Operating time is 24x7 over the unit's operating window (``downtime.operating_window``):
  from the later of period start and registration to the earlier of period end and
  decommissioning. Unit-years = operating hours / (365.25 x 24).
- A callback is any incident reported inside the operating window. Every callback KPI counts
  only countable callbacks (not ``excluded_from_kpi``); the excluded ones are reported as a
  count of their own.
- Response time is arrived - reported over countable callbacks with an arrival, leaving out
  those a technician found on site (there was nothing to respond to). P50/P90 interpolate
  linearly between ranks (as spreadsheets' PERCENTILE.INC does).
- Release time is release - reported over countable entrapments with a release time.
- A repeat callback follows an earlier countable callback on the same unit (inside or before
  the period) by at most ``repeat_callback_window_days``; the rate is a percentage.
- First-time fix: closed countable callbacks with ``visits_to_resolve`` <= 1 (0 = resolved
  without a visit) / closed countable callbacks x 100.
- Regulatory compliance: a unit is active on ``as_of`` when registered by then and not yet
  decommissioned; it complies with a valid certificate and no overdue or missing required test.
- Fleet figures sum hours and counts over units and pool the samples, then apply the same
  formulas: fleet availability comes from summed hours, never from averaged percentages.
- A figure whose denominator is zero is None; PM compliance is 100 when nothing was due.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from pydantic import model_validator

from app.domain.compliance import certificate_valid, has_overdue_required_test
from app.domain.downtime import (
    Period,
    decommissioned_at,
    downtime,
    minutes_between,
    unit_years,
)
from app.domain.entities import ComplianceSettings, Elevator, StatusChange
from app.domain.enums import IncidentChannel, IncidentStatus
from app.domain.pm import PmCompliance, pm_compliance
from app.domain.values import DomainModel
from app.domain.work import Deficiency, Incident, Inspection, Visit


class UnitRecord(DomainModel):
    """Everything recorded about one unit: the input of fleet metrics and the health score."""

    elevator: Elevator
    history: tuple[StatusChange, ...] = ()
    visits: tuple[Visit, ...] = ()
    incidents: tuple[Incident, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    deficiencies: tuple[Deficiency, ...] = ()

    @model_validator(mode="after")
    def _same_unit(self) -> UnitRecord:
        records: tuple[StatusChange | Visit | Incident | Inspection | Deficiency, ...] = (
            *self.history,
            *self.visits,
            *self.incidents,
            *self.inspections,
            *self.deficiencies,
        )
        if any(r.elevator_id != self.elevator.id for r in records):
            raise ValueError("every record in a UnitRecord must belong to its elevator")
        return self


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


class UnitMetrics(MetricFigures):
    """One unit's metrics in a period, with its operating window and PM detail."""

    elevator_id: UUID
    period: Period
    window: Period | None
    pm: PmCompliance
    regulatory_compliant: bool | None
    """None when the unit was not active on the as-of date."""


class FleetMetrics(MetricFigures):
    """Fleet metrics from summed unit figures, with every unit's own metrics."""

    period: Period
    as_of: date
    unit_count: int
    units: tuple[UnitMetrics, ...]


@dataclass(frozen=True)
class _Tally:
    """Summable raw inputs of ``MetricFigures``."""

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

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


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


def _figures(t: _Tally) -> dict[str, Any]:
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


def _callback_tally(
    incidents: Sequence[Incident], window: Period | None, settings: ComplianceSettings
) -> _Tally:
    if window is None:
        return _Tally()
    in_window = [i for i in incidents if window.contains(i.reported_at)]
    countable = [i for i in in_window if i.countable]
    all_countable = [i for i in incidents if i.countable]
    repeat_window = timedelta(days=settings.repeat_callback_window_days)
    repeats = sum(
        any(timedelta(0) < c.reported_at - p.reported_at <= repeat_window for p in all_countable)
        for c in countable
    )
    entrapments = [i for i in countable if i.entrapment]
    closed = [i for i in countable if i.status is IncidentStatus.CLOSED]
    return _Tally(
        callbacks=len(countable),
        excluded=len(in_window) - len(countable),
        entrapments=len(entrapments),
        release_minutes=tuple(
            minutes_between(i.reported_at, i.release_at) for i in entrapments if i.release_at
        ),
        response_minutes=tuple(
            minutes_between(i.reported_at, i.arrived_at)
            for i in countable
            if i.arrived_at and i.channel is not IncidentChannel.TECHNICIAN_FOUND
        ),
        repeats=repeats,
        closed=len(closed),
        first_time_fixes=sum(i.visits_to_resolve <= 1 for i in closed),
    )


def _active_on(elevator: Elevator, history: Sequence[StatusChange], day: date) -> bool:
    gone = decommissioned_at(elevator, history)
    return elevator.registered_at.date() <= day and (gone is None or gone.date() > day)


def _unit(
    unit: Elevator,
    history: Sequence[StatusChange],
    visits: Sequence[Visit],
    incidents: Sequence[Incident],
    inspections: Sequence[Inspection],
    period: Period,
    settings: ComplianceSettings,
    as_of: date,
) -> tuple[UnitMetrics, _Tally]:
    down = downtime(unit, history, period)
    window = down.window
    pm = pm_compliance(unit, visits, window, as_of=as_of, settings=settings)
    compliant: bool | None = None
    if _active_on(unit, history, as_of):
        compliant = certificate_valid(unit, as_of) and not has_overdue_required_test(
            unit, inspections, today=as_of, settings=settings
        )
    tally = _callback_tally(incidents, window, settings) + _Tally(
        operating=down.operating_hours,
        planned=down.planned_hours,
        unplanned=down.unplanned_hours,
        outages=down.outages,
        pm_met=len(pm.met),
        pm_counted=len(pm.met) + len(pm.missed),
        active=int(compliant is not None),
        compliant=int(bool(compliant)),
    )
    metrics = UnitMetrics(
        elevator_id=unit.id,
        period=period,
        window=window,
        pm=pm,
        regulatory_compliant=compliant,
        **_figures(tally),
    )
    return metrics, tally


def _last_day(period: Period) -> date:
    return max(period.start, period.end - timedelta(microseconds=1)).date()


def unit_metrics(
    unit: Elevator,
    history: Sequence[StatusChange],
    visits: Sequence[Visit],
    incidents: Sequence[Incident],
    inspections: Sequence[Inspection],
    period: Period,
    settings: ComplianceSettings,
    *,
    as_of: date | None = None,
) -> UnitMetrics:
    """Every DOMAIN.md metric for one unit in ``period``; ``as_of`` defaults to its last day."""
    day = as_of or _last_day(period)
    return _unit(unit, history, visits, incidents, inspections, period, settings, day)[0]


def fleet_metrics(
    records: Sequence[UnitRecord], period: Period, settings: ComplianceSettings, as_of: date
) -> FleetMetrics:
    """Fleet metrics from summed unit hours and counts, with each unit's own metrics."""
    units: list[UnitMetrics] = []
    total = _Tally()
    for r in records:
        metrics, tally = _unit(
            r.elevator, r.history, r.visits, r.incidents, r.inspections, period, settings, as_of
        )
        units.append(metrics)
        total = total + tally
    return FleetMetrics(
        period=period, as_of=as_of, unit_count=len(records), units=tuple(units), **_figures(total)
    )
