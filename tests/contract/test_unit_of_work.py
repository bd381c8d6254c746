"""Every store's unit of work is all or nothing, and its event log keeps what the recorder
needs: chain heads, each entity's events in order, and marks to tell what changed since (the
stores are listed in conftest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.audit.envelope import genesis_hash
from app.demo.seeding import record
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.errors import ConflictError
from app.domain.events import NewEvent
from app.services import recorder
from app.services.ports import ChainHead, LogMark
from tests.contract.conftest import Backend
from tests.contract.fleet import OTHER_DEVICE, Fleet, foreign_edit, record_fleet, uid


class Boom(Exception):
    pass


@pytest.fixture
async def fleet(backend: Backend) -> Fleet:
    return await record_fleet(backend.context)


async def test_a_unit_of_work_keeps_all_of_its_work_or_none(backend: Backend, fleet: Fleet) -> None:
    ctx, device = backend.context, backend.context.device.device_id
    async with backend.units() as uow:
        head = await uow.events.head(device)
        unit = await uow.elevators.get(fleet.l2)
        history = await uow.status_history.for_elevator(fleet.l2)
    assert head is not None
    assert unit is not None
    change = p.ElevatorStatusChanged(
        previous=unit.status, new=ElevatorStatus.MAINTENANCE, reason="monthly PM"
    )

    async def fail_after_recording() -> None:
        async with backend.units() as uow:
            [event] = await recorder.record(uow, ctx, [NewEvent(fleet.l2, change)])
            # the unit sees its own work before it commits
            staged = await uow.elevators.get(fleet.l2)
            assert staged is not None
            assert staged.status is ElevatorStatus.MAINTENANCE
            assert len(await uow.status_history.for_elevator(fleet.l2)) == len(history) + 1
            assert await uow.events.head(device) == ChainHead(event.device_seq, event.hash)
            assert (await uow.events.for_entity(fleet.l2))[-1] == event
            raise Boom

    with pytest.raises(Boom):
        await fail_after_recording()
    async with backend.units() as uow:  # leaving without commit
        await recorder.record(uow, ctx, [NewEvent(fleet.l2, change)])
    async with backend.units() as uow:
        await recorder.record(uow, ctx, [NewEvent(fleet.l2, change)])
        await uow.rollback()
    async with backend.units() as uow:
        assert await uow.events.head(device) == head
        assert await uow.elevators.get(fleet.l2) == unit
        assert await uow.status_history.for_elevator(fleet.l2) == history

    async with backend.units() as uow:
        [event] = await recorder.record(uow, ctx, [NewEvent(fleet.l2, change)])
        await uow.commit()
    assert event.device_seq == head.device_seq + 1  # the chain goes on from the committed head
    async with backend.units() as uow:
        assert await uow.events.head(device) == ChainHead(event.device_seq, event.hash)
        changed = await uow.elevators.get(fleet.l2)
        assert changed is not None
        assert changed.status is ElevatorStatus.MAINTENANCE


async def test_the_event_log_keeps_each_entitys_events_and_heads(
    backend: Backend, fleet: Fleet
) -> None:
    last = fleet.events[-1]
    of_l1 = [e for e in fleet.events if e.entity_id == fleet.l1]
    async with backend.units() as uow:
        head = await uow.events.head(backend.context.device.device_id)
        assert head is not None
        assert (head.device_seq, head.hash) == (last.device_seq, last.hash)
        assert await uow.events.head(uid(97)) is None
        assert await uow.events.for_entity(fleet.l1) == of_l1
        assert await uow.events.entity_heads(fleet.l1) == [of_l1[-1].hash]
        assert await uow.events.for_entity(uid(97)) == []
        assert await uow.events.entity_heads(uid(97)) == []


async def test_the_log_mark_moves_with_every_event_and_tells_what_changed(
    backend: Backend,
) -> None:
    ctx = backend.context
    acme, bolt = uid(90), uid(91)
    async with backend.units() as uow:
        start = await uow.events.mark()
    await record(ctx, acme, p.CustomerCreated(name="Acme"))
    await record(ctx, acme, p.CustomerUpdated(name="Acme Lifts"))
    async with backend.units() as uow:
        middle = await uow.events.mark()
        assert middle != start
        assert middle.hash == (await uow.events.for_entity(acme))[-1].hash
        assert await uow.events.changed_since(start, 10) == {("customer", acme)}
        assert await uow.events.changed_since(start, 0) is None  # more than the limit
        assert await uow.events.changed_since(middle, 10) == set()
        assert await uow.events.changed_since(replace(middle, hash="f" * 64), 10) is None
        assert (
            await uow.events.changed_since(LogMark(middle.position + 99, middle.hash), 10) is None
        )
        # a unit's own events count before it commits
        [event] = await recorder.record(uow, ctx, [NewEvent(bolt, p.CustomerCreated(name="Bolt"))])
        staged = await uow.events.mark()
        assert staged.hash == event.hash
        assert staged != middle
        assert await uow.events.changed_since(middle, 10) == {("customer", bolt)}
        assert await uow.events.changed_since(start, 1) is None
    async with backend.units() as uow:  # not committed: the log ends where it did
        assert await uow.events.mark() == middle


async def test_concurrent_edits_keep_both_heads_until_an_edit_knows_both(
    backend: Backend, fleet: Fleet
) -> None:
    [registered] = [e.hash for e in fleet.events if e.entity_id == fleet.l2]
    edited = await record(backend.context, fleet.l2, p.ElevatorUpdated(model="Ours"))
    ours = edited.events[0].hash
    # another device edited the unit knowing only its registration: a concurrent edit
    start = genesis_hash(str(OTHER_DEVICE))
    theirs, event = foreign_edit(backend.context, fleet.l2, [registered], 1, start)
    async with backend.units() as uow:
        await uow.events.append(theirs, event)
        await uow.commit()
    async with backend.units() as uow:
        assert await uow.events.entity_heads(fleet.l2) == sorted([ours, theirs.hash])
        assert await uow.events.head(OTHER_DEVICE) == ChainHead(1, theirs.hash)
        assert (await uow.events.for_entity(fleet.l2))[-1] == event
    # the next local edit knew both: it becomes the only head
    changed = await record(backend.context, fleet.l2, p.ElevatorUpdated(model="Merged"))
    async with backend.units() as uow:
        assert await uow.events.entity_heads(fleet.l2) == [changed.events[0].hash]


async def test_an_event_that_does_not_continue_its_device_chain_is_refused(
    backend: Backend, fleet: Fleet
) -> None:
    first, first_event = foreign_edit(
        backend.context, fleet.l2, [], 1, genesis_hash(str(OTHER_DEVICE))
    )
    gap, gap_event = foreign_edit(backend.context, fleet.l2, [], 3, first.hash)
    fork, fork_event = foreign_edit(backend.context, fleet.l10, [], 2, "0" * 64)
    async with backend.units() as uow:
        await uow.events.append(first, first_event)
        with pytest.raises(ConflictError, match="does not continue"):
            await uow.events.append(gap, gap_event)
        with pytest.raises(ConflictError, match="does not continue"):
            await uow.events.append(fork, fork_event)
        await uow.commit()
    async with backend.units() as uow:
        assert await uow.events.head(OTHER_DEVICE) == ChainHead(1, first.hash)
