"""Seal new events into the device chain and fold them into the projections, in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app.audit.envelope import EventBody, format_timestamp, genesis_hash, seal
from app.domain.errors import EventRejected
from app.domain.events import Event, NewEvent, Rejection
from app.domain.reducers import reduce, status_change_of
from app.services.context import Changes, ServiceContext
from app.services.ports import Repository, UnitOfWork


def repository_for(uow: UnitOfWork, entity_type: str) -> Repository[Any]:
    """The projection repository that holds ``entity_type``."""
    repos: dict[str, Repository[Any]] = {
        "organization": uow.organizations,
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


async def apply_event(uow: UnitOfWork, event: Event) -> Rejection | None:
    """Fold one event of the log into the projections; the same fold serves this device's new
    events and events pulled from the server.

    An event the reducers refuse (``EventRejected``) is marked rejected with its reason and
    applied to nothing: it stays in the log, and the rejection is returned.
    """
    repo = repository_for(uow, event.entity_type)
    current = await repo.get(event.entity_id)
    try:
        projection = reduce(current, event)
    except EventRejected as exc:
        rejection = Rejection.of(event, exc.reason)
        await uow.rejections.add(rejection)
        return rejection
    await repo.put(projection)
    change = status_change_of(event)
    if change is not None:
        await uow.status_history.add(change)
    return None


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
        rejection = await apply_event(uow, event)
        if rejection is not None:
            # A person's action is checked by its service before anything is recorded: a
            # refusal here is a rule the service missed, and the whole action rolls back.
            raise EventRejected(rejection.reason)
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
