"""Batches: many units in one transaction, committed in steps, failing units rolled back alone."""

import asyncio
from dataclasses import replace
from datetime import datetime

import pytest

from app.demo.seeding import change_status, record, seed_fleet
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.events import NewEvent
from app.services.context import ServiceContext
from app.services.ports import Clock, UnitOfWork
from app.services.recorder import record as record_events
from app.store import Store


class Boom(Exception):
    pass


async def test_units_commit_every_n_and_at_the_end(store: Store, ctx: ServiceContext) -> None:
    seen: list[int] = []
    async with store.batch(commit_every=10) as batch:
        in_batch = replace(ctx, uow=batch)
        for n in range(25):
            await record(in_batch, in_batch.ids.new_id(), p.CustomerCreated(name=f"C{n}"))
            seen.append(await store.count_events())  # a reader sees committed events only
    assert seen[8] == 0
    assert seen[9] == 10
    assert seen[18] == 10
    assert seen[19] == 20
    assert seen[24] == 20
    assert await store.count_events() == 25


async def test_a_failing_unit_rolls_back_alone(store: Store, ctx: ServiceContext) -> None:
    states = [ElevatorStatus.DEGRADED, ElevatorStatus.OPERATIONAL]
    async with store.batch(commit_every=1000) as batch:
        in_batch = replace(ctx, uow=batch)
        [unit] = await seed_fleet(in_batch, units=1)
        for n in range(3):

            async def fail(n: int = n) -> None:
                async with batch() as uow:
                    change = p.ElevatorStatusChanged(
                        previous=states[(n + 1) % 2], new=ElevatorStatus.MAINTENANCE, reason="no"
                    )
                    await record_events(uow, in_batch, [NewEvent(unit, change)])
                    if n == 1:  # its queries see its change, which never reaches the database
                        assert len(await uow.status_history.for_elevator(unit)) == n + 1
                    raise Boom

            with pytest.raises(Boom):
                await fail()
            await change_status(in_batch, unit, states[n % 2], f"ok {n}")
    async with store.unit_of_work() as uow:
        history = await uow.status_history.for_elevator(unit)
        elevator = await uow.elevators.get(unit)
    assert [h.reason for h in history] == ["ok 0", "ok 1", "ok 2"]
    assert elevator is not None
    assert elevator.status_reason == "ok 2"
    streamed = [e.device_seq async for e in store.iter_stored_events()]
    assert streamed == list(range(1, len(streamed) + 1))


async def test_reads_in_a_batch_see_earlier_units(store: Store, ctx: ServiceContext) -> None:
    async with store.batch(commit_every=1000) as batch:
        in_batch = replace(ctx, uow=batch)
        units = await seed_fleet(in_batch, units=3, per_site=3)
        async with batch() as uow:
            first = await uow.elevators.get(units[0])
            assert first is not None
            assert [u.id for u in await uow.elevators.list_by_site(first.site_id)] == units
            head = await uow.events.head(ctx.device.device_id)
            assert head is not None
            assert head.device_seq == 6  # user, customer, site, three units
        assert await store.count_events() == 0


async def test_an_error_out_of_the_batch_rolls_back_since_the_last_commit(
    store: Store, ctx: ServiceContext
) -> None:
    async def run() -> None:
        async with store.batch(commit_every=5) as batch:
            in_batch = replace(ctx, uow=batch)
            for n in range(8):
                await record(in_batch, in_batch.ids.new_id(), p.CustomerCreated(name=f"C{n}"))
            raise Boom

    with pytest.raises(Boom):
        await run()
    assert await store.count_events() == 5
    # the cache forgot the rolled-back units: the chain continues from seq 5
    done = await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name="after"))
    assert done.events[0].device_seq == 6


class _Noting:
    """A clock that notes in ``order`` when an event is sealed with its time."""

    def __init__(self, clock: Clock, order: list[str], name: str) -> None:
        self._clock, self._order, self._name = clock, order, name

    def now(self) -> datetime:
        self._order.append(self._name)
        return self._clock.now()


async def test_other_units_of_work_wait_for_the_batch(store: Store, ctx: ServiceContext) -> None:
    recorded, asked, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def long_batch() -> None:
        async with store.batch() as batch:
            in_batch = replace(ctx, uow=batch)
            await record(in_batch, in_batch.ids.new_id(), p.CustomerCreated(name="batch"))
            recorded.set()
            await release.wait()
            order.append("batch ends")

    def asking() -> UnitOfWork:
        asked.set()
        return store.unit_of_work()

    task = asyncio.create_task(long_batch())
    await recorded.wait()
    later = replace(ctx, uow=asking, clock=_Noting(ctx.clock, order, "later sealed"))
    waiting = asyncio.create_task(record(later, ctx.ids.new_id(), p.CustomerCreated(name="later")))
    await asked.wait()  # the later action asked for the writer while the batch holds it
    assert not waiting.done()
    release.set()
    await task
    done = await asyncio.wait_for(waiting, timeout=5)
    assert order == ["batch ends", "later sealed"]
    assert done.events[0].device_seq == 2


async def test_a_standalone_unit_inside_a_batch_is_refused(store: Store) -> None:
    async with store.batch():
        with pytest.raises(RuntimeError, match="nesting"):
            async with store.unit_of_work():
                pass
