"""The unit of work commits all or nothing, and the store's caches never outlive a rollback."""

import asyncio

import pytest

from app.demo.seeding import change_status, record, seed_fleet
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.services.context import ServiceContext
from app.services.ports import UnitOfWorkFactory
from app.store import Store, open_store


class Boom(Exception):
    pass


def test_the_store_is_a_unit_of_work_factory(store: Store) -> None:
    factory: UnitOfWorkFactory = store.unit_of_work
    assert factory is not None


async def test_commit_is_durable(store: Store, ctx: ServiceContext) -> None:
    [unit] = await seed_fleet(ctx, units=1)
    changed = await change_status(ctx, unit, ElevatorStatus.DEGRADED, "noisy doors")
    await store.close()

    reopened = await open_store(store.path)
    try:
        async with reopened.unit_of_work() as uow:
            head = await uow.events.head(ctx.device.device_id)
            elevator = await uow.elevators.get(unit)
        assert head is not None
        assert head.device_seq == changed.events[0].device_seq
        assert head.hash == changed.events[0].hash
        assert elevator is not None
        assert elevator.status is ElevatorStatus.DEGRADED
        assert await reopened.count_events() == head.device_seq
    finally:
        await reopened.close()


async def test_explicit_rollback_then_reuse_is_refused(store: Store) -> None:
    uow = store.unit_of_work()
    async with uow:
        await uow.rollback()
        with pytest.raises(RuntimeError):
            await uow.commit()
    with pytest.raises(RuntimeError):
        async with uow:
            pass


async def test_nesting_units_of_work_in_one_task_is_refused(store: Store) -> None:
    async with store.unit_of_work():
        with pytest.raises(RuntimeError, match="nesting"):
            async with store.unit_of_work():
                pass


async def test_concurrent_commands_take_turns(store: Store, ctx: ServiceContext) -> None:
    customers = [ctx.ids.new_id() for _ in range(20)]
    results = await asyncio.gather(
        *(record(ctx, c, p.CustomerCreated(name=f"C{n}")) for n, c in enumerate(customers))
    )
    seqs = sorted(r.events[0].device_seq for r in results)
    assert seqs == list(range(1, 21))
    assert await store.count_events() == 20
