"""A small fleet recorded through the real services into the in-memory store of ``tests.fakes``.

Also the people, clock and ids the UI tests act with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from app.audit.signing import Ed25519Signer
from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    CreateCustomer,
    CreateSite,
    ItemAnswer,
    OpenDeficiency,
    OpenIncident,
    RecordInspection,
    RecordVisit,
    RegisterElevator,
    RegisterUser,
    Signature,
)
from app.domain.entities import Certificate
from app.domain.enums import (
    DeficiencySeverity,
    DriveType,
    IncidentChannel,
    InspectionResult,
    InspectionType,
    ItemKind,
    ItemOutcome,
    Manufacturer,
    Role,
    VisitType,
)
from app.domain.events import Event
from app.domain.payloads import VisitNoteAdded
from app.services.context import Actor, Changes, ServiceContext
from app.services.customers import create_customer
from app.services.deficiencies import open_deficiency
from app.services.elevators import register_elevator
from app.services.incidents import open_incident
from app.services.inspections import record_inspection
from app.services.sites import create_site
from app.services.templates import load_catalog
from app.services.users import register_user
from app.services.visit_forms import record_visit
from tests.fakes import InMemoryStore, MemoryBlobStore, make_context

ORG_ID = UUID("00000000-0000-4000-8000-00000000000a")
DEVICE_ID = UUID("00000000-0000-4000-8000-00000000000d")
SUPERVISOR = Actor(UUID("00000000-0000-4000-8000-000000000051"), Role.SUPERVISOR, "Sam Super")
TECHNICIAN = Actor(UUID("00000000-0000-4000-8000-000000000071"), Role.TECHNICIAN, "Tia Tech")

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
PNG_1PX = bytes.fromhex(  # a valid 1x1 transparent PNG (decodes without libpng errors)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


def one_event_changes(entity_id: UUID) -> Changes:
    """Changes holding one note event."""
    event = Event(
        event_id=UUID(int=1),
        organization_id=UUID(int=2),
        actor_id=UUID(int=3),
        device_id=UUID(int=4),
        device_seq=1,
        entity_type="visit",
        entity_id=entity_id,
        occurred_at=START,
        payload=VisitNoteAdded(text="x"),
        hash="0" * 64,
    )
    return Changes.of([event])


class StepClock:
    """A clock that moves one second per reading from a fixed start."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


