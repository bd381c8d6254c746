"""Build the demo organization through the real services, in simulated time.

Everything is derived from the seed and the as-of date: the same pair gives the same store, byte
for byte. Work is generated month by month (bounded memory at any fleet size) and executed in
time order, each action through the same use case a person would trigger.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from app.audit.signing import Ed25519Signer
from app.demo.activity import Activity
from app.demo.crew import Crew
from app.demo.fleet import (
    ONBOARDING_DAYS,
    UnitPlan,
    load_definition,
    organization_rule_set,
    plan_fleet,
)
from app.demo.sim import SeededIds, SimClock
from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    AssignTechnician,
    ChangeOrganizationSettings,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    RegisterUser,
)
from app.domain.enums import Role, RuleSet
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.customers import create_customer
from app.services.elevators import register_elevator
from app.services.organization import change_organization_settings
from app.services.ports import BlobStore, UnitOfWorkFactory
from app.services.sites import assign_technician, create_site
from app.services.templates import load_catalog
from app.services.users import register_user

type Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    organization_id: UUID
    organization_name: str
    customers: int
    sites: int
    units: int
    actions: int
    users: dict[str, UUID]


def demo_device_seed(seed: int) -> bytes:
    """The demo device's Ed25519 seed, derived from the demo seed (demo stores only)."""
    return hashlib.sha256(f"sitesync-demo-device/{seed}".encode()).digest()


def demo_ids(seed: int) -> tuple[UUID, UUID]:
    """The demo organization id and device id for a seed."""
    rng = random.Random(f"ids/{seed}")
    return UUID(int=rng.getrandbits(128), version=4), UUID(int=rng.getrandbits(128), version=4)


async def generate_demo(
    *,
    uow: UnitOfWorkFactory,
    blobs: BlobStore,
    seed: int,
    units: int,
    as_of: date,
    months: int = 12,
    templates: TemplateCatalog | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo organization into an empty store."""
    definition = load_definition()
    rng = random.Random(seed)
    history_days = round(months * 30.44)
    start = datetime.combine(as_of, time(0), UTC) - timedelta(days=history_days)
    clock = SimClock(start - timedelta(days=ONBOARDING_DAYS + 2))
    ids = SeededIds(clock, rng)
    org_id, device_id = demo_ids(seed)
    device = DeviceIdentity(org_id, device_id, Ed25519Signer(demo_device_seed(seed)))
    people = definition["people"]
    user_ids = {p["email"]: ids.new_id() for p in people}
    contexts = {
        p["email"]: ServiceContext(
            actor=Actor(user_ids[p["email"]], Role(p["role"]), p["display_name"]),
            device=device,
            clock=clock,
            ids=ids,
            uow=uow,
        )
        for p in people
    }
    admin = contexts[people[0]["email"]]
    # the organization and its settings, recorded as events (its home rule set: UK LOLER)
    await change_organization_settings(
        ChangeOrganizationSettings(
            organization_name=definition["organization"]["name"],
            organization_time_zone=definition["organization"]["time_zone"],
            rule_set=organization_rule_set(definition),
        ),
        ctx=admin,
    )
    for p in people:
        cmd = RegisterUser(
            user_id=user_ids[p["email"]],
            email=p["email"],
            display_name=p["display_name"],
            role=Role(p["role"]),
        )
        await register_user(cmd, ctx=admin)
    technicians = [contexts[p["email"]] for p in people if p["role"] == "technician"]
    supervisor = next(contexts[p["email"]] for p in people if p["role"] == "supervisor")

    plan = plan_fleet(definition, units, rng, as_of, history_days)
    placed: list[tuple[UUID, UnitPlan, ServiceContext]] = []
    site_count = 0
    for customer in plan:
        created = await create_customer(
            CreateCustomer(name=customer.name, **customer.contact), ctx=admin
        )
        for site in customer.sites:
            site_count += 1
            made = await create_site(
                CreateSite(
                    customer_id=created.id,
                    name=site.name,
                    address=site.address,
                    time_zone=site.time_zone,
                    rule_set=site.rule_set,
                ),
                ctx=admin,
            )
            tech = technicians[site_count % len(technicians)]
            await assign_technician(_assign(made.id, tech.actor.user_id), ctx=supervisor)
            placed.extend((made.id, u, tech) for u in site.units)
    unit_ids: list[tuple[UUID, UnitPlan, ServiceContext]] = []
    # units join day by day, at midday UTC (the same day at the demo's sites, UK and US)
    for site_id, u, tech in sorted(placed, key=lambda p: p[1].registered):
        clock.set(max(clock.now(), datetime.combine(u.registered, time(12), UTC)))
        reg = await register_elevator(
            RegisterElevator(
                site_id=site_id,
                unit_number=u.unit_number,
                manufacturer=u.manufacturer,
                model=u.model,
                drive_type=u.drive_type,
                capacity_kg=u.capacity_kg,
                rated_speed_mps=u.speed,
                floors_served=u.floors,
                installation_date=u.installed,
                certificate=u.certificate,
                carries_passengers=u.carries_passengers,
                maintenance_interval_days=u.interval_days,
                design_life_years=25,
                serial_number=f"{u.manufacturer.value[:2].upper()}{rng.randrange(10**7):07d}",
                conveyance_id=f"{_region(u.rule_set)}-{rng.randint(10000, 99999)}",
            ),
            ctx=admin,
        )
        unit_ids.append((reg.id, u, tech))

    crew = Crew(
        supervisor=supervisor,
        blobs=blobs,
        templates=templates or load_catalog(),
        clock=clock,
        definition=definition,
        rng=rng,
    )
    activity = Activity(crew, rng, start, as_of)
    actions = 0
    end_of_history = activity.end  # the as-of day begins: nothing later is on record
    for month in range(months):
        month_end = start + timedelta(days=round((month + 1) * 30.44))
        window = (start + timedelta(days=round(month * 30.44)), min(month_end, end_of_history))
        for unit_id, unit_plan, tech in unit_ids:
            activity.plan_month(unit_id, unit_plan, tech, window, first=month == 0)
        actions += await activity.run_until(window[1])
        if progress is not None:
            progress(month + 1, months)
    actions += await activity.run_until(end_of_history)
    return DemoSummary(
        org_id,
        definition["organization"]["name"],
        len(plan),
        site_count,
        len(unit_ids),
        actions,
        user_ids,
    )


def _region(rule_set: RuleSet) -> str:
    """The conveyance-number prefix: the state (MA) for US units, Bristol for UK ones."""
    return "MA" if rule_set is RuleSet.ASME_A17_1 else "BR"


def _assign(site_id: UUID, technician_id: UUID) -> AssignTechnician:
    return AssignTechnician(site_id=site_id, technician_id=technician_id)
