"""A callback logged after the figures at hand were taken is counted on the dashboard at once.

The figures kept per store are brought up to date unit by unit after a change; a period asked
for later (the dashboard's, after the unit list's figures) must count every callback in the
log, not only those reported before the figures at hand were first taken.
"""

from __future__ import annotations

from app.domain.commands import OpenIncident
from app.domain.enums import IncidentChannel
from app.services import queries as q
from app.services.context import ServiceContext
from app.services.incidents import open_incident
from tests.fakes import FixedClock, InMemoryStore, MemorySnapshotStore
from tests.unit.services.conftest import Fleet


async def _call_out(ctx: ServiceContext, fleet: Fleet) -> None:
    command = OpenIncident(
        elevator_id=fleet.traction_id,
        reported_trouble="Doors reopen at every floor",
        channel=IncidentChannel.PHONE,
    )
    await open_incident(command, ctx=ctx)


async def test_a_period_first_asked_after_a_callback_counts_it(
    store: InMemoryStore, clock: FixedClock, ctx: ServiceContext, fleet: Fleet
) -> None:
    figures = q.FleetFigures(store.unit_of_work, MemorySnapshotStore(), clock=clock)
    today = clock.now().date()
    await figures.rows(today=today)  # the unit list: figures taken now, with no period yet
    clock.advance(minutes=2)
    await _call_out(ctx, fleet)  # reported now: after the figures at hand were taken
    await figures.rows(today=today)  # the unit pickers bring the callback's unit up to date
    clock.advance(minutes=1)
    year = q.DashboardFilter(q.trailing_period(today, q.DEFAULT_DAYS))
    board = await figures.dashboard(year, now=clock.now())
    assert board is not None
    assert board.metrics.callbacks == 1
    assert board.metrics.period.end >= clock.now()  # the period ends when it was computed
    assert figures.computed == 3  # all taken at once, then one unit, then the dashboard's


async def test_a_callback_reported_after_the_dashboard_was_taken_is_counted_at_once(
    store: InMemoryStore, clock: FixedClock, ctx: ServiceContext, fleet: Fleet
) -> None:
    figures = q.FleetFigures(store.unit_of_work, MemorySnapshotStore(), clock=clock)
    today = clock.now().date()
    year = q.DashboardFilter(q.trailing_period(today, q.DEFAULT_DAYS))
    before = await figures.dashboard(year, now=clock.now())
    assert before is not None
    assert before.metrics.callbacks == 0
    clock.advance(minutes=1)
    await _call_out(ctx, fleet)
    clock.advance(minutes=1)
    board = await figures.dashboard(year, now=clock.now(), wait=False)  # one unit: updated
    assert board is not None
    assert not board.stale
    assert board.metrics.callbacks == 1
    assert len(board.open_callbacks) == 1
    assert (figures.computed, figures.updated) == (2, 1)
