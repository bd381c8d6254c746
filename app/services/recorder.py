"""Seal new events into the device chain and fold them into the projections, in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app.audit.envelope import EventBody, format_timestamp, genesis_hash, seal
from app.domain.events import Event, NewEvent
from app.domain.reducers import reduce, status_change_of
from app.services.context import Changes, ServiceContext
from app.services.ports import Repository, UnitOfWork


def repository_for(uow: UnitOfWork, entity_type: str) -> Repository[Any]:
    """The projection repository that holds ``entity_type``."""
    repos: dict[str, Repository[Any]] = {
        "user": uow.users,
        "customer": uow.customers,
        "site": uow.sites,
        "elevator": uow.elevators,
        "visit": uow.visits,
        "deficiency": uow.deficiencies,
        "incident": uow.incidents,
        "inspection": uow.inspections,
    }
    return repos[entity_type]


async def apply_event(uow: UnitOfWork, event: Event) -> None:
    """Fold one recorded event into the projections (also used to rebuild and to sync)."""
    repo = repository_for(uow, event.entity_type)
    current = await repo.get(event.entity_id)
    await repo.put(reduce(current, event))
    change = status_change_of(event)
    if change is not None:
        await uow.status_history.add(change)


async def record(uow: UnitOfWork, ctx: ServiceContext, new: Sequence[NewEvent]) -> list[Event]:
    """Seal ``new`` events onto this device's chain, store them and apply them, in order."""
    device = ctx.device
    device_id = str(device.device_id)
    organization_id, actor_id = str(device.organization_id), str(ctx.actor.user_id)
    head = await uow.events.head(device.device_id)
    seq, prev = (head.device_seq, head.hash) if head else (0, genesis_hash(device_id))
    recorded: list[Event] = []
    for item in new:
        seq += 1
        occurred_at = ctx.clock.now()
        event_id = ctx.ids.new_id()
        parents = sorted(await uow.events.entity_heads(item.entity_id))
        body = EventBody(
            event_id=str(event_id),
            organization_id=organization_id,
            actor_id=actor_id,
            device_id=device_id,
            device_seq=seq,
            prev_hash=prev,
            entity_type=item.entity_type,
            entity_id=str(item.entity_id),
            entity_parents=parents,
            type=item.payload.TYPE,
            type_version=item.payload.VERSION,
            occurred_at=format_timestamp(occurred_at),
            payload=item.payload.to_json(),
        )
        sealed = seal(body, device.signer)
        event = Event(
            event_id=event_id,
            organization_id=device.organization_id,
            actor_id=ctx.actor.user_id,
            device_id=device.device_id,
            device_seq=seq,
            entity_type=item.entity_type,
            entity_id=item.entity_id,
            occurred_at=occurred_at,
            payload=item.payload,
            hash=sealed.hash,
        )
        await uow.events.append(sealed, event)
        await apply_event(uow, event)
        recorded.append(event)
        prev = sealed.hash
    return recorded


type Decide = Callable[[UnitOfWork], Awaitable[Sequence[NewEvent]]]


async def execute(ctx: ServiceContext, decide: Decide) -> Changes:
    """Run one user action: decide the events from current state, record them, commit.

    A failure anywhere (validation, store, disk) rolls everything back; nothing is left behind.
    """
    async with ctx.uow() as uow:
        new = await decide(uow)
        events = await record(uow, ctx, new)
        await uow.commit()
    return Changes.of(events)
