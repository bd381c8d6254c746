"""The SQLite event log: device heads and byte-exact streaming (what every store's log
promises is in tests/contract)."""

from app.audit.chain import StaticDeviceKeys, verify_events
from app.audit.envelope import event_hash
from app.demo.seeding import change_status, seed_fleet
from app.domain.enums import ElevatorStatus
from app.services.context import ServiceContext
from app.store import Store


async def test_the_stores_device_heads_follow_every_commit(
    store: Store, ctx: ServiceContext
) -> None:
    device = ctx.device.device_id
    assert await store.device_heads() == {}
    [unit] = await seed_fleet(ctx, units=1)
    changed = await change_status(ctx, unit, ElevatorStatus.MAINTENANCE, "PM")
    last = changed.events[-1]
    assert await store.device_heads() == {str(device): (last.device_seq, last.hash)}


async def test_the_log_streams_back_byte_exact_and_verifies(
    store: Store, ctx: ServiceContext
) -> None:
    units = await seed_fleet(ctx, units=3)
    for n in range(7):
        await change_status(
            ctx,
            units[n % 3],
            [ElevatorStatus.DEGRADED, ElevatorStatus.OPERATIONAL][n // 3 % 2],
            "x",
        )
    total = await store.count_events()

    streamed = [e async for e in store.iter_stored_events(batch=4)]
    assert len(streamed) == total
    assert [e.device_seq for e in streamed] == list(range(1, total + 1))
    assert all(event_hash(e.canonical) == e.hash for e in streamed)
    keys = StaticDeviceKeys(await store.device_keys())
    report = verify_events(streamed, keys)
    assert report.events == total
    assert report.head_hash == streamed[-1].hash

    recorded = [e async for e in store.iter_events_for_entity(units[0])]
    async with store.unit_of_work() as uow:
        assert recorded == await uow.events.for_entity(units[0])
    assert next(e.type for e in recorded) == "elevator.registered"
    assert [e.event_id for e in recorded] == sorted(e.event_id for e in recorded)
