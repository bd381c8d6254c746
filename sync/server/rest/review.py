"""``/api/v1/conflicts`` (review by supervisors) and ``/api/v1/ledger/entries`` (the audit log)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from app.domain.enums import ConflictStatus, Role
from app.domain.work import ConflictRecord
from sync.protocol import MAX_INDEX, MAX_PULL_LIMIT, PullResponse
from sync.server import conflicts, reads
from sync.server.deps import ReadingDep, SupervisorDep, TenantDep
from sync.server.errors import responses
from sync.server.rest.common import Page, PageQuery, PerPageQuery, one_of, page_of
from sync.server.store import mappings as m

router = APIRouter(prefix="/api/v1", tags=["review"])


class Resolution(BaseModel):
    """Which of the two values stays: the one in force (``kept``) or the other one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    choose: Literal["kept", "other"]


@router.get("/conflicts", response_model=Page[ConflictRecord], responses=responses(401, 403, 422))
async def list_conflicts(
    tenant: TenantDep,
    _: SupervisorDep,
    status: ConflictStatus | None = None,
    entity_id: UUID | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = 50,
) -> Page[ConflictRecord]:
    """Conflict records (supervisors and administrators); filter by status and record."""
    filters = {"status": status, "entity_id": entity_id}
    order = "doc->>'created_at', conflict_id"
    return await page_of(tenant, m.CONFLICTS, filters, order, page, per_page)


@router.get(
    "/conflicts/{conflict_id}",
    response_model=ConflictRecord,
    responses=responses(401, 403, 404, 422),
)
async def get_conflict(conflict_id: UUID, tenant: TenantDep, _: SupervisorDep) -> ConflictRecord:
    return await one_of(tenant, m.CONFLICTS, conflict_id, "conflict")


@router.post(
    "/conflicts/{conflict_id}/resolve",
    response_model=ConflictRecord,
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
async def resolve_conflict(
    conflict_id: UUID, body: Resolution, tenant: TenantDep, _: SupervisorDep
) -> ConflictRecord:
    """Keep one of the two values: it is written again as a new event, which resolves it."""
    ctx = await tenant.context()
    return await conflicts.resolve(conflict_id, body.choose, ctx=ctx, units=tenant.units)


@router.get("/ledger/entries", response_model=PullResponse, responses=responses(401, 403, 409, 422))
async def ledger_entries(
    reading: ReadingDep,
    after: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = reads.DEFAULT_PULL_LIMIT,
    known_size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> PullResponse:
    """The audit ledger: signed events after ``after`` with the checkpoint (supervisors)."""
    reading.principal.actor().require(Role.SUPERVISOR, Role.ADMIN)
    return await reads.pull(reading.conn, reading.state, reading.org, after, limit, known_size)
