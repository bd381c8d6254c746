"""The fleet read in one pass, its figures kept per store, and the dashboard filtered from them."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from app.compute import BackgroundCompute
from app.demo import generate_demo
from app.domain.commands import ChangeElevatorStatus, OpenIncident, UpdateSite
from app.domain.compliance import ComplianceRule, ComplianceStatus, fleet_compliance_items
from app.domain.downtime import Period
from app.domain.enums import ElevatorStatus, IncidentChannel, IncidentStatus, Manufacturer
from app.domain.errors import StoreError
from app.domain.figures import MetricFigures
from app.domain.metrics import UnitRecord, fleet_metrics
from app.services import queries as q
from app.services.elevators import change_elevator_status
from app.services.incidents import open_incident
from app.services.ports import LogMark, UnitOfWorkFactory
from app.services.queries import figures as figures_module
from app.services.queries.codec import decode_snapshot, encode_snapshot
from app.services.queries.figures import SNAPSHOT_NAME
from app.services.queries.snapshot import FleetPart, FleetSnapshot, compute_part, compute_snapshot
from app.services.sites import update_site
from tests.fakes import (
    FixedClock,
    GatedCompute,
    InMemoryStore,
    InMemoryUnitOfWork,
    MemoryBlobStore,
    MemorySnapshotStore,
    SequentialIds,
    make_context,
)

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
END_OF_DAY = datetime(2026, 11, 27, tzinfo=UTC)
YEAR = q.trailing_period(AS_OF, 365)
CLOCK = FixedClock(NOW)
"""The figures' clock: the same "now" the dashboard is asked for."""
RUNNER = BackgroundCompute()
"""As the composition root builds the figures: computed on a daemon thread, collector paused."""


async def _call_out(store: InMemoryStore, elevator_id: UUID, trouble: str) -> None:
    command = OpenIncident(
        elevator_id=elevator_id,
        reported_at=NOW - timedelta(minutes=5),
        reported_trouble=trouble,
        channel=IncidentChannel.PHONE,
        entrapment=True,
        persons_trapped=1,
    )
    ids = SequentialIds(start_ms=1_800_000_000_000 + 1_000 * len(store.events))
    await open_incident(command, ctx=make_context(store, clock=FixedClock(NOW), ids=ids))


async def _demo() -> InMemoryStore:
    store = InMemoryStore()
    await generate_demo(
        uow=store.unit_of_work, blobs=MemoryBlobStore(), seed=7, units=30, as_of=AS_OF, months=4
    )
    await _call_out(store, next(iter(store.state.elevators)), "Doors stuck open")
    return store


@pytest.fixture(scope="module")
def demo() -> InMemoryStore:
    """30 units, four months of work, one callback still open (read only: copy to change)."""
    return asyncio.run(_demo())


def _copy(store: InMemoryStore) -> InMemoryStore:
    copy = InMemoryStore()
    copy.state = store.state.copy()
    return copy


async def _per_unit(store: InMemoryStore) -> q.FleetData:
    """The fleet read the way it was before bulk reads: five queries per unit."""
    async with store.unit_of_work() as uow:
        units = [u for u in await uow.elevators.list_all() if u.active]
        full = [await q.load_unit_record(uow, unit) for unit in units]
        sites = {s.id: s for s in await uow.sites.list_all()}
        customers = {c.id: c for c in await uow.customers.list_all()}
        settings = (await uow.organizations.list_all())[0].settings
    records = tuple(
        r.model_copy(update={"visits": tuple(v.summary() for v in r.visits)}) for r in full
    )
    return q.FleetData(records, sites, customers, settings)


def _figures(metrics: MetricFigures) -> dict[str, object]:
    return {name: getattr(metrics, name) for name in MetricFigures.model_fields}


async def test_load_fleet_reads_each_kind_once_and_matches_the_per_unit_path(
    demo: InMemoryStore,
) -> None:
    before = demo.reads
    data = await q.load_fleet(demo.unit_of_work)
    assert demo.reads - before == 9  # units, 5 kinds of record, sites, customers, organization
    assert data == await _per_unit(demo)
    assert len(data.records) == 30
    assert any(r.visits and r.incidents and r.history for r in data.records)


