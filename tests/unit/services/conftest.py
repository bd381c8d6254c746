"""Fixtures of the service tests: an in-memory store, a context and a small fleet."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import CreateCustomer, CreateSite, RegisterElevator, RegisterUser
from app.domain.enums import DriveType, Manufacturer, Role
from app.services.context import ServiceContext
from app.services.customers import create_customer
from app.services.elevators import register_elevator
from app.services.sites import create_site
from app.services.templates import load_catalog
from app.services.users import register_user
from tests.fakes import FixedClock, InMemoryStore, MemoryBlobStore, as_actor, make_context


@dataclass(frozen=True)
class Fleet:
    """One customer, one site ('Harbour View', Europe/London), two people and three units."""

    customer_id: UUID
    site_id: UUID
    traction_id: UUID
    hydraulic_id: UUID
    mrl_id: UUID
    technician_id: UUID
    supervisor_id: UUID


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def blobs() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture(scope="session")
def templates() -> TemplateCatalog:
    return load_catalog()


@pytest.fixture
def ctx(store: InMemoryStore, clock: FixedClock) -> ServiceContext:
    """An administrator on the test device."""
    return make_context(store, clock=clock)


@pytest.fixture
async def fleet(ctx: ServiceContext) -> Fleet:
    customer = await create_customer(CreateCustomer(name="Harbour Holdings"), ctx=ctx)
    site = await create_site(
        CreateSite(
            customer_id=customer.id,
            name="Harbour View",
            address="1 Quay Street, Bristol",
            time_zone="Europe/London",
        ),
        ctx=ctx,
    )
    tech = await register_user(
        RegisterUser(email="tess@example.com", display_name="Tess Tech", role=Role.TECHNICIAN),
        ctx=ctx,
    )
    boss = await register_user(
        RegisterUser(email="sam@example.com", display_name="Sam Super", role=Role.SUPERVISOR),
        ctx=ctx,
    )
    units = {}
    for number, drive in (
        ("L1", DriveType.TRACTION),
        ("L2", DriveType.HYDRAULIC),
        ("L3", DriveType.MRL_TRACTION),
    ):
        created = await register_elevator(
            RegisterElevator(
                site_id=site.id,
                unit_number=number,
                drive_type=drive,
                manufacturer=Manufacturer.KONE,
                capacity_kg=630,
                rated_speed_mps=Decimal("1.6"),
                floors_served=8,
            ),
            ctx=ctx,
        )
        units[drive] = created.id
    return Fleet(
        customer_id=customer.id,
        site_id=site.id,
        traction_id=units[DriveType.TRACTION],
        hydraulic_id=units[DriveType.HYDRAULIC],
        mrl_id=units[DriveType.MRL_TRACTION],
        technician_id=tech.id,
        supervisor_id=boss.id,
    )


@pytest.fixture
def tech_ctx(ctx: ServiceContext, fleet: Fleet) -> ServiceContext:
    """The technician on the same device."""
    return as_actor(ctx, Role.TECHNICIAN, fleet.technician_id, "Tess Tech")


@pytest.fixture
def supervisor_ctx(ctx: ServiceContext, fleet: Fleet) -> ServiceContext:
    """The supervisor on the same device."""
    return as_actor(ctx, Role.SUPERVISOR, fleet.supervisor_id, "Sam Super")
