"""A small fleet recorded into any store through the real recorder, with orders to get wrong:
names and unit numbers given out of order, moments shared by two records (ties broken by id),
a device clock that steps back, and callbacks and inspections recorded in another order than
they happened."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from app.audit.envelope import EventBody, SealedEvent, format_timestamp, seal
from app.audit.signing import Ed25519Signer
from app.demo.seeding import change_status, record
from app.domain import payloads as p
from app.domain.enums import (
    DeficiencySeverity,
    DriveType,
    ElevatorStatus,
    IncidentChannel,
    InspectionResult,
    InspectionType,
    Role,
    VisitType,
)
from app.domain.events import Event, EventPayload
from app.services.context import ServiceContext
from app.store.eventlog import decode_event
from tests.fakes import FixedClock, SequentialIds

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def uid(n: int) -> UUID:
    """A fixed id; a smaller ``n`` sorts first, as text and as a number."""
    return UUID(f"00000000-0000-7000-8000-{n:012x}")


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


class Fleet:
    """The ids of what :func:`record_fleet` recorded, named as the tests use them."""

    zoe, ann = uid(1), uid(2)
    zenith, acme = uid(10), uid(11)
    north, south, east = uid(20), uid(21), uid(22)
    l3, l10, l2, l1, a1 = uid(30), uid(31), uid(32), uid(33), uid(34)
    cancelled, in_progress, locked, scheduled, completed = (uid(n) for n in range(40, 45))
    fixed_later, opened_first, at_a1 = uid(50), uid(51), uid(52)
    earlier_call, later_call = uid(60), uid(61)
    last_year, this_year, of_l10 = uid(70), uid(71), uid(72)

    def __init__(self) -> None:
        self.events: list[Event] = []
        """Every event recorded, in recording order."""


async def record_fleet(backend: ServiceContext) -> Fleet:
    """Record the fleet through ``backend``'s units of work; returns its ids."""
    clock = FixedClock(T0)
    ctx = replace(backend, clock=clock, ids=SequentialIds())
    fleet = Fleet()

    async def at(moment: datetime, entity: UUID, *payloads: EventPayload) -> None:
        clock.set(moment)
        fleet.events.extend((await record(ctx, entity, *payloads)).events)

    async def status(moment: datetime, unit: UUID, new: ElevatorStatus) -> None:
        clock.set(moment)
        fleet.events.extend((await change_status(ctx, unit, new, f"now {new.value}")).events)

    f = fleet
    for user, name in ((f.zoe, "Zoe Tech"), (f.ann, "Ann Tech")):
        registered = p.UserRegistered(
            email=f"{name.split()[0].lower()}@example.com", display_name=name, role=Role.TECHNICIAN
        )
        await at(T0, user, registered)
    await at(T0, f.zenith, p.CustomerCreated(name="Zenith Towers"))
    await at(T0, f.acme, p.CustomerCreated(name="Acme Offices", contact_name="Ann"))
    for site, customer, name in (
        (f.north, f.zenith, "North Block"),
        (f.south, f.acme, "South Hall"),
        (f.east, f.acme, "East Wing"),
    ):
        await at(T0, site, p.SiteCreated(customer_id=customer, name=name, address="1 High St"))
    for unit, site, number in (
        (f.l2, f.north, "L2"),
        (f.l10, f.north, "l10"),
        (f.l1, f.north, "L1"),
        (f.l3, f.north, "L3"),
        (f.a1, f.south, "A1"),
    ):
        unit_registered = p.ElevatorRegistered(
            site_id=site, unit_number=number, drive_type=DriveType.HYDRAULIC
        )
        await at(T0, unit, unit_registered)

    await status(hours(1), f.l1, ElevatorStatus.MAINTENANCE)
    await status(hours(1), f.l1, ElevatorStatus.OPERATIONAL)  # the same moment: recording order
    await status(hours(1.5), f.l1, ElevatorStatus.DEGRADED)
    await status(hours(2), f.l3, ElevatorStatus.DECOMMISSIONED)

    def started(unit: UUID, site: UUID, moment: datetime) -> p.VisitStarted:
        return p.VisitStarted(
            elevator_id=unit,
            site_id=site,
            type=VisitType.REPAIR,
            technician_id=f.zoe,
            arrived_at=moment,
        )

    planned = p.VisitScheduled(
        elevator_id=f.l1,
        site_id=f.north,
        type=VisitType.PREVENTIVE,
        scheduled_date=date(2025, 4, 1),
    )
    await at(hours(2), f.scheduled, planned)
    await at(hours(2), f.in_progress, started(f.l1, f.north, hours(2)))  # same moment, smaller id
    await at(
        hours(1),  # the device clock stepped back
        f.locked,
        started(f.l1, f.north, hours(1)),
        p.VisitCompleted(departed_at=hours(1.5)),
        p.VisitLocked(),
    )
    await at(hours(3), f.cancelled, started(f.a1, f.south, hours(3)), p.VisitCancelled(reason="No"))
    await at(
        hours(4),
        f.completed,
        started(f.l10, f.north, hours(4)),
        p.VisitCompleted(departed_at=hours(5)),
    )

    for deficiency, unit, moment in (
        (f.opened_first, f.l1, hours(5)),
        (f.fixed_later, f.l1, hours(4)),  # the clock stepped back
        (f.at_a1, f.a1, hours(1)),
    ):
        opened = p.DeficiencyOpened(
            elevator_id=unit, severity=DeficiencySeverity.DEFICIENT, description="Worn rollers"
        )
        await at(moment, deficiency, opened)

    for incident, reported in ((f.later_call, hours(-1)), (f.earlier_call, hours(-2))):
        opened_call = p.IncidentOpened(
            elevator_id=f.l1,
            reported_at=reported,
            channel=IncidentChannel.PHONE,
            reported_trouble="Doors slow",
            unit_status_at_report=ElevatorStatus.OPERATIONAL,
        )
        await at(hours(6), incident, opened_call)
    await at(hours(6), f.earlier_call, p.IncidentClosed(corrective_action="Adjusted"))

    for inspection, unit, day in (
        (f.this_year, f.l1, date(2025, 2, 2)),
        (f.last_year, f.l1, date(2024, 2, 2)),
        (f.of_l10, f.l10, date(2025, 1, 1)),
    ):
        done = p.InspectionRecorded(
            elevator_id=unit,
            type=InspectionType.CAT1,
            performed_on=day,
            performed_by="Insp. Bob",
            result=InspectionResult.PASSED,
        )
        await at(hours(7), inspection, done)
    return fleet


OTHER_DEVICE = uid(96)
"""Another device of the organization, whose edits arrive by sync."""
_OTHER_KEY = Ed25519Signer(bytes(range(32)))


def foreign_edit(
    ctx: ServiceContext, unit: UUID, parents: list[str], seq: int, prev: str
) -> tuple[SealedEvent, Event]:
    """An edit of ``unit`` made on ``OTHER_DEVICE`` (event ``seq`` of its chain, after ``prev``)
    by someone who knew the unit's events ``parents``; sealed, and as the log reads it back."""
    body = EventBody(
        event_id=str(uid(200 + seq)),
        organization_id=str(ctx.device.organization_id),
        actor_id=str(ctx.actor.user_id),
        device_id=str(OTHER_DEVICE),
        device_seq=seq,
        prev_hash=prev,
        entity_type="elevator",
        entity_id=str(unit),
        entity_parents=sorted(parents),
        type=p.ElevatorUpdated.TYPE,
        type_version=p.ElevatorUpdated.VERSION,
        occurred_at=format_timestamp(T0),
        payload=p.ElevatorUpdated(model=f"M{seq}").to_json(),
    )
    sealed = seal(body, _OTHER_KEY)
    return sealed, decode_event(sealed.canonical, sealed.hash)
