"""The read side over a fleet recorded through the real services."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.compliance import ComplianceRule
from app.domain.enums import ElevatorStatus, Manufacturer, VisitStatus
from app.services import queries as q
from tests.ui.factories import seed_fleet

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


async def test_fleet_rows_carry_names_status_and_health() -> None:
    fleet = await seed_fleet()
    rows = await q.fleet(fleet.store.unit_of_work, today=NOW.date())
    assert len(rows) == 6
    first = next(r for r in rows if r.elevator_id == fleet.units["Harbour View/L1"])
    assert (first.customer_name, first.site_name, first.unit_number) == (
        "Harbour Estates",
        "Harbour View",
        "L1",
    )
    down = next(r for r in rows if r.elevator_id == fleet.units["Cotham Tower/L1"])
    assert down.status is ElevatorStatus.OUT_OF_SERVICE  # its callback took it out of service
    inoperable = next(r for r in rows if r.elevator_id == fleet.units["Cotham Tower/L2"])
    assert inoperable.health <= 30  # open inoperable deficiency caps the score
    assert q.matches(first, "harbour l1")
    assert not q.matches(first, "cotham")


async def test_unit_detail_has_records_health_breakdown_and_compliance() -> None:
    fleet = await seed_fleet()
    unit_id = fleet.units["Harbour View/L1"]
    detail = await q.unit_detail(fleet.store.unit_of_work, unit_id, today=NOW.date())
    assert detail.site.name == "Harbour View"
    assert detail.customer is not None
    assert detail.customer.name == "Harbour Estates"
    assert len(detail.record.visits) >= 3
    assert [c.name for c in detail.health.components] == [
        "age",
        "maintenance_compliance",
        "incident_frequency",
    ]
    assert {i.rule for i in detail.compliance} >= {ComplianceRule.CERTIFICATE}
    assert len(detail.open_incidents) == 1
    trail = await q.unit_audit_trail(fleet.store.unit_of_work, unit_id)
    assert trail[0].type == "elevator.registered"
    assert {e.type for e in trail} >= {"visit.started", "incident.opened", "visit.locked"}


async def test_dashboard_figures_and_filters() -> None:
    fleet = await seed_fleet()
    uow = fleet.store.unit_of_work
    period = q.trailing_period(NOW.date(), 365)
    board = await q.dashboard(uow, q.DashboardFilter(period), now=NOW)
    assert board.metrics.unit_count == 6
    assert sum(board.by_status.values()) == 6
    assert board.by_status[ElevatorStatus.OUT_OF_SERVICE] == 1
    assert len(board.callbacks_per_month) == 12
    assert board.callbacks_per_month[-1].month == date(2025, 6, 1)
    assert sum(m.callbacks for m in board.callbacks_per_month) == 3
    assert board.open_callbacks[0].incident.entrapment  # entrapments first
    assert all(c.days_left <= 60 for c in board.expiring)
    assert board.expiring  # seeded certificates expire from 2025-06-20
    assert board.lowest_health[0].health == min(r.health for r in board.rows)
    kone = q.DashboardFilter(period, manufacturer=Manufacturer.KONE)
    only = await q.dashboard(uow, kone, now=NOW)
    assert {r.manufacturer for r in only.rows} == {Manufacturer.KONE}
    assert only.metrics.unit_count == len(only.rows) < 6
    site = q.DashboardFilter(period, site_id=fleet.sites["Quay House"])
    assert len((await q.dashboard(uow, site, now=NOW)).rows) == 2


async def test_logs_and_profiles() -> None:
    fleet = await seed_fleet()
    uow = fleet.store.unit_of_work
    units = await q.FleetFigures(uow).every_row(today=NOW.date())
    calls = await q.callback_log(uow, units)
    assert len(calls) == 3
    assert calls[0][0].reported_at >= calls[-1][0].reported_at
    visits = await q.visit_log(uow, units)
    assert visits
    assert visits[0][1].site_name
    assert [v.created_at for v, _ in visits] == sorted(
        (v.created_at for v, _ in visits), reverse=True
    )
    async with uow() as work:
        stored = await work.visits.list_all()
    unfinished = [v for v in stored if v.status not in (VisitStatus.LOCKED, VisitStatus.CANCELLED)]
    newest = max(stored, key=lambda v: v.created_at)
    few = {v.id for v, _ in await q.visit_log(uow, units, recent=1)}
    assert few == {newest.id} | {v.id for v in unfinished}  # not the finished ones before
    assert len(few) < len(visits)
    names = [u.display_name for u in await q.profiles(uow)]
    assert names == ["Sam Super", "Tia Tech"]
    rows = await q.FleetFigures(uow).compliance(today=NOW.date())
    assert rows
    assert rows == sorted(rows, key=lambda r: r.item.due_on)