class CountingIds:
    """Deterministic, ordered ids."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> UUID:
        self.count += 1
        return UUID(int=(0x0190 << 112) | self.count)


@dataclass
class Fleet:
    """The seeded store and what the tests need to find in it."""

    store: InMemoryStore
    clock: StepClock
    ids: CountingIds
    blobs: MemoryBlobStore = field(default_factory=MemoryBlobStore)
    templates: TemplateCatalog = field(default_factory=load_catalog)
    customers: dict[str, UUID] = field(default_factory=dict)
    sites: dict[str, UUID] = field(default_factory=dict)
    units: dict[str, UUID] = field(default_factory=dict)

    def context(self, actor: Actor = SUPERVISOR) -> ServiceContext:
        """A service context acting as ``actor`` on the test device (a fixed key)."""
        return make_context(
            self.store,
            role=actor.role,
            user_id=actor.user_id,
            name=actor.name,
            clock=self.clock,
            ids=self.ids,
            organization_id=ORG_ID,
            device_id=DEVICE_ID,
            signer=self.signer(),
        )

    def signer(self) -> Ed25519Signer:
        return Ed25519Signer(b"\x07" * 32)


def full_answers(fleet: Fleet, template_id: str) -> tuple[ItemAnswer, ...]:
    """A passing answer to every item of the template."""
    answers = []
    for item in fleet.templates.get(template_id).items:
        if item.kind is ItemKind.READING:
            low = item.min_value if item.min_value is not None else Decimal(0)
            answers.append(ItemAnswer(key=item.key, outcome=ItemOutcome.PASS, reading=str(low)))
        elif item.kind in (ItemKind.TEXT, ItemKind.PHOTO):
            answers.append(ItemAnswer(key=item.key, outcome=ItemOutcome.NOT_APPLICABLE))
        else:
            answers.append(ItemAnswer(key=item.key, outcome=ItemOutcome.PASS))
    return tuple(answers)


async def seed_fleet(*, delay: float = 0.0, units_per_site: int = 2) -> Fleet:
    """Two customers, three sites, a few units with visits, callbacks and tests."""
    store = InMemoryStore()
    fleet = Fleet(store, StepClock(START), CountingIds())
    sup = fleet.context(SUPERVISOR)
    await register_user(
        RegisterUser(
            email="sam@example.com",
            display_name="Sam Super",
            role=SUPERVISOR.role,
            user_id=SUPERVISOR.user_id,
        ),
        ctx=sup,
    )
    await register_user(
        RegisterUser(
            email="tia@example.com",
            display_name="Tia Tech",
            role=TECHNICIAN.role,
            user_id=TECHNICIAN.user_id,
        ),
        ctx=sup,
    )
    plan = {"Harbour Estates": ["Harbour View", "Quay House"], "Cotham Trust": ["Cotham Tower"]}
    makers = [Manufacturer.KONE, Manufacturer.OTIS, Manufacturer.SCHINDLER]
    n = 0
    for customer_name, site_names in plan.items():
        cust = await create_customer(CreateCustomer(name=customer_name), ctx=sup)
        fleet.customers[customer_name] = cust.id
        for site_name in site_names:
            site = await create_site(
                CreateSite(customer_id=cust.id, name=site_name, address=f"1 {site_name} Road"),
                ctx=sup,
            )
            fleet.sites[site_name] = site.id
            for k in range(units_per_site):
                n += 1
                cert = Certificate(
                    number=f"C-{n:03}",
                    issued_on=date(2024, 7, 1),
                    expires_on=date(2025, 6, 20) + timedelta(days=(n % 5) * 30),
                )
                unit = await register_elevator(
                    RegisterElevator(
                        site_id=site.id,
                        unit_number=f"L{k + 1}",
                        serial_number=f"SN-{n:04}",
                        manufacturer=makers[n % 3],
                        model="MonoSpace",
                        drive_type=DriveType.TRACTION,
                        installation_date=date(2005 + n, 3, 1),
                        certificate=cert,
                        maintenance_interval_days=30,
                    ),
                    ctx=sup,
                )
                fleet.units[f"{site_name}/L{k + 1}"] = unit.id
    await _history(fleet)
    fleet.clock.current = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    store.delay = delay
    return fleet


async def _history(fleet: Fleet) -> None:
    tech = fleet.context(TECHNICIAN)
    sup = fleet.context(SUPERVISOR)
    for index, (_key, unit_id) in enumerate(sorted(fleet.units.items())):
        for month in range(0, 5, 1 + index % 2):
            arrived = START + timedelta(days=30 * month + index, hours=1)
            fleet.clock.current = arrived + timedelta(hours=2)
            await record_visit(
                RecordVisit(
                    elevator_id=unit_id,
                    type=VisitType.PREVENTIVE,
                    template_id="pm-monthly-traction",
                    arrived_at=arrived,
                    departed_at=arrived + timedelta(hours=1),
                    items=full_answers(fleet, "pm-monthly-traction"),
                    technician_signature=Signature(name="Tia Tech", image=PNG_1PX),
                    customer_signoff=Signature(name="Site manager", refused=True),
                    lock=True,
                ),
                ctx=tech,
                templates=fleet.templates,
                blobs=fleet.blobs,
            )
        if index % 2 == 0:
            reported = START + timedelta(days=10 + 12 * index, hours=3)
            fleet.clock.current = reported + timedelta(minutes=5)
            await open_incident(
                OpenIncident(
                    elevator_id=unit_id,
                    reported_at=reported,
                    channel=IncidentChannel.PHONE,
                    reporter="Front desk",
                    reported_trouble="Doors not closing",
                    out_of_service=index == 0,
                    entrapment=index == 2,
                    persons_trapped=int(index == 2),
                ),
                ctx=sup,
            )
        fleet.clock.current = START + timedelta(days=100)
        await record_inspection(
            RecordInspection(
                elevator_id=unit_id,
                type=InspectionType.CAT1,
                performed_on=date(2024, 8, 1),
                performed_by="State inspector",
                result=InspectionResult.PASSED,
            ),
            ctx=sup,
        )
        if index == 1:
            await open_deficiency(
                OpenDeficiency(
                    elevator_id=unit_id,
                    severity=DeficiencySeverity.INOPERABLE,
                    description="Governor tripped, car stopped",
                ),
                ctx=sup,
            )
