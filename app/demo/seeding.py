"""Fill a store with realistic signed events through the real recorder (benchmarks, tests).

Deterministic from a seed: the same seed gives the same organization, device key, ids and
clock, so a benchmark store can be rebuilt identically and a writer can continue its chain
across processes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.audit.signing import Ed25519Signer
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus, Manufacturer, Role
from app.domain.errors import NotFoundError
from app.domain.events import EventPayload, NewEvent
from app.ids import uuid7_from
from app.services.context import Actor, Changes, DeviceIdentity, ServiceContext
from app.services.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from app.services.recorder import execute
from app.store.database import Store, StoreMeta

ACTIVE_STATES = tuple(s for s in ElevatorStatus if s is not ElevatorStatus.DECOMMISSIONED)


class SeedClock:
    """A clock that starts at a fixed moment and ticks a fixed step per reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(milliseconds=7)) -> None:
        self._now = start
        self._step = step

    def now(self) -> datetime:
        """The next tick."""
        self._now += self._step
        return self._now


class SeedIds:
    """Time-ordered ids drawn from a seeded generator and a clock."""

    def __init__(self, seed: int, clock: Clock) -> None:
        self._random = random.Random(seed)
        self._clock = clock

    def new_id(self) -> UUID:
        """A new UUIDv7."""
        unix_ms = int(self._clock.now().timestamp() * 1000)
        bits = self._random.getrandbits(74)
        return uuid7_from(unix_ms, bits >> 62, bits)


def seed_identity(seed: int) -> tuple[DeviceIdentity, Actor]:
    """The organization, device (with its Ed25519 key) and acting supervisor of a seed."""
    rng = random.Random(f"sitesync-seed-{seed}")
    organization = UUID(int=rng.getrandbits(128), version=4)
    device = UUID(int=rng.getrandbits(128), version=4)
    user = UUID(int=rng.getrandbits(128), version=4)
    signer = Ed25519Signer(rng.randbytes(32))
    return DeviceIdentity(organization, device, signer), Actor(user, Role.SUPERVISOR, "Seed User")


def seed_context(
    uow: UnitOfWorkFactory,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> ServiceContext:
    """A service context for the seed's device and actor over ``uow``."""
    device, actor = seed_identity(seed)
    clock = clock or SeedClock(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=seed))
    return ServiceContext(actor, device, clock, ids or SeedIds(seed, clock), uow)


async def adopt_device(store: Store, ctx: ServiceContext) -> None:
    """Make the context's device this store's own (its key, organization and meta)."""
    device = ctx.device
    await store.register_device(
        device.device_id,
        device.signer.public_key,
        device.organization_id,
        label="seed device",
        local=True,
    )
    await store.set_meta(
        {
            StoreMeta.ORGANIZATION_ID: str(device.organization_id),
            StoreMeta.DEVICE_ID: str(device.device_id),
        }
    )


async def record(ctx: ServiceContext, entity_id: UUID, *payloads: EventPayload) -> Changes:
    """Record ``payloads`` about one entity as one action."""

    async def decide(_: UnitOfWork) -> Sequence[NewEvent]:
        return [NewEvent(entity_id, payload) for payload in payloads]

    return await execute(ctx, decide)


async def change_status(
    ctx: ServiceContext, elevator_id: UUID, new: ElevatorStatus, reason: str
) -> Changes:
    """Change a unit's status as the status service does: read it, then record the change."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit = await uow.elevators.get(elevator_id)
        if unit is None:
            raise NotFoundError(f"No elevator {elevator_id}.")
        payload = p.ElevatorStatusChanged(previous=unit.status, new=new, reason=reason)
        return [NewEvent(elevator_id, payload)]

    return await execute(ctx, decide)


async def seed_fleet(ctx: ServiceContext, *, units: int, per_site: int = 10) -> list[UUID]:
    """Register the actor, a customer, sites and ``units`` elevators; returns the unit ids."""
    ids = ctx.ids
    user = p.UserRegistered(email="seed@example.com", display_name="Seed", role=ctx.actor.role)
    await record(ctx, ctx.actor.user_id, user)
    customer = ids.new_id()
    await record(ctx, customer, p.CustomerCreated(name="Seed Properties Ltd"))
    elevators: list[UUID] = []
    makers = list(Manufacturer)
    for n in range((units + per_site - 1) // per_site):
        site = ids.new_id()
        name, address = f"Site {n + 1}", f"{n + 1} Main Street"
        await record(ctx, site, p.SiteCreated(customer_id=customer, name=name, address=address))
        for k in range(min(per_site, units - len(elevators))):
            unit = ids.new_id()
            registered = p.ElevatorRegistered(
                site_id=site, unit_number=f"E{k + 1}", manufacturer=makers[k % len(makers)]
            )
            await record(ctx, unit, registered)
            elevators.append(unit)
    return elevators


@dataclass(frozen=True, slots=True)
class Seeded:
    """What ``seed_events`` made: the context to keep writing with, and the units."""

    ctx: ServiceContext
    elevators: list[UUID]
    events: int


async def seed_events(
    store: Store, *, events: int, units: int = 100, seed: int = 0, commit_every: int = 1000
) -> Seeded:
    """Fill an empty ``store`` with a fleet, then status changes, up to ``events`` events.

    Everything goes through the real recorder inside one ``Store.batch``.

    Returns a context on the store's normal unit of work, ready for more commands.
    """
    await adopt_device(store, seed_context(store.unit_of_work, seed=seed))
    async with store.batch(commit_every=commit_every) as batch:
        ctx = seed_context(batch, seed=seed)
        elevators = await seed_fleet(ctx, units=units)
        written = await store_events_so_far(ctx)
        rng = random.Random(seed)
        status = dict.fromkeys(elevators, ElevatorStatus.OPERATIONAL)
        while written < events:
            unit = rng.choice(elevators)
            new = rng.choice([s for s in ACTIVE_STATES if s is not status[unit]])
            await change_status(ctx, unit, new, "seeded change")
            status[unit] = new
            written += 1
    after = seed_context(store.unit_of_work, seed=seed, clock=ctx.clock, ids=ctx.ids)
    return Seeded(after, elevators, written)


async def store_events_so_far(ctx: ServiceContext) -> int:
    """The device's chain length as the context's units of work see it."""
    async with ctx.uow() as uow:
        head = await uow.events.head(ctx.device.device_id)
    return 0 if head is None else head.device_seq
