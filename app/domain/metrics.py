"""The metrics of DOMAIN.md for one unit and for a fleet over a period.

Modelling decisions (each unit under its own ``UnitRules``):

- Callers cut a period that includes now off at now (``Period.ending_by``): figures never
  count time that has not happened, and an ongoing outage counts up to now.
- The operating window runs from the later of period start and registration to the earlier
  of period end and decommissioning (``downtime.operating_window``). Operating time is the
  window's hours, only those inside the organization's operating hours when it sets them;
  downtime counts only inside them too. Unit-years are calendar time in the window
  (365.25 x 24 hours each) whatever the operating hours: rates are per year in service.
- Rates per unit-year (callbacks, entrapments) divide by at least ``MIN_EXPOSURE_DAYS`` of
  exposure (``figures``).
- A callback is any incident reported inside the operating window (one stamped before the
  unit's registration, at registration). Reliability figures (callback rate, entrapment
  rate, the health score's incident frequency) count only countable callbacks: those
  excluded from the KPIs (nuisance, vandalism, misuse, building power) are not the unit's
  fault. Service figures count every callback, as DOMAIN.md says, because the exclusion is
  decided after the visit and the visit was made all the same: repeat rate, first-time fix,
  response and release times.
- Repeat callback: a callback reported at most ``repeat_callback_window_days`` after an
  earlier callback on the same unit (inside or before the period); rate = repeats / every
  callback in the period x 100.
- First-time fix: callbacks in the period closed after exactly one callback visit / every
  callback in the period x 100. A callback closed without a visit, and one still open, is not
  (yet) a first-time fix.
- Response time is arrived - reported over every callback with an arrival, except those a
  technician found on site: the technician was already there, so there was no response to
  time (it would read as zero and flatter the mean). P50/P90 interpolate linearly between
  ranks (as spreadsheets' PERCENTILE.INC does). Entrapments reached within
  ``entrapment_response_target_minutes`` of the report are counted against those with an
  arrival.
- Release time is release - reported over every entrapment with a release time.
- Regulatory compliance: a unit is active on ``as_of`` when registered by then and not yet
  decommissioned; it complies with no overdue or missing required test of its rule set and,
  where the rule set requires one, a valid certificate of operation.
- Fleet figures sum hours and counts over units and pool the samples (``figures.MetricTally``,
  one per unit), then apply the same formulas: fleet availability comes from summed hours,
  never from averaged percentages. Any subset of units is re-aggregated from its tallies alone.
- A figure whose denominator is zero is None; PM compliance is 100 when nothing was due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple
from uuid import UUID

from pydantic import model_validator

from app.domain.compliance import certificate_counts, has_overdue_required_test
from app.domain.downtime import (
    Period,
    decommissioned_at,
    downtime,
    minutes_between,
)
from app.domain.entities import Elevator, StatusChange
from app.domain.enums import IncidentChannel, IncidentStatus
from app.domain.figures import MetricFigures, MetricTally, figures, total_tally
from app.domain.pm import PmCompliance, pm_compliance
from app.domain.rules import UnitRules
from app.domain.values import DomainModel
from app.domain.work import Deficiency, Incident, Inspection, VisitSummary


class UnitRecord(DomainModel):
    """Everything recorded about one unit: the input of fleet metrics and the health score."""

    elevator: Elevator
    history: tuple[StatusChange, ...] = ()
    visits: tuple[VisitSummary, ...] = ()
    """Summaries suffice (full ``Visit`` records are summaries too)."""
    incidents: tuple[Incident, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    deficiencies: tuple[Deficiency, ...] = ()

    @model_validator(mode="after")
    def _same_unit(self) -> UnitRecord:
        records: tuple[StatusChange | VisitSummary | Incident | Inspection | Deficiency, ...] = (
            *self.history,
            *self.visits,
            *self.incidents,
            *self.inspections,
            *self.deficiencies,
        )
        if any(r.elevator_id != self.elevator.id for r in records):
            raise ValueError("every record in a UnitRecord must belong to its elevator")
        return self


class UnitMetrics(MetricFigures):
    """One unit's metrics in a period, with its operating window and PM detail."""

    elevator_id: UUID
    period: Period
    window: Period | None
    pm: PmCompliance
    regulatory_compliant: bool | None
    """None when the unit was not active on the as-of date."""


class FleetTotals(MetricFigures):
    """Fleet figures from summed unit tallies."""

    period: Period
    as_of: date
    unit_count: int


class FleetMetrics(FleetTotals):
    """Fleet figures with every unit's own metrics."""

    units: tuple[UnitMetrics, ...]


