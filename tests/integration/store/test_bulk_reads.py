"""Whole-table reads on a real store: read in batches, the fleet's saved figures, the whole fleet
at once (what every store's queries promise is in tests/contract)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.bootstrap import open_workspace
from app.demo_workspace import create_demo_store
from app.domain.commands import OpenDeficiency
from app.domain.enums import DeficiencySeverity
from app.services.deficiencies import open_deficiency
from app.services.queries import (
    DEFAULT_DAYS,
    DashboardFilter,
    FleetFigures,
    load_fleet,
    load_unit_record,
    trailing_period,
)
from app.store import Store, open_store, uow

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