@pytest.mark.parametrize("pick", ["all", "customer", "site", "make"])
async def test_the_dashboard_adds_up_to_what_the_domain_computes(
    demo: InMemoryStore, pick: str
) -> None:
    data = await q.load_fleet(demo.unit_of_work)
    rows = q.fleet_rows(data, today=AS_OF)
    first = rows[len(rows) // 2]
    chosen = {
        "all": q.DashboardFilter(YEAR),
        "customer": q.DashboardFilter(YEAR, customer_id=first.customer_id),
        "site": q.DashboardFilter(YEAR, site_id=first.site_id),
        "make": q.DashboardFilter(YEAR, manufacturer=first.manufacturer),
    }[pick]
    board = await q.dashboard(demo.unit_of_work, chosen, now=NOW)

    admitted = [r for r in rows if chosen.admits(r)]
    ids = {r.elevator_id for r in admitted}
    records = [r for r in data.records if r.elevator.id in ids]
    # the period ends at the moment the figures are taken (NOW, noon): not at midnight ahead
    expected = fleet_metrics(records, YEAR.ending_by(NOW), data.rules().for_unit, AS_OF)
    assert _figures(board.metrics) == _figures(expected)  # equal to the bit
    assert board.metrics.unit_count == len(admitted) > 0
    assert list(board.rows) == admitted
    assert board.by_status == {
        s: Counter(r.status for r in admitted).get(s, 0) for s in board.by_status
    }
    incidents = [i for r in records for i in r.incidents]
    open_ids = [c.incident.id for c in board.open_callbacks]
    assert sorted(open_ids) == sorted(i.id for i in incidents if i.status is IncidentStatus.OPEN)
    assert [(m.callbacks, m.entrapments) for m in board.callbacks_per_month] == [
        (m.callbacks, m.entrapments) for m in q.callbacks_per_month(incidents, AS_OF)
    ]
    items = fleet_compliance_items(records, today=AS_OF, rules=data.rules().for_unit)
    overdue = [
        i
        for i in items
        if i.late
        and (i.rule is not ComplianceRule.CERTIFICATE or i.status is ComplianceStatus.OVERDUE)
    ]
    assert [c.item for c in board.overdue] == overdue
    assert all(0 <= c.days_left <= 60 for c in board.expiring)
    assert board.lowest_health == tuple(sorted(admitted, key=lambda r: (r.health, r.title))[:10])


async def test_a_snapshot_survives_encoding_exactly(demo: InMemoryStore) -> None:
    data = await q.load_fleet(demo.unit_of_work)
    async with demo.unit_of_work() as uow:
        mark = await uow.events.mark()
    month = q.trailing_period(AS_OF, 30)
    snapshot = compute_snapshot(data, mark, AS_OF, END_OF_DAY, [YEAR, month])
    assert decode_snapshot(encode_snapshot(snapshot)) == snapshot
    assert any(u.attention for u in snapshot.units)
    assert any(u.open_callbacks for u in snapshot.units)


async def test_figures_are_computed_once_then_kept_and_saved(demo: InMemoryStore) -> None:
    saved = MemorySnapshotStore()
    figures = q.FleetFigures(demo.unit_of_work, saved, runner=RUNNER, clock=CLOCK)
    assert await figures.dashboard(q.DashboardFilter(YEAR), now=NOW, wait=False) is None
    first = await figures.dashboard(q.DashboardFilter(YEAR), now=NOW)
    assert first is not None
    assert not first.stale
    assert (figures.computed, saved.saves) == (1, 1)
    reads = demo.reads
    kone = q.DashboardFilter(YEAR, manufacturer=Manufacturer.KONE)
    again = await figures.dashboard(kone, now=NOW, wait=False)
    assert again is not None
    assert not again.stale
    assert demo.reads == reads  # filtering re-adds the kept figures: nothing read again
    assert figures.computed == 1
    listed = await figures.fleet_list(today=AS_OF)
    assert listed is not None
    assert list(listed.rows) == list(first.rows)

    later = q.FleetFigures(
        demo.unit_of_work, saved, runner=RUNNER, clock=CLOCK
    )  # the next session, same store
    shown = await later.dashboard(q.DashboardFilter(YEAR), now=NOW, wait=False)
    assert shown == first
    assert later.computed == 0


async def test_a_new_event_is_shown_at_once_and_a_site_change_after_a_recompute(
    demo: InMemoryStore,
) -> None:
    store, saved = _copy(demo), MemorySnapshotStore()
    figures = q.FleetFigures(store.unit_of_work, saved, runner=RUNNER, clock=CLOCK)
    chosen = q.DashboardFilter(YEAR)
    before = await figures.dashboard(chosen, now=NOW)
    assert before is not None
    await _call_out(store, before.rows[-1].elevator_id, "Stuck at level 3")
    current = await figures.dashboard(chosen, now=NOW, wait=False)  # one unit: updated at once
    assert current is not None
    assert not current.stale
    assert (figures.computed, figures.updated) == (2, 1)
    assert len(current.open_callbacks) == len(before.open_callbacks) + 1
    assert current.metrics.callbacks == before.metrics.callbacks + 1
    assert saved.saves == 1  # an update is saved when the store closes
    await figures.flush()
    await figures.flush()
    assert saved.saves == 2
    assert (
        await q.FleetFigures(store.unit_of_work, saved, runner=RUNNER, clock=CLOCK).dashboard(
            chosen, now=NOW
        )
        == current
    )

    assert (current.at, current.changes_to) == (before.at, before.at)  # the same clock
    later = NOW + timedelta(minutes=10)
    await _call_out(store, before.rows[0].elevator_id, "Doors slow to close")
    newer = await figures.dashboard(chosen, now=later, wait=False)
    assert newer is not None
    assert before.changes_to is None
    assert (newer.at, newer.changes_to) == (before.at, later)  # the others stay as taken
    kept = await figures.cached()
    assert kept is not None
    assert decode_snapshot(encode_snapshot(kept)).changes_to == later  # saved with the figures

    site_id = before.rows[0].site_id
    await update_site(UpdateSite(site_id=site_id, name="Renamed House"), ctx=_context(store))
    stale = await figures.dashboard(chosen, now=NOW, wait=False)  # names change: a recompute
    assert stale is not None
    assert stale.stale
    # the figures at hand (how long each callback has been open depends on the moment asked)
    assert [c.incident for c in stale.open_callbacks] == [c.incident for c in newer.open_callbacks]
    renamed = await figures.dashboard(chosen, now=NOW)
    assert renamed is not None
    assert not renamed.stale
    assert "Renamed House" in {r.site_name for r in renamed.rows}
    assert renamed.changes_to is None  # every unit taken at once again
    assert (figures.computed, figures.updated) == (4, 2)


def _context(store: InMemoryStore) -> Any:
    ids = SequentialIds(start_ms=1_800_000_000_000 + 1_000 * len(store.events))
    return make_context(store, clock=FixedClock(NOW), ids=ids)


async def _from_scratch(store: InMemoryStore, periods: list[Period]) -> FleetSnapshot:
    data = await q.load_fleet(store.unit_of_work)
    async with store.unit_of_work() as uow:
        mark = await uow.events.mark()
    return compute_snapshot(data, mark, AS_OF, NOW, periods)


async def test_a_fleet_computed_in_parts_adds_up_exactly_as_in_one(
    demo: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures_module, "FLEET_PART", 7)  # 30 units: parts of 7, 7, 7, 7, 2
    figures = q.FleetFigures(demo.unit_of_work, runner=RUNNER, clock=CLOCK)
    month, quarter = q.trailing_period(AS_OF, 30), q.trailing_period(AS_OF, 90)
    assert await figures.current(today=AS_OF, periods=[YEAR, month]) == await _from_scratch(
        demo, [YEAR, month]
    )
    more = await figures.current(today=AS_OF, periods=[quarter])  # its tallies only, in parts
    assert more == await _from_scratch(demo, [YEAR, month, quarter])
    assert figures.computed == 2


async def test_compliance_read_in_parts_lists_every_item_the_domain_finds(
    demo: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures_module, "FLEET_PART", 7)
    rows = await q.FleetFigures(demo.unit_of_work, runner=RUNNER, clock=CLOCK).compliance(
        today=AS_OF
    )
    data = await q.load_fleet(demo.unit_of_work)
    expected = fleet_compliance_items(data.records, today=AS_OF, rules=data.rules().for_unit)
    assert [r.item for r in rows] == expected
    assert all(r.unit.elevator_id == r.item.elevator_id for r in rows)
    assert [r.days_left for r in rows] == [(i.due_on - AS_OF).days for i in expected]


async def test_changes_to_a_few_units_recompute_only_them_exactly(demo: InMemoryStore) -> None:
    store = _copy(demo)
    figures = q.FleetFigures(store.unit_of_work, MemorySnapshotStore(), runner=RUNNER, clock=CLOCK)
    month = q.trailing_period(AS_OF, 30)
    before = await figures.current(today=AS_OF, periods=[YEAR, month])
    first, second, third = (r.elevator_id for r in before.rows()[:3])
    await _call_out(store, first, "Noisy doors")
    for unit, status in (
        (second, ElevatorStatus.OUT_OF_SERVICE),
        (third, ElevatorStatus.DECOMMISSIONED),
    ):
        command = ChangeElevatorStatus(elevator_id=unit, status=status, reason="bench test")
        await change_elevator_status(command, ctx=_context(store))

    updated = await figures.current(today=AS_OF, periods=[YEAR])
    assert (figures.computed, figures.updated) == (2, 1)
    assert third not in {u.row.elevator_id for u in updated.units}
    every = await figures.every_row(today=AS_OF)  # the logs still name a decommissioned unit
    assert every[third].status is ElevatorStatus.DECOMMISSIONED
    assert set(every) == {u.row.elevator_id for u in updated.units} | {third}
    assert updated == await _from_scratch(store, [YEAR, month])  # to the last bit


async def test_a_site_change_or_a_foreign_mark_recomputes_the_whole_fleet(
    demo: InMemoryStore,
) -> None:
    store = _copy(demo)
    figures = q.FleetFigures(store.unit_of_work, MemorySnapshotStore(), runner=RUNNER, clock=CLOCK)
    before = await figures.current(today=AS_OF, periods=[YEAR])
    site_id = before.units[0].row.site_id
    await update_site(UpdateSite(site_id=site_id, name="Renamed House"), ctx=_context(store))
    renamed = await figures.current(today=AS_OF, periods=[YEAR])
    assert (figures.computed, figures.updated) == (2, 0)
    assert "Renamed House" in {u.row.site_name for u in renamed.units}
    assert renamed == await _from_scratch(store, [YEAR])

    async with store.unit_of_work() as uow:
        foreign = LogMark(renamed.mark.position - 1, "0" * 64)
        assert await uow.events.changed_since(foreign, 10) is None
        assert await uow.events.changed_since(renamed.mark, 10) == set()
        earlier = LogMark(renamed.mark.position - 1, store.events[-2].hash)
        assert await uow.events.changed_since(earlier, 10) == {("site", site_id)}
        assert await uow.events.changed_since(earlier, 0) is None


async def test_requests_meanwhile_share_one_computation(demo: InMemoryStore) -> None:
    figures = q.FleetFigures(demo.unit_of_work, runner=RUNNER, clock=CLOCK)
    boards = await asyncio.gather(
        figures.dashboard(q.DashboardFilter(YEAR), now=NOW),
        figures.fleet_list(today=AS_OF),
        figures.dashboard(q.DashboardFilter(YEAR, manufacturer=Manufacturer.OTIS), now=NOW),
    )
    assert all(b is not None for b in boards)
    assert figures.computed == 1


async def test_another_period_adds_its_tallies_and_another_day_recomputes(
    demo: InMemoryStore,
) -> None:
    figures = q.FleetFigures(demo.unit_of_work, runner=RUNNER, clock=CLOCK)
    await figures.dashboard(q.DashboardFilter(YEAR), now=NOW)
    month = q.DashboardFilter(q.trailing_period(AS_OF, 30))
    assert await figures.dashboard(month, now=NOW, wait=False) is None  # not computed yet
    shown = await figures.dashboard(month, now=NOW)
    assert shown is not None
    assert shown.metrics.period == month.period.ending_by(NOW)  # periods end now
    snapshot = await figures.cached()
    assert snapshot is not None
    assert set(snapshot.tallies) == {YEAR, month.period}
    tomorrow = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    next_year = q.DashboardFilter(q.trailing_period(tomorrow.date(), 365))
    stale = await figures.dashboard(next_year, now=tomorrow, wait=False)
    assert stale is not None
    assert stale.stale  # yesterday's figures, until today's are computed
    assert stale.metrics.period == next_year.period.ending_by(NOW)  # as computed yesterday
    assert stale.metrics.callbacks == shown.metrics.callbacks or stale.metrics.unit_count == 30


class _BrokenSnapshots(MemorySnapshotStore):
    async def save_snapshot(self, name: str, data: bytes) -> None:
        raise StoreError("The disk is full.")


async def test_unreadable_or_unsaved_figures_cost_only_time(demo: InMemoryStore) -> None:
    saved = MemorySnapshotStore()
    saved.saved[SNAPSHOT_NAME] = b'{"format": 0}'
    figures = q.FleetFigures(demo.unit_of_work, saved, runner=RUNNER, clock=CLOCK)
    assert await figures.dashboard(q.DashboardFilter(YEAR), now=NOW) is not None
    assert figures.load_error is not None
    assert figures.computed == 1

    broken = q.FleetFigures(demo.unit_of_work, _BrokenSnapshots(), runner=RUNNER, clock=CLOCK)
    assert await broken.fleet_list(today=AS_OF) is not None
    assert isinstance(broken.save_error, StoreError)


def test_unit_records_take_visit_summaries_or_full_visits(demo: InMemoryStore) -> None:
    visit = next(iter(demo.state.visits.values()))
    unit = demo.state.elevators[visit.elevator_id]
    full = UnitRecord(elevator=unit, visits=(visit,))
    light = UnitRecord(elevator=unit, visits=(visit.summary(),))
    assert full.visits[0].performed_on == light.visits[0].performed_on
    assert light.visits[0] == visit.summary() != visit


def _opening(store: InMemoryStore, hooks: list[Callable[[], None]]) -> UnitOfWorkFactory:
    """The store's units of work; opening the next one first runs the ``hooks`` given so far."""

    def unit_of_work() -> InMemoryUnitOfWork:
        while hooks:
            hooks.pop()()
        return store.unit_of_work()

    return unit_of_work


async def test_a_request_during_a_computation_waits_for_it_then_looks_again(
    demo: InMemoryStore,
) -> None:
    store = _copy(demo)
    runner, hooks = GatedCompute(), list[Callable[[], None]]()
    figures = q.FleetFigures(_opening(store, hooks), runner=runner, clock=CLOCK)
    first = asyncio.create_task(figures.fleet_list(today=AS_OF))
    await runner.started.wait()  # the first computation has read the fleet and waits to compute
    unit = next(iter(store.state.elevators))
    await _call_out(store, unit, "Alarm bell rings")  # a new event meanwhile
    hooks.append(runner.gate.set)  # the computation goes on once the next request reads the log
    board = await figures.dashboard(q.DashboardFilter(YEAR), now=NOW)
    assert await first is not None
    assert board is not None
    assert not board.stale
    assert "Alarm bell rings" in {c.incident.reported_trouble for c in board.open_callbacks}
    assert figures.computed == 2
    assert runner.most == 1  # one computation at a time


async def test_the_collector_pauses_only_while_a_fleet_is_computed(
    demo: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    compute = compute_part

    def watching(*args: Any, **kwargs: Any) -> FleetPart:
        seen.append(gc.isenabled())
        return compute(*args, **kwargs)

    monkeypatch.setattr(figures_module, "compute_part", watching)
    assert gc.isenabled()
    runner, hooks = GatedCompute(), list[Callable[[], None]]()
    figures = q.FleetFigures(_opening(demo, hooks), runner=runner, clock=CLOCK)
    asker = asyncio.create_task(figures.fleet_list(today=AS_OF))
    await runner.started.wait()
    asker.cancel()  # the screen went away: the computation ends all the same, and is kept
    with pytest.raises(asyncio.CancelledError):
        await asker
    hooks.append(runner.gate.set)
    await figures.current(today=AS_OF)  # shares the computation still running
    assert figures.computed == 1
    assert seen == [False]
    assert gc.isenabled()


async def test_the_dashboard_of_a_store_without_units_shows_empty_figures() -> None:
    """A company's new store has no units yet: its dashboard opens, with nothing to count."""
    store = InMemoryStore()
    figures = q.FleetFigures(store.unit_of_work, MemorySnapshotStore(), clock=CLOCK)
    board = await figures.dashboard(q.DashboardFilter(period=YEAR), now=NOW)
    assert board is not None
    assert board.rows == ()
    assert sum(board.by_status.values()) == 0
    empty = compute_snapshot(q.FleetData((), {}, {}), await figures.mark(), AS_OF, NOW, [YEAR])
    assert empty.tallies == {YEAR: ()}
