"""``/api/v1/visits``, ``/api/v1/incidents``, ``/api/v1/deficiencies``: work records."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from app.domain.commands import ChangeDeficiencyStatus, CloseIncident, OpenIncident
from app.domain.enums import DeficiencyStatus, IncidentStatus, VisitStatus
from app.domain.work import Deficiency, Incident, Visit
from app.services.deficiencies import change_deficiency_status
from app.services.incidents import close_incident, open_incident
from sync.server.deps import TenantDep
from sync.server.errors import responses
from sync.server.rest.common import Page, PageQuery, PerPageQuery, body_of, one_of, page_of
from sync.server.store import mappings as m

router = APIRouter(prefix="/api/v1", tags=["work"])

WRITE = responses(400, 401, 403, 404, 409, 413, 422)
READ = responses(401, 404, 422)

if TYPE_CHECKING:
    type NewIncident = BaseModel
    type IncidentClosing = BaseModel
    type DeficiencyStatusBody = BaseModel
else:
    NewIncident = body_of(OpenIncident, name="NewIncident")
    IncidentClosing = body_of(CloseIncident, without="incident_id", name="IncidentClosing")
    DeficiencyStatusBody = body_of(
        ChangeDeficiencyStatus, without="deficiency_id", name="DeficiencyStatusBody"
    )


@router.get("/visits", response_model=Page[Visit], responses=READ)
async def list_visits(
    tenant: TenantDep,
    elevator_id: UUID | None = None,
    status: VisitStatus | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[Visit]:
    """Maintenance visits, oldest first; filter by unit and status."""
    filters = {"elevator_id": elevator_id, "status": status}
    return await page_of(tenant, m.VISITS, filters, "created_at, id", page, per_page)


@router.get("/visits/{visit_id}", response_model=Visit, responses=READ)
async def get_visit(visit_id: UUID, tenant: TenantDep) -> Visit:
    return await one_of(tenant, m.VISITS, visit_id, "visit")


@router.get("/incidents", response_model=Page[Incident], responses=READ)
async def list_incidents(
    tenant: TenantDep,
    elevator_id: UUID | None = None,
    status: IncidentStatus | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[Incident]:
    """The callback log, oldest report first; filter by unit and status."""
    filters = {"elevator_id": elevator_id, "status": status}
    return await page_of(tenant, m.INCIDENTS, filters, "reported_at, id", page, per_page)


@router.get("/incidents/{incident_id}", response_model=Incident, responses=READ)
async def get_incident(incident_id: UUID, tenant: TenantDep) -> Incident:
    return await one_of(tenant, m.INCIDENTS, incident_id, "incident")


@router.post("/incidents", response_model=Incident, status_code=201, responses=WRITE)
async def add_incident(body: NewIncident, tenant: TenantDep) -> Incident:
    """Log a callback (with 'out of service', the unit goes out of service)."""
    command = OpenIncident(**body.model_dump(exclude_unset=True))
    await one_of(tenant, m.ELEVATORS, command.elevator_id, "unit")
    created = await open_incident(command, ctx=await tenant.context())
    return await one_of(tenant, m.INCIDENTS, created.id, "incident")


@router.post("/incidents/{incident_id}/close", response_model=Incident, responses=WRITE)
async def close(incident_id: UUID, body: IncidentClosing, tenant: TenantDep) -> Incident:
    """Close a callback (back in service: the unit becomes operational again)."""
    await one_of(tenant, m.INCIDENTS, incident_id, "incident")
    command = CloseIncident(incident_id=incident_id, **body.model_dump(exclude_unset=True))
    await close_incident(command, ctx=await tenant.context())
    return await one_of(tenant, m.INCIDENTS, incident_id, "incident")


@router.get("/deficiencies", response_model=Page[Deficiency], responses=READ)
async def list_deficiencies(
    tenant: TenantDep,
    elevator_id: UUID | None = None,
    status: DeficiencyStatus | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[Deficiency]:
    """Deficiencies, oldest first; filter by unit and status."""
    filters = {"elevator_id": elevator_id, "status": status}
    return await page_of(tenant, m.DEFICIENCIES, filters, "opened_at, id", page, per_page)


@router.get("/deficiencies/{deficiency_id}", response_model=Deficiency, responses=READ)
async def get_deficiency(deficiency_id: UUID, tenant: TenantDep) -> Deficiency:
    return await one_of(tenant, m.DEFICIENCIES, deficiency_id, "deficiency")


@router.patch("/deficiencies/{deficiency_id}/status", response_model=Deficiency, responses=WRITE)
async def deficiency_status(
    deficiency_id: UUID, body: DeficiencyStatusBody, tenant: TenantDep
) -> Deficiency:
    """Mark a deficiency fixed, verified, invalid or open again."""
    await one_of(tenant, m.DEFICIENCIES, deficiency_id, "deficiency")
    command = ChangeDeficiencyStatus(
        deficiency_id=deficiency_id, **body.model_dump(exclude_unset=True)
    )
    await change_deficiency_status(command, ctx=await tenant.context())
    return await one_of(tenant, m.DEFICIENCIES, deficiency_id, "deficiency")
