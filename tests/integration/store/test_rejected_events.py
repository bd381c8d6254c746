"""An event the reducers refuse is kept in the log, marked rejected, and applied to nothing.

The events here come from another device, as a pull from the server would bring them: they
never went through this device's services, so only the reducers stand between them and the
projections. The same holds for the in-memory store and for a rebuild of the projections.
"""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from app.audit.envelope import EventBody, SealedEvent, format_timestamp, genesis_hash, seal
from app.audit.signing import Ed25519Signer
from app.demo.seeding import change_status, seed_fleet
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.events import EventPayload
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.recorder import apply_event
from app.store import Store
from app.store.eventlog import decode_event
from tests.contract.fleet import OTHER_DEVICE
from tests.fakes import InMemoryStore, make_context

OTHER = Ed25519Signer(bytes(range(32)))
"""The other device's key."""


def pulled(
    ctx: ServiceContext, entity: UUID, payload: EventPayload, seq: int, prev: str
) -> SealedEvent:
    """An event of another device, signed by it, as a pull from the server delivers it."""
    body = EventBody(
        event_id=str(uuid4()),
        organization_id=str(ctx.device.organization_id),
        actor_id=str(ctx.actor.user_id),
        device_id=str(OTHER_DEVICE),
        device_seq=seq,
        prev_hash=prev,
        entity_type=payload.ENTITY,
        entity_id=str(entity),
        entity_parents=[],
        type=payload.TYPE,
        type_version=payload.VERSION,
        occurred_at=format_timestamp(datetime.now(UTC)),
        payload=payload.to_json(),
    )
    return seal(body, OTHER)


async def fold_pulled(uow_factory: UnitOfWorkFactory, sealed: list[SealedEvent]) -> list[str]:
    """Append the pulled events and fold them; the reasons of those rejected."""
    reasons = []
    async with uow_factory() as uow:
        for item in sealed:
            event = decode_event(item.canonical, item.hash)
            await uow.events.append(item, event)
            rejection = await apply_event(uow, event)
            if rejection is not None:
                reasons.append(rejection.reason)
        await uow.commit()
    return reasons


async def _state(uow: UnitOfWork, unit_id: UUID) -> tuple[ElevatorStatus, str | None, int]:
    unit = await uow.elevators.get(unit_id)
    assert unit is not None
    events = await uow.events.for_entity(unit_id)
    return unit.status, unit.model, len(events)


async def test_a_change_to_a_decommissioned_unit_is_kept_marked_rejected_and_not_applied(
    store: Store, ctx: ServiceContext
) -> None:
    [unit] = await seed_fleet(ctx, units=1)
    await change_status(ctx, unit, ElevatorStatus.DECOMMISSIONED, "replaced by L2")
    first = pulled(
        ctx,
        unit,
        p.ElevatorStatusChanged(
            previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.OUT_OF_SERVICE, reason="fault"
        ),
        1,
        genesis_hash(str(OTHER_DEVICE)),
    )
    second = pulled(ctx, unit, p.ElevatorUpdated(model="Gen2"), 2, first.hash)

    reasons = await fold_pulled(store.unit_of_work, [first, second])

    assert reasons == [
        "Unit 'E1' is decommissioned; its status can no longer change.",
        "Unit 'E1' is decommissioned; its details can no longer change.",
    ]
    async with store.unit_of_work() as uow:
        status, model, events = await _state(uow, unit)
        assert status is ElevatorStatus.DECOMMISSIONED  # applied to nothing
        assert model is None
        assert events == 4  # registered, decommissioned and both rejected events: all kept
        rejected = await uow.rejections.list_all()
        history = await uow.status_history.for_elevator(unit)
    assert {r.event_id for r in rejected} == {
        UUID(first.body.event_id),
        UUID(second.body.event_id),
    }
    assert {(r.type, r.entity_id) for r in rejected} == {
        ("elevator.status_changed", unit),
        ("elevator.updated", unit),
    }
    assert [c.new for c in history] == [ElevatorStatus.DECOMMISSIONED]

    # projections are a cache: the fold of the whole log comes to the same verdict
    assert await store.rebuild_projections() == await store.count_events()
    async with store.unit_of_work() as uow:
        assert await _state(uow, unit) == (status, model, events)
        assert await uow.rejections.list_all() == rejected


async def test_the_in_memory_store_marks_rejections_the_same_way() -> None:
    store = InMemoryStore()
    ctx = make_context(store)
    [unit] = await seed_fleet(ctx, units=1)
    await change_status(ctx, unit, ElevatorStatus.DECOMMISSIONED, "replaced")
    late = pulled(ctx, unit, p.ElevatorUpdated(model="Gen2"), 1, genesis_hash(str(OTHER_DEVICE)))

    reasons = await fold_pulled(store.unit_of_work, [late])

    assert reasons == ["Unit 'E1' is decommissioned; its details can no longer change."]
    assert [r.event_id for r in store.state.rejections.values()] == [UUID(late.body.event_id)]
    assert store.state.elevators[unit].model is None
    assert store.events[-1].event_id == UUID(late.body.event_id)  # the pulled event is in the log
