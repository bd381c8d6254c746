"""Each unit's share of the fleet screens, computed once per log mark and day (and refreshed
when ``FRESH_FOR`` has passed: figures of a period that includes today end at the moment they
are computed, ``at``).

Computing the fleet's figures runs the domain calculations (health, metric tallies, compliance)
for every unit: seconds for thousands of units. A ``FleetSnapshot`` keeps every unit's results
(``UnitFigures`` and one ``MetricTally`` per period), so showing any subset of units (a
customer, a site, a make) only filters and adds them up. The figures come from the same
``app.domain`` functions as everywhere else; nothing here computes a figure of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Final
from uuid import UUID

from app.domain.compliance import (
    ComplianceItem,
    ComplianceRule,
    ComplianceStatus,
    unit_compliance_items,
)
from app.domain.downtime import Period, add_months, midnight_utc
from app.domain.entities import Customer, Site
from app.domain.enums import IncidentStatus
from app.domain.figures import MetricTally
from app.domain.health import health_score
from app.domain.metrics import UnitRecord, unit_tally
from app.domain.rules import RulesBook, UnitRules
from app.domain.settings import OrganizationSettings
from app.domain.work import Incident
from app.services.ports import LogMark
from app.services.queries.fleet import FleetData, FleetRow, fleet_row

_TEST_RULES = frozenset(ComplianceRule) - {ComplianceRule.CERTIFICATE}

FRESH_FOR: Final = timedelta(minutes=15)
"""How long figures computed up to one moment stand for "now" before they are recomputed."""


def moment_in(today: date, now: datetime) -> datetime:
    """``now`` held within ``today`` (midnight UTC to midnight): the moment figures for
    ``today`` are taken at (the day's end when ``today`` is over, its start if to come)."""
    start = midnight_utc(today)
    return min(max(now, start), start + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: date
    callbacks: int
    entrapments: int


def months_back(today: date, count: int = 12) -> list[date]:
    """First days of the ``count`` calendar months ending with ``today``'s month, oldest first."""
    first = today.replace(day=1)
    return [add_months(first, -k) for k in range(count - 1, -1, -1)]


def callbacks_per_month(incidents: Iterable[Incident], today: date) -> list[MonthCount]:
    """Countable callbacks and entrapments reported in each of the last 12 months."""
    months = months_back(today)
    keys = [(m.year, m.month) for m in months]
    calls: Counter[tuple[int, int]] = Counter()
    traps: Counter[tuple[int, int]] = Counter()
    for incident in incidents:
        if not incident.countable:
            continue
        key = (incident.reported_at.year, incident.reported_at.month)
        calls[key] += 1
        traps[key] += int(incident.entrapment)
    return [MonthCount(m, calls[k], traps[k]) for m, k in zip(months, keys, strict=True)]


def is_overdue(item: ComplianceItem) -> bool:
    """Listed as overdue on the dashboard: late PM or test, or an expired certificate."""
    return item.late and (item.rule in _TEST_RULES or item.status is ComplianceStatus.OVERDUE)


def is_expiring(item: ComplianceItem, today: date, settings: OrganizationSettings) -> bool:
    """Listed as expiring: a certificate within the largest alert window (60 days by default)."""
    alert = max(settings.certificate_alert_days, default=60)
    return item.rule is ComplianceRule.CERTIFICATE and 0 <= (item.due_on - today).days <= alert


def period_as_of(period: Period, today: date) -> date:
    """The day a period's figures are taken on: its last day, or today if it has not ended."""
    return min(today, (period.end - timedelta(microseconds=1)).date())


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One unit's row and what the dashboard lists of it."""

    row: FleetRow
    attention: tuple[ComplianceItem, ...]
    """Its overdue items and expiring certificates (``is_overdue``, ``is_expiring``)."""
    open_callbacks: tuple[Incident, ...]
    monthly: tuple[tuple[int, int, int], ...]
    """``(month, callbacks, entrapments)`` for the months of ``months_back`` with any."""


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """Every active unit's figures on ``today``, derived from the log up to ``mark``."""

    mark: LogMark
    today: date
    at: datetime
    """The moment the figures were taken at (periods that include it end there)."""
    settings: OrganizationSettings
    units: tuple[UnitFigures, ...]
    """In fleet order (as read), the order fleet figures are summed in."""
    customers: tuple[Customer, ...]
    sites: tuple[Site, ...]
    tallies: Mapping[Period, tuple[MetricTally, ...]] = field(default_factory=dict)
    """Per period, each unit's tally, aligned with ``units``."""
    changes_to: datetime | None = field(default=None, compare=False)
    """The moment the units changed since ``at`` were last computed at (their figures run to
    it; the others' to ``at``); None when every unit was taken at ``at``. What the dashboard
    says of its age, not part of the figures."""

    def matches(self, mark: LogMark, today: date, now: datetime | None = None) -> bool:
        """Whether this is still the answer for the log at ``mark`` on ``today``: the same log
        and day (settings are events: a change of them moves the mark) and, when ``now`` is
        given, taken within ``FRESH_FOR`` of it."""
        if self.mark != mark or self.today != today:
            return False
        return now is None or abs(moment_in(today, now) - self.at) <= FRESH_FOR

    def with_tallies(self, more: Mapping[Period, tuple[MetricTally, ...]]) -> FleetSnapshot:
        """The same snapshot with the tallies of more periods."""
        return replace(self, tallies={**self.tallies, **more})

    def rows(self) -> list[FleetRow]:
        """Every unit's row in the fleet list's order (customer, site, unit number)."""
        return sorted((u.row for u in self.units), key=lambda r: r.sort_key)


def unit_figures(
    data: FleetData, record: UnitRecord, today: date, rules: UnitRules, at: datetime
) -> UnitFigures:
    """The unit's row (with its health score up to ``at``) and its dashboard lists on
    ``today``."""
    unit = record.elevator
    row = fleet_row(data, record, health_score(record, today=today, rules=rules, now=at))
    items = unit_compliance_items(unit, record.visits, record.inspections, today=today, rules=rules)
    months = callbacks_per_month(record.incidents, today)
    return UnitFigures(
        row=row,
        attention=tuple(i for i in items if is_overdue(i) or is_expiring(i, today, rules)),
        open_callbacks=tuple(i for i in record.incidents if i.status is IncidentStatus.OPEN),
        monthly=tuple((n, m.callbacks, m.entrapments) for n, m in enumerate(months) if m.callbacks),
    )


def update_snapshot(
    snapshot: FleetSnapshot,
    changed: Mapping[UUID, UnitRecord | None],
    mark: LogMark,
    now: datetime,
) -> FleetSnapshot:
    """``snapshot`` with the figures of the ``changed`` units computed again, as of ``mark``
    and up to ``now`` (the others stay as taken at ``snapshot.at``, which the snapshot keeps:
    it is recomputed whole once that is no longer fresh).

    Each changed unit must already be in the snapshot; None drops it (decommissioned). The
    other units keep their places, so the fleet figures are summed in the same order as by
    ``compute_snapshot`` and come out the same to the last bit.
    """
    today = snapshot.today
    at = moment_in(today, now)
    data = FleetData(
        (),
        {s.id: s for s in snapshot.sites},
        {c.id: c for c in snapshot.customers},
        snapshot.settings,
    )
    book = data.rules()
    place = {u.row.elevator_id: n for n, u in enumerate(snapshot.units)}
    units: list[UnitFigures | None] = list(snapshot.units)
    tallies: dict[Period, list[MetricTally | None]] = {
        p: list(t) for p, t in snapshot.tallies.items()
    }
    for unit_id, record in changed.items():
        n = place[unit_id]
        if record is None:
            units[n] = None
            for column in tallies.values():
                column[n] = None
            continue
        rules = book.for_unit(record.elevator)
        units[n] = unit_figures(data, record, today, rules, at)
        for period, column in tallies.items():
            as_of = period_as_of(period, today)
            column[n] = unit_tally(record, period.ending_by(at), rules, as_of)
    return replace(
        snapshot,
        mark=mark,
        changes_to=at,
        units=tuple(u for u in units if u is not None),
        tallies={p: tuple(t for t in column if t is not None) for p, column in tallies.items()},
    )


@dataclass(frozen=True, slots=True)
class FleetPart:
    """Some units' figures and tallies by unit id: a part of a fleet computed in parts."""

    figures: dict[UUID, UnitFigures]
    tallies: dict[Period, dict[UUID, MetricTally]]


def compute_part(
    data: FleetData,
    today: date,
    at: datetime,
    periods: Iterable[Period] = (),
    *,
    figures: bool = True,
) -> FleetPart:
    """The units' figures (unless not ``figures``) and tallies for ``periods``, each cut off at
    ``at``, every unit under the rules of its site (pure)."""
    book: RulesBook = data.rules()
    records = data.records
    rules = {r.elevator.id: book.for_unit(r.elevator) for r in records}
    return FleetPart(
        {r.elevator.id: unit_figures(data, r, today, rules[r.elevator.id], at) for r in records}
        if figures
        else {},
        {
            p: {
                r.elevator.id: unit_tally(
                    r, p.ending_by(at), rules[r.elevator.id], period_as_of(p, today)
                )
                for r in records
            }
            for p in periods
        },
    )


def assemble(
    parts: Iterable[FleetPart], order: Iterable[UUID], periods: Iterable[Period] = ()
) -> tuple[tuple[UnitFigures, ...], dict[Period, tuple[MetricTally, ...]]]:
    """The parts' figures and tallies as one fleet's, in ``order`` (the fleet order).

    Every one of ``periods`` has its tallies, empty for a fleet without units (a new store).
    """
    figures: dict[UUID, UnitFigures] = {}
    tallies: dict[Period, dict[UUID, MetricTally]] = {period: {} for period in periods}
    for part in parts:
        figures.update(part.figures)
        for period, found in part.tallies.items():
            tallies.setdefault(period, {}).update(found)
    ids = list(order)
    return (
        tuple(figures[i] for i in ids if i in figures),
        {p: tuple(found[i] for i in ids) for p, found in tallies.items()},
    )


def compute_snapshot(
    data: FleetData,
    mark: LogMark,
    today: date,
    now: datetime,
    periods: Iterable[Period] = (),
) -> FleetSnapshot:
    """Every unit's figures, and tallies for ``periods``, up to ``now`` (pure: runs on a worker
    thread)."""
    at = moment_in(today, now)
    wanted = list(periods)
    part = compute_part(data, today, at, wanted)
    order = [r.elevator.id for r in data.records]
    return snapshot_of([part], order, data, mark, today, at, periods=wanted)


def snapshot_of(
    parts: Iterable[FleetPart],
    order: Iterable[UUID],
    data: FleetData,
    mark: LogMark,
    today: date,
    at: datetime,
    *,
    periods: Iterable[Period] = (),
) -> FleetSnapshot:
    """The snapshot the parts make, units in ``order``, names and settings from ``data``."""
    units, tallies = assemble(parts, order, periods)
    return FleetSnapshot(
        mark=mark,
        today=today,
        at=at,
        settings=data.settings,
        units=units,
        customers=tuple(sorted(data.customers.values(), key=lambda c: c.name)),
        sites=tuple(sorted(data.sites.values(), key=lambda s: s.name)),
        tallies=tallies,
    )
