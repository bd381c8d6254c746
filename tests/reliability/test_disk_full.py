"""F13: a full disk fails the write at once and cleanly; earlier data and the store survive.

The disk is "filled" with ``PRAGMA max_page_count`` on the writer connection, which makes SQLite
fail exactly as it does on a full disk (SQLITE_FULL, "database or disk is full").
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from app.demo.seeding import change_status, record, seed_fleet
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.errors import StoreFullError
from app.services.context import ServiceContext
from app.store import Store

BIG = "x" * 40_000  # one contact name larger than the pages left


async def state(store: Store, ctx: ServiceContext) -> tuple[int, object, object]:
    async with store.unit_of_work() as uow:
        head = await uow.events.head(ctx.device.device_id)
        units = await uow.elevators.list_all()
    return await store.count_events(), head, units


async def test_a_write_that_does_not_fit_fails_fast_and_is_rolled_back(
    store: Store, ctx: ServiceContext
) -> None:
    [unit] = await seed_fleet(ctx, units=1)
    before = await state(store, ctx)
    await store.limit_pages(await store.page_count() + 2)

    started = time.monotonic()
    with pytest.raises(StoreFullError) as failure:
        await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name="Big", contact_name=BIG))
    assert time.monotonic() - started < 1.0
    assert "NOT saved" in failure.value.message
    assert "intact" in failure.value.message
    assert failure.value.hint is not None
    assert "Free some disk space" in failure.value.hint

    assert await state(store, ctx) == before  # rolled back; earlier data intact
    await store.limit_pages(None)  # space freed: the same store carries on
    done = await change_status(ctx, unit, ElevatorStatus.DEGRADED, "after the disk was freed")
    assert done.events[0].device_seq == before[0] + 1
    await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name="Big", contact_name=BIG))
    assert await store.count_events() == before[0] + 2


async def test_a_batch_that_fills_the_disk_fails_cleanly(store: Store, ctx: ServiceContext) -> None:
    await seed_fleet(ctx, units=1)
    before = await state(store, ctx)
    await store.limit_pages(await store.page_count() + 2)

    async def fill() -> None:
        async with store.batch(commit_every=100) as batch:
            in_batch = replace(ctx, uow=batch)
            for n in range(20):
                await record(in_batch, ctx.ids.new_id(), p.CustomerCreated(name=f"{n}{BIG}"))

    with pytest.raises(StoreFullError):
        await fill()
    assert await state(store, ctx) == before
    await store.limit_pages(None)
    done = await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name="after"))
    assert done.events[0].device_seq == before[0] + 1
