"""The supervisor dashboard: fleet figures, status counts and work lists for one filter.

``board`` builds it from a ``FleetSnapshot`` by filtering units and adding up their tallies and
counts, so changing the customer, site or make filter computes nothing again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from uuid import UUID

from app.domain.compliance import due_order
from app.domain.downtime import Period
from app.domain.entities import Customer, Site
from app.domain.enums import ElevatorStatus, Manufacturer
from app.domain.figures import MetricTally
from app.domain.metrics import FleetTotals, fleet_totals
from app.domain.settings import OrganizationSettings
from app.domain.work import Incident
from app.services.ports import UnitOfWorkFactory
from app.services.queries.fleet import FleetRow, read_fleet
from app.services.queries.lists import ComplianceRow
from app.services.queries.snapshot import (
    FleetSnapshot,
    MonthCount,
    compute_snapshot,
    is_overdue,
    months_back,
    period_as_of,
)


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """Which units and which period the dashboard shows; None means all."""

    period: Period
    customer_id: UUID | None = None
    site_id: UUID | None = None
    manufacturer: Manufacturer | None = None

    def admits(self, row: FleetRow) -> bool:
        return (
            (self.customer_id is None or row.customer_id == self.customer_id)
            and (self.site_id is None or row.site_id == self.site_id)
            and (self.manufacturer is None or row.manufacturer is self.manufacturer)
        )


@dataclass(frozen=True, slots=True)
class OpenCallback:
    incident: Incident
    unit: FleetRow
    elapsed: timedelta


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The supervisor dashboard for one filter."""

    filter: DashboardFilter
    metrics: FleetTotals
    rows: tuple[FleetRow, ...]
    by_status: dict[ElevatorStatus, int]
    open_callbacks: tuple[OpenCallback, ...]
    overdue: tuple[ComplianceRow, ...]
    expiring: tuple[ComplianceRow, ...]
    lowest_health: tuple[FleetRow, ...]
    callbacks_per_month: tuple[MonthCount, ...]
    customers: tuple[Customer, ...]
    sites: tuple[Site, ...]
    settings: OrganizationSettings
    """The organization's settings the figures were computed under."""
    at: datetime
    """The moment the figures were taken at: the period's figures end there if it is earlier."""
    stale: bool = False
    """Figures from before the latest changes, shown while fresh ones are computed."""
    changes_to: datetime | None = None
    """When units changed since ``at`` were computed again (see ``FleetSnapshot``)."""


DEFAULT_DAYS: Final = 365
"""The dashboard's period until another is chosen: the last twelve months."""


def trailing_period(today: date, days: int) -> Period:
    """The ``days`` days ending with ``today`` (included)."""
    end = today + timedelta(days=1)
    return Period.of_dates(end - timedelta(days=days), end)


def board(
    snapshot: FleetSnapshot,
    chosen: DashboardFilter,
    *,
    now: datetime,
    lowest: int = 10,
    tallies: tuple[MetricTally, ...] | None = None,
    stale: bool = False,
) -> Dashboard:
    """The dashboard of the units ``chosen`` admits, from their figures in ``snapshot``.

    ``tallies`` stand in for the snapshot's own for ``chosen.period`` (a stale snapshot's
    figures for a period of the same length, say).
    """
    today = snapshot.today
    per_unit = snapshot.tallies[chosen.period] if tallies is None else tallies
    picked = [n for n, u in enumerate(snapshot.units) if chosen.admits(u.row)]
    units = [snapshot.units[n] for n in picked]
    rows = sorted((u.row for u in units), key=lambda r: r.sort_key)
    metrics = fleet_totals(
        (per_unit[n] for n in picked),
        chosen.period.ending_by(snapshot.at),
        period_as_of(chosen.period, today),
    )
    open_calls = sorted(
        (OpenCallback(i, u.row, now - i.reported_at) for u in units for i in u.open_callbacks),
        key=lambda c: (not c.incident.entrapment, c.incident.reported_at),
    )
    attention = sorted(
        ((i, u.row) for u in units for i in u.attention), key=lambda p: due_order(p[0])
    )
    found = [ComplianceRow(i, row, (i.due_on - today).days) for i, row in attention]
    overdue = [c for c in found if is_overdue(c.item)]
    expiring = sorted((c for c in found if not is_overdue(c.item)), key=lambda c: c.days_left)
    calls: Counter[int] = Counter()
    traps: Counter[int] = Counter()
    for unit in units:
        for month, callbacks, entrapments in unit.monthly:
            calls[month] += callbacks
            traps[month] += entrapments
    counts = Counter(r.status for r in rows)
    return Dashboard(
        filter=chosen,
        metrics=metrics,
        rows=tuple(rows),
        by_status={
            s: counts.get(s, 0) for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED
        },
        open_callbacks=tuple(open_calls),
        overdue=tuple(overdue),
        expiring=tuple(expiring),
        lowest_health=tuple(sorted(rows, key=lambda r: (r.health, r.title))[:lowest]),
        callbacks_per_month=tuple(
            MonthCount(m, calls[n], traps[n]) for n, m in enumerate(months_back(today))
        ),
        customers=snapshot.customers,
        sites=snapshot.sites,
        settings=snapshot.settings,
        at=snapshot.at,
        stale=stale,
        changes_to=snapshot.changes_to,
    )


async def dashboard(
    uow_factory: UnitOfWorkFactory, chosen: DashboardFilter, *, now: datetime, lowest: int = 10
) -> Dashboard:
    """Fleet KPIs for the period up to ``now``, status counts, open callbacks, overdue and
    expiring work, under the organization's settings and each site's rule set.

    Computed from scratch; the desktop app asks ``FleetFigures``, which keeps the figures.
    """
    async with uow_factory() as uow:
        mark = await uow.events.mark()
        data = await read_fleet(uow)
    snapshot = compute_snapshot(data, mark, now.date(), now, [chosen.period])
    return board(snapshot, chosen, now=now, lowest=lowest)
