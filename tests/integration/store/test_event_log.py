"""The event log: chain heads, entity heads, ordered reads and byte-exact streaming."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from app.audit.chain import StaticDeviceKeys, verify_events
from app.audit.envelope import (
    EventBody,
    SealedEvent,
    event_hash,
    format_timestamp,
    genesis_hash,
    seal,
)
from app.audit.signing import Ed25519Signer
from app.demo.seeding import change_status, seed_fleet
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.errors import ConflictError
from app.services.context import ServiceContext
from app.store import Store
from app.store.eventlog import decode_event

OTHER = Ed25519Signer(bytes(range(32)))
OTHER_DEVICE = UUID("0190a000-0000-7000-8000-0000000000ee")


def foreign(
    ctx: ServiceContext, entity: UUID, parents: list[str], seq: int, prev: str
) -> SealedEvent:
    """An edit of ``entity`` made on another device that knew ``parents``."""
    body = EventBody(
        event_id=str(uuid4()),
        organization_id=str(ctx.device.organization_id),
        actor_id=str(ctx.actor.user_id),
        device_id=str(OTHER_DEVICE),
        device_seq=seq,
        prev_hash=prev,
        entity_type="elevator",
        entity_id=str(entity),
        entity_parents=sorted(parents),
        type=p.ElevatorUpdated.TYPE,
        type_version=1,
        occurred_at=format_timestamp(datetime.now(UTC)),
        payload=p.ElevatorUpdated(model=f"M{seq}").to_json(),
    )
    return seal(body, OTHER)


async def test_heads_follow_every_commit(store: Store, ctx: ServiceContext) -> None:
    device = ctx.device.device_id
    async with store.unit_of_work() as uow:
        assert await uow.events.head(device) is None
    [unit] = await seed_fleet(ctx, units=1)
    changed = await change_status(ctx, unit, ElevatorStatus.MAINTENANCE, "PM")
    last = changed.events[-1]
    async with store.unit_of_work() as uow:
        head = await uow.events.head(device)
        assert head is not None
        assert (head.device_seq, head.hash) == (last.device_seq, last.hash)
        assert await uow.events.entity_heads(unit) == [last.hash]
        assert await uow.events.entity_heads(uuid4()) == []
        history = await uow.events.for_entity(unit)
    assert [e.type for e in history] == ["elevator.registered", "elevator.status_changed"]
    assert history[-1] == last
    assert await store.device_heads() == {str(device): (last.device_seq, last.hash)}


async def test_concurrent_edits_keep_both_heads_until_merged(
    store: Store, ctx: ServiceContext
) -> None:
    [unit] = await seed_fleet(ctx, units=1)
    async with store.unit_of_work() as uow:
        [ours] = await uow.events.entity_heads(unit)
    # another device edited the unit knowing only its registration: a concurrent edit
    theirs = foreign(ctx, unit, [], 1, genesis_hash(str(OTHER_DEVICE)))
    async with store.unit_of_work() as uow:
        await uow.events.append(theirs, decode_event(theirs.canonical, theirs.hash))
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.events.entity_heads(unit) == sorted([ours, theirs.hash])
        other_head = await uow.events.head(OTHER_DEVICE)
        assert other_head is not None
        assert other_head.hash == theirs.hash
    # our next edit knew both: it becomes the only head
    changed = await change_status(ctx, unit, ElevatorStatus.DEGRADED, "merge")
    async with store.unit_of_work() as uow:
        assert await uow.events.entity_heads(unit) == [changed.events[0].hash]


async def test_an_event_that_breaks_its_device_chain_is_refused(
    store: Store, ctx: ServiceContext
) -> None:
    [unit] = await seed_fleet(ctx, units=1)
    first = foreign(ctx, unit, [], 1, genesis_hash(str(OTHER_DEVICE)))
    gap = foreign(ctx, unit, [], 3, first.hash)
    async with store.unit_of_work() as uow:
        await uow.events.append(first, decode_event(first.canonical, first.hash))
        with pytest.raises(ConflictError, match="does not continue"):
            await uow.events.append(gap, decode_event(gap.canonical, gap.hash))
        await uow.commit()
    async with store.unit_of_work() as uow:
        other_head = await uow.events.head(OTHER_DEVICE)
    assert other_head is not None
    assert other_head.device_seq == 1


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
