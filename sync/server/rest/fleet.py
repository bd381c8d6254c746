"""``/api/v1/customers``, ``/api/v1/sites``, ``/api/v1/elevators``: the fleet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.domain.commands import (
    AssignTechnician,
    ChangeElevatorStatus,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    UpdateElevator,
    UpdateSite,
)
from app.domain.entities import Customer, Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.health import HealthScore, health_score
from app.services.customers import create_customer
from app.services.elevators import change_elevator_status, register_elevator, update_elevator
from app.services.organization import site_rules
from app.services.queries.fleet import load_unit_record
from app.services.sites import assign_technician, create_site, update_site
from sync.server.deps import AdminDep, TenantDep
from sync.server.errors import not_found, responses
from sync.server.rest.common import Page, PageQuery, PerPageQuery, body_of, one_of, page_of
from sync.server.store import mappings as m

router = APIRouter(prefix="/api/v1", tags=["fleet"])

WRITE = responses(400, 401, 403, 404, 409, 413, 422)
READ = responses(401, 404, 422)

if TYPE_CHECKING:
    type SitePatch = BaseModel
    type ElevatorPatch = BaseModel
    type NewCustomer = BaseModel
    type NewSite = BaseModel
    type NewElevator = BaseModel
else:
    NewCustomer = body_of(CreateCustomer, name="NewCustomer")
    NewSite = body_of(CreateSite, name="NewSite")
    NewElevator = body_of(RegisterElevator, name="NewElevator")
    SitePatch = body_of(UpdateSite, without="site_id", name="SitePatch")
    ElevatorPatch = body_of(UpdateElevator, without="elevator_id", name="ElevatorPatch")


class StatusChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: ElevatorStatus
    reason: str
    cause: DowntimeCause | None = None


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    technician_id: UUID
    assigned: bool = True


# -- customers -----------------------------------------------------------------------------------


@router.get("/customers", response_model=Page[Customer], responses=READ)
async def list_customers(
    tenant: TenantDep, page: PageQuery = 1, per_page: PerPageQuery = 50
) -> Page[Customer]:
    """Customers (building owners), by name."""
    return await page_of(tenant, m.CUSTOMERS, {}, 'name COLLATE "C", id', page, per_page)


@router.get("/customers/{customer_id}", response_model=Customer, responses=READ)
async def get_customer(customer_id: UUID, tenant: TenantDep) -> Customer:
    return await one_of(tenant, m.CUSTOMERS, customer_id, "customer")


@router.post("/customers", response_model=Customer, status_code=201, responses=WRITE)
async def add_customer(body: NewCustomer, tenant: TenantDep) -> Customer:
    """Create a customer."""
    command = CreateCustomer(**body.model_dump(exclude_unset=True))
    created = await create_customer(command, ctx=await tenant.context())
    return await one_of(tenant, m.CUSTOMERS, created.id, "customer")


# -- sites ---------------------------------------------------------------------------------------


@router.get("/sites", response_model=Page[Site], responses=READ)
async def list_sites(
    tenant: TenantDep,
    customer_id: UUID | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[Site]:
    """Sites (buildings), by name; filter by customer."""
    filters = {"customer_id": customer_id}
    return await page_of(tenant, m.SITES, filters, 'name COLLATE "C", id', page, per_page)


@router.get("/sites/{site_id}", response_model=Site, responses=READ)
async def get_site(site_id: UUID, tenant: TenantDep) -> Site:
    return await one_of(tenant, m.SITES, site_id, "site")


@router.post("/sites", response_model=Site, status_code=201, responses=WRITE)
async def add_site(body: NewSite, tenant: TenantDep) -> Site:
    """Create a site of a customer (its rule set: administrators)."""
    command = CreateSite(**body.model_dump(exclude_unset=True))
    created = await create_site(command, ctx=await tenant.context())
    return await one_of(tenant, m.SITES, created.id, "site")


@router.patch("/sites/{site_id}", response_model=Site, responses=WRITE)
async def patch_site(site_id: UUID, body: SitePatch, tenant: TenantDep) -> Site:
    """Change the given fields of a site (its rule set: administrators)."""
    await one_of(tenant, m.SITES, site_id, "site")
    command = UpdateSite(site_id=site_id, **body.model_dump(exclude_unset=True))
    await update_site(command, ctx=await tenant.context())
    return await one_of(tenant, m.SITES, site_id, "site")


@router.post("/sites/{site_id}/technicians", response_model=Site, responses=WRITE)
async def assign(site_id: UUID, body: Assignment, tenant: TenantDep, _: AdminDep) -> Site:
    """Assign a technician to a site, or take them off it (administrators)."""
    await one_of(tenant, m.SITES, site_id, "site")
    await one_of(tenant, m.USERS, body.technician_id, "technician")
    command = AssignTechnician(
        site_id=site_id, technician_id=body.technician_id, assigned=body.assigned
    )
    await assign_technician(command, ctx=await tenant.context())
    return await one_of(tenant, m.SITES, site_id, "site")


# -- elevators -----------------------------------------------------------------------------------


@router.get("/elevators", response_model=Page[Elevator], responses=READ)
async def list_elevators(
    tenant: TenantDep,
    site_id: UUID | None = None,
    status: Annotated[ElevatorStatus | None, Query()] = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[Elevator]:
    """Units, by site and unit number; filter by site and status."""
    filters = {"site_id": site_id, "status": status}
    order = 'site_id, unit_key COLLATE "C", id'
    return await page_of(tenant, m.ELEVATORS, filters, order, page, per_page)


@router.get("/elevators/{elevator_id}", response_model=Elevator, responses=READ)
async def get_elevator(elevator_id: UUID, tenant: TenantDep) -> Elevator:
    return await one_of(tenant, m.ELEVATORS, elevator_id, "unit")


@router.post("/elevators", response_model=Elevator, status_code=201, responses=WRITE)
async def add_elevator(body: NewElevator, tenant: TenantDep) -> Elevator:
    """Register a unit at a site."""
    command = RegisterElevator(**body.model_dump(exclude_unset=True))
    created = await register_elevator(command, ctx=await tenant.context())
    return await one_of(tenant, m.ELEVATORS, created.id, "unit")


@router.patch("/elevators/{elevator_id}", response_model=Elevator, responses=WRITE)
async def patch_elevator(elevator_id: UUID, body: ElevatorPatch, tenant: TenantDep) -> Elevator:
    """Change the given fields of a unit."""
    await one_of(tenant, m.ELEVATORS, elevator_id, "unit")
    command = UpdateElevator(elevator_id=elevator_id, **body.model_dump(exclude_unset=True))
    await update_elevator(command, ctx=await tenant.context())
    return await one_of(tenant, m.ELEVATORS, elevator_id, "unit")


@router.patch("/elevators/{elevator_id}/status", response_model=Elevator, responses=WRITE)
async def change_status(elevator_id: UUID, body: StatusChangeBody, tenant: TenantDep) -> Elevator:
    """Change a unit's status with a reason (decommissioning: supervisors and administrators)."""
    await one_of(tenant, m.ELEVATORS, elevator_id, "unit")
    command = ChangeElevatorStatus(
        elevator_id=elevator_id, status=body.status, reason=body.reason, cause=body.cause
    )
    await change_elevator_status(command, ctx=await tenant.context())
    return await one_of(tenant, m.ELEVATORS, elevator_id, "unit")


@router.get("/elevators/{elevator_id}/health", response_model=HealthScore, responses=READ)
async def elevator_health(elevator_id: UUID, tenant: TenantDep) -> HealthScore:
    """The unit's health score with its breakdown, caps and confidence, under the rules of its
    site (the organization's settings, the site's rule set)."""
    async with tenant.units() as uow:
        unit = await uow.elevators.get(elevator_id)
        site = await uow.sites.get(unit.site_id) if unit else None
        if unit is None or site is None:
            raise not_found("unit")
        record = await load_unit_record(uow, unit)
        rules = await site_rules(uow, site)
    now = datetime.now(UTC)
    return health_score(record, today=now.date(), rules=rules, now=now)