def _callback_tally(
    unit: Elevator, incidents: Sequence[Incident], window: Period | None, rules: UnitRules
) -> MetricTally:
    if window is None:
        return MetricTally()
    # A callback stamped before the unit's registration (reported in the minute it was added,
    # times kept to the minute or second, or clock skew) counts at registration, as a status
    # change does: a callback on the unit is never left out of every period.
    in_window = [i for i in incidents if window.contains(max(i.reported_at, unit.registered_at))]
    countable = [i for i in in_window if i.countable]
    repeat_window = timedelta(days=rules.repeat_callback_window_days)
    repeats = sum(
        any(timedelta(0) < c.reported_at - p.reported_at <= repeat_window for p in incidents)
        for c in in_window
    )
    entrapments = [i for i in in_window if i.entrapment]
    reached = [minutes_between(i.reported_at, i.arrived_at) for i in entrapments if i.arrived_at]
    target = rules.entrapment_response_target_minutes
    closed = [i for i in in_window if i.status is IncidentStatus.CLOSED]
    return MetricTally(
        callbacks=len(countable),
        excluded=len(in_window) - len(countable),
        entrapments=sum(1 for i in countable if i.entrapment),
        release_minutes=tuple(
            minutes_between(i.reported_at, i.release_at) for i in entrapments if i.release_at
        ),
        response_minutes=tuple(
            minutes_between(i.reported_at, i.arrived_at)
            for i in in_window
            if i.arrived_at and i.channel is not IncidentChannel.TECHNICIAN_FOUND
        ),
        entrapment_responses=len(reached),
        entrapments_on_target=sum(1 for minutes in reached if minutes <= target),
        repeats=repeats,
        closed=len(closed),
        first_time_fixes=sum(i.visits_to_resolve == 1 for i in closed),
    )


def _active_on(elevator: Elevator, history: Sequence[StatusChange], day: date) -> bool:
    gone = decommissioned_at(elevator, history)
    return elevator.registered_at.date() <= day and (gone is None or gone.date() > day)


class _Parts(NamedTuple):
    """What one unit's pass over its record yields: the metrics are built from it."""

    window: Period | None
    pm: PmCompliance
    compliant: bool | None
    tally: MetricTally


def _unit(
    unit: Elevator,
    history: Sequence[StatusChange],
    visits: Sequence[VisitSummary],
    incidents: Sequence[Incident],
    inspections: Sequence[Inspection],
    period: Period,
    rules: UnitRules,
    as_of: date,
) -> _Parts:
    down = downtime(unit, history, period, hours=rules.operating_hours, time_zone=rules.time_zone)
    window = down.window
    pm = pm_compliance(unit, visits, window, as_of=as_of, rules=rules)
    compliant: bool | None = None
    if _active_on(unit, history, as_of):
        compliant = not certificate_counts(
            unit, today=as_of, rules=rules
        ) and not has_overdue_required_test(unit, inspections, today=as_of, rules=rules)
    tally = _callback_tally(unit, incidents, window, rules) + MetricTally(
        operating=down.operating_hours,
        calendar=window.hours if window else 0.0,
        planned=down.planned_hours,
        unplanned=down.unplanned_hours,
        outages=down.outages,
        pm_met=len(pm.met),
        pm_counted=len(pm.met) + len(pm.missed),
        active=int(compliant is not None),
        compliant=int(bool(compliant)),
    )
    return _Parts(window, pm, compliant, tally)


def _unit_metrics(unit: Elevator, period: Period, parts: _Parts) -> UnitMetrics:
    return UnitMetrics(
        elevator_id=unit.id,
        period=period,
        window=parts.window,
        pm=parts.pm,
        regulatory_compliant=parts.compliant,
        **figures(parts.tally),
    )


def _last_day(period: Period) -> date:
    return max(period.start, period.end - timedelta(microseconds=1)).date()


def unit_metrics(
    unit: Elevator,
    history: Sequence[StatusChange],
    visits: Sequence[VisitSummary],
    incidents: Sequence[Incident],
    inspections: Sequence[Inspection],
    period: Period,
    rules: UnitRules,
    *,
    as_of: date | None = None,
) -> UnitMetrics:
    """Every DOMAIN.md metric for one unit in ``period``; ``as_of`` defaults to its last day."""
    day = as_of or _last_day(period)
    parts = _unit(unit, history, visits, incidents, inspections, period, rules, day)
    return _unit_metrics(unit, period, parts)


def unit_tally(record: UnitRecord, period: Period, rules: UnitRules, as_of: date) -> MetricTally:
    """The unit's summable share of the fleet figures in ``period`` (see ``fleet_totals``)."""
    r = record
    return _unit(
        r.elevator, r.history, r.visits, r.incidents, r.inspections, period, rules, as_of
    ).tally


def fleet_totals(tallies: Iterable[MetricTally], period: Period, as_of: date) -> FleetTotals:
    """Fleet figures of the units whose tallies are given (in fleet order)."""
    listed = list(tallies)
    return FleetTotals(
        period=period, as_of=as_of, unit_count=len(listed), **figures(total_tally(listed))
    )


def fleet_metrics(
    records: Sequence[UnitRecord],
    period: Period,
    rules: Callable[[Elevator], UnitRules],
    as_of: date,
) -> FleetMetrics:
    """Fleet metrics from summed unit hours and counts, with each unit's own metrics
    (``rules`` gives each unit's rules, e.g. ``RulesBook.for_unit``)."""
    units: list[UnitMetrics] = []
    tallies: list[MetricTally] = []
    for r in records:
        parts = _unit(
            r.elevator,
            r.history,
            r.visits,
            r.incidents,
            r.inspections,
            period,
            rules(r.elevator),
            as_of,
        )
        units.append(_unit_metrics(r.elevator, period, parts))
        tallies.append(parts.tally)
    totals = fleet_totals(tallies, period, as_of)
    return FleetMetrics(**dict(totals), units=tuple(units))
