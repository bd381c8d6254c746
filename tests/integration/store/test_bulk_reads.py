"""Whole-table reads on a real store: each unit's records as its own queries give them."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from app.bootstrap import create_demo_store, open_workspace
from app.demo.seeding import record
from app.domain import payloads as p
from app.domain.commands import OpenDeficiency
from app.domain.enums import DeficiencySeverity, ElevatorStatus, VisitStatus
from app.domain.events import NewEvent
from app.services import recorder
from app.services.context import ServiceContext
from app.services.deficiencies import open_deficiency
from app.services.ports import LogMark, UnitOfWork, UnitSpan
from app.services.queries import (
    DEFAULT_DAYS,
    DashboardFilter,
    FleetFigures,
    load_fleet,
    load_unit_record,
    trailing_period,
)
from app.store import Store, open_store, uow
from tests.integration.store.scenario import record_everything

KINDS = ("status_history", "visits", "incidents", "inspections", "deficiencies")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Store]:
    path = tmp_path / "demo.sqlite"
    now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    await create_demo_store(path, units=8, seed=7, as_of=now.date(), months=3, now=now)
    store = await open_store(path)
    try:
        yield store
    finally:
        await store.close()


def _by_unit(items: Sequence[Any]) -> dict[UUID, list[Any]]:
    grouped: defaultdict[UUID, list[Any]] = defaultdict(list)
    for item in items:
        grouped[item.elevator_id].append(item)
    return grouped


async def _per_unit(
    unit_of_work: UnitOfWork, kind: str, units: list[UUID]
) -> dict[UUID, list[Any]]:
    repository = getattr(unit_of_work, kind)
    found = {unit: await repository.for_elevator(unit) for unit in units}
    return {unit: items for unit, items in found.items() if items}


async def test_whole_table_reads_give_every_unit_its_records_in_order(demo: Store) -> None:
    async with demo.unit_of_work() as work:
        units = [u.id for u in await work.elevators.list_all()]
        for kind in KINDS:
            every = await getattr(work, kind).list_all()
            assert every, kind
            assert _by_unit(every) == await _per_unit(work, kind, units), kind
            order = [item.elevator_id for item in every]
            changes = sum(1 for a, b in itertools.pairwise(order) if a != b)
            assert changes == len(set(order)) - 1, f"{kind}: not unit by unit"
        visits = await work.visits.list_all()
        assert await work.visits.summaries() == [v.summary() for v in visits]


async def test_reading_in_small_batches_gives_the_same_answer(
    demo: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with demo.unit_of_work() as work:
        expected = {kind: await getattr(work, kind).list_all() for kind in KINDS}
        summaries = await work.visits.summaries()
    monkeypatch.setattr(uow, "SCAN_BATCH", 7)
    async with demo.unit_of_work() as work:
        assert {kind: await getattr(work, kind).list_all() for kind in KINDS} == expected
        assert await work.visits.summaries() == summaries


async def test_whole_table_reads_see_the_unit_of_works_own_changes(
    store: Store, ctx: ServiceContext
) -> None:
    sc = await record_everything(ctx)
    async with store.unit_of_work() as work:
        visit = await work.visits.get(sc.visit)
        assert visit is not None
        changed = visit.model_copy(update={"status": VisitStatus.CANCELLED})
        await work.visits.put(changed)
        assert changed in await work.visits.list_all()
        assert changed.summary() in await work.visits.summaries()
        assert visit.summary() not in await work.visits.summaries()
    async with store.unit_of_work() as work:  # rolled back: the stored visit again
        assert visit.summary() in await work.visits.summaries()


async def test_the_log_mark_moves_with_every_event(store: Store, ctx: ServiceContext) -> None:
    async with store.unit_of_work() as work:
        assert await work.events.mark() == LogMark()
    await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name="Acme"))
    async with store.unit_of_work() as work:
        first = await work.events.mark()
    assert first == LogMark(1, (await store.recent_events(1))[0].hash)
    async with store.unit_of_work() as work:  # a unit's own events count before it commits
        staged = NewEvent(ctx.ids.new_id(), p.CustomerCreated(name="Bolt"))
        [event] = await recorder.record(work, ctx, [staged])
        assert await work.events.mark() == LogMark(2, event.hash)
    async with store.unit_of_work() as work:  # not committed: the log ends where it did
        assert await work.events.mark() == first


async def test_the_entities_changed_since_a_mark(store: Store, ctx: ServiceContext) -> None:
    start = LogMark()
    acme, bolt = ctx.ids.new_id(), ctx.ids.new_id()
    await record(ctx, acme, p.CustomerCreated(name="Acme"))
    await record(ctx, acme, p.CustomerUpdated(name="Acme Lifts"))
    async with store.unit_of_work() as work:
        middle = await work.events.mark()
        assert await work.events.changed_since(start, 10) == {("customer", acme)}
        assert await work.events.changed_since(start, 0) is None  # more than the limit
        assert await work.events.changed_since(middle, 10) == set()
        assert await work.events.changed_since(LogMark(middle.position, "f" * 64), 10) is None
        assert await work.events.changed_since(LogMark(99, middle.hash), 10) is None
        await recorder.record(work, ctx, [NewEvent(bolt, p.CustomerCreated(name="Bolt"))])
        assert await work.events.changed_since(middle, 10) == {("customer", bolt)}  # staged
        assert await work.events.changed_since(start, 1) is None


async def test_a_span_of_units_reads_just_their_records(demo: Store) -> None:
    async with demo.unit_of_work() as work:
        ids = sorted((u.id for u in await work.elevators.list_all()), key=str)
        span = UnitSpan(ids[2], ids[5])
        for kind in (*KINDS, "summaries"):
            repo = getattr(work, "visits" if kind == "summaries" else kind)
            read = repo.summaries if kind == "summaries" else repo.list_all
            every = await read()
            assert await read(span) == [r for r in every if r.elevator_id in span], kind
            assert {r.elevator_id for r in await read(span)} <= set(ids[2:6])
    async with demo.unit_of_work() as work:  # staged changes: answered through the overlay
        [visit, *_] = await work.visits.list_all(span)
        before = await work.visits.list_all(span)
        await work.visits.put(visit)
        assert await work.visits.list_all(span) == before
        assert await work.visits.summaries(span) == [v.summary() for v in before]


async def test_decommissioned_units_are_read_on_their_own(demo: Store) -> None:
    async with demo.unit_of_work() as work:
        [unit, *_] = await work.elevators.list_all()
        assert await work.elevators.decommissioned() == []
        gone = unit.model_copy(update={"status": ElevatorStatus.DECOMMISSIONED})
        await work.elevators.put(gone)
        assert await work.elevators.decommissioned() == [gone]  # staged
        await work.commit()
    async with demo.unit_of_work() as work:
        assert await work.elevators.decommissioned() == [gone]  # stored


async def test_unfinished_and_newest_visits(demo: Store) -> None:
    async with demo.unit_of_work() as work:
        every = sorted(await work.visits.list_all(), key=lambda v: (v.created_at, str(v.id)))
        open_work = {VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED}
        unfinished = [v for v in every if v.status in open_work]
        assert unfinished
        assert await work.visits.unfinished() == unfinished
        assert await work.visits.newest(5) == every[::-1][:5]
        await work.visits.put(every[0])  # staged: answered from the overlay, the same
        assert await work.visits.unfinished() == unfinished
        assert await work.visits.newest(5) == every[::-1][:5]


async def test_a_new_demo_store_carries_its_dashboard_figures(demo: Store) -> None:
    figures = FleetFigures(demo.unit_of_work, demo)
    chosen = DashboardFilter(trailing_period(date(2025, 6, 2), DEFAULT_DAYS))
    now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    board = await figures.dashboard(chosen, now=now, wait=False)
    assert board is not None
    assert not board.stale
    assert figures.computed == 0
    assert board == await FleetFigures(demo.unit_of_work).dashboard(chosen, now=now)


async def test_closing_the_workspace_saves_figures_updated_since_they_were_saved(
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo.sqlite"
    as_of = date(2025, 6, 2)
    await create_demo_store(
        path, units=8, seed=7, as_of=as_of, months=3, now=datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    )
    chosen = DashboardFilter(trailing_period(as_of, DEFAULT_DAYS))
    now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    ws = await open_workspace(path)
    unit = (await ws.figures.rows(today=as_of))[0]
    command = OpenDeficiency(
        elevator_id=unit.elevator_id, severity=DeficiencySeverity.ADVISORY, description="Scuff"
    )
    await open_deficiency(command, ctx=ws.context(await ws.actor()))
    shown = await ws.figures.dashboard(chosen, now=now, wait=False)  # updated, not yet saved
    assert shown is not None
    assert not shown.stale
    await ws.aclose()

    again = await open_workspace(path)
    try:
        reopened = await again.figures.dashboard(chosen, now=now, wait=False)
        assert reopened == shown  # the saved figures include the deficiency: nothing to update
        assert again.figures.computed == 0
    finally:
        await again.aclose()


async def test_snapshots_are_kept_until_replaced_or_a_rebuild(store: Store) -> None:
    assert await store.load_snapshot("fleet-figures") is None
    await store.save_snapshot("fleet-figures", b"one")
    await store.save_snapshot("fleet-figures", b"two")
    assert await store.load_snapshot("fleet-figures") == b"two"
    await store.rebuild_projections()  # derived from the old projections: dropped
    assert await store.load_snapshot("fleet-figures") is None


async def test_load_fleet_gives_what_the_per_unit_queries_give(demo: Store) -> None:
    data = await load_fleet(demo.unit_of_work)
    async with demo.unit_of_work() as work:
        units = [u for u in await work.elevators.list_all() if u.active]
        per_unit = [await load_unit_record(work, unit) for unit in units]
    summarized = tuple(
        r.model_copy(update={"visits": tuple(v.summary() for v in r.visits)}) for r in per_unit
    )
    assert data.records == summarized
    assert len(data.records) == 8
