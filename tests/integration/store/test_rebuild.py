"""Rebuilding the projections from the log gives exactly what the incremental path wrote."""

from typing import Any

import pytest
from sqlalchemy import text

from app.audit.envelope import genesis_hash
from app.demo.seeding import change_status, seed_fleet
from app.domain import reducers
from app.domain.enums import ElevatorStatus
from app.services.context import ServiceContext
from app.services.recorder import apply_event
from app.store import Store, rebuild
from app.store.schema import Base
from tests.contract.fleet import OTHER_DEVICE, foreign_edit
from tests.integration.store.scenario import Scenario, record_everything

KEYS = {
    "organizations": "id",
    "rejected_events": "event_id",
    "users": "id",
    "customers": "id",
    "sites": "id",
    "elevators": "id",
    "status_history": "event_id",
    "visits": "id",
    "deficiencies": "id",
    "incidents": "id",
    "inspections": "id",
    "entity_heads": "entity_id",
    "device_heads": "device_id",
}


async def snapshot(store: Store) -> dict[str, list[Any]]:
    """Every projection and head row, without the rowids that only order insertions."""
    found: dict[str, list[Any]] = {}
    async with store.reader() as conn:
        for table, key in KEYS.items():
            columns = [c.name for c in Base.metadata.tables[table].c if c.name != "position"]
            query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}"
            found[table] = [tuple(row) for row in (await conn.execute(text(query))).all()]
    return found


async def busy_log(store: Store, ctx: ServiceContext) -> Scenario:
    """Every event type, many status changes, and an edit synced from another device."""
    sc = await record_everything(ctx)
    units = await seed_fleet(ctx, units=4)
    for n in range(12):
        new = [ElevatorStatus.DEGRADED, ElevatorStatus.OPERATIONAL][n // 4 % 2]
        await change_status(ctx, units[n % 4], new, f"change {n}")
    theirs, event = foreign_edit(ctx, sc.elevator, [], 1, genesis_hash(str(OTHER_DEVICE)))
    async with store.unit_of_work() as uow:
        await uow.events.append(theirs, event)
        await apply_event(uow, event)
        await uow.commit()
    return sc


async def test_rebuild_equals_the_incremental_projections(
    store: Store, ctx: ServiceContext
) -> None:
    sc = await busy_log(store, ctx)
    incremental = await snapshot(store)
    assert len(incremental["entity_heads"]) > 10
    assert len(incremental["device_heads"]) == 2
    # damage a projection: the rebuild must put it right
    async with store.unit_of_work() as uow:
        unit = await uow.elevators.get(sc.elevator)
        assert unit is not None
        await uow.elevators.put(unit.model_copy(update={"status": ElevatorStatus.DECOMMISSIONED}))
        await uow.commit()
    assert await snapshot(store) != incremental

    assert await store.rebuild_projections() == await store.count_events()
    assert await snapshot(store) == incremental
    async with store.unit_of_work() as uow:  # the caches were refreshed too
        unit = await uow.elevators.get(sc.elevator)
    assert unit is not None
    assert unit.status is ElevatorStatus.OPERATIONAL


async def test_rebuild_in_small_pages_with_a_tiny_cache(
    store: Store, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await busy_log(store, ctx)
    incremental = await snapshot(store)
    monkeypatch.setattr(rebuild, "CACHED_ENTITIES", 4)  # evicted entities are read back
    await store.rebuild_projections(batch=3)
    assert await snapshot(store) == incremental


async def test_a_failed_rebuild_leaves_the_old_projections(
    store: Store, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await busy_log(store, ctx)
    before = await snapshot(store)
    folded = 0
    real = reducers.reduce

    def failing(current: Any, event: Any) -> Any:
        nonlocal folded
        folded += 1
        if folded == 20:
            raise RuntimeError("power cut")
        return real(current, event)

    monkeypatch.setattr(rebuild, "reduce", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        await store.rebuild_projections(batch=5)
    assert await snapshot(store) == before
