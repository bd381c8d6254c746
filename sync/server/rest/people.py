"""``/api/v1/users``: the organization's people (administrators manage them)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.domain.commands import RegisterUser
from app.domain.entities import User
from app.domain.enums import Role
from sync.server.accounts import create_account as create
from sync.server.accounts import update_account
from sync.server.auth.passwords import check_password_strength
from sync.server.deps import AdminDep, SupervisorDep, TenantDep
from sync.server.errors import ApiError, responses
from sync.server.rest.common import Page, PageQuery, PerPageQuery, one_of, page_of
from sync.server.store import mappings as m

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=1024)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None


@router.get("", response_model=Page[User], responses=responses(401, 403, 422))
async def list_users(
    tenant: TenantDep, _: SupervisorDep, page: PageQuery = 1, per_page: PerPageQuery = 50
) -> Page[User]:
    """The organization's users, by name (supervisors and administrators)."""
    return await page_of(tenant, m.USERS, {}, 'display_name COLLATE "C", id', page, per_page)


@router.get("/{user_id}", response_model=User, responses=responses(401, 403, 404, 422))
async def get_user(user_id: UUID, tenant: TenantDep, _: SupervisorDep) -> User:
    return await one_of(tenant, m.USERS, user_id, "user")


@router.post("", response_model=User, status_code=201, responses=responses(400, 401, 403, 413, 422))
async def add_user(body: NewUser, tenant: TenantDep, _: AdminDep) -> User:
    """Create a user who can sign in (administrators)."""
    problem = check_password_strength(body.password)
    if problem:
        raise ApiError(422, "WEAK_PASSWORD", problem)
    command = RegisterUser(email=body.email, display_name=body.display_name, role=body.role)
    digest = await tenant.state.passwords.hash(body.password)
    created = await create(command, digest, ctx=await tenant.context(), units=tenant.units)
    return await one_of(tenant, m.USERS, created.id, "user")


@router.patch("/{user_id}", response_model=User, responses=responses(400, 401, 403, 404, 413, 422))
async def patch_user(user_id: UUID, body: UserPatch, tenant: TenantDep, _: AdminDep) -> User:
    """Rename a user, change their role, or disable them (their tokens and devices end)."""
    await one_of(tenant, m.USERS, user_id, "user")
    await update_account(
        user_id,
        display_name=body.display_name,
        role=body.role,
        active=body.active,
        ctx=await tenant.context(),
        units=tenant.units,
    )
    return await one_of(tenant, m.USERS, user_id, "user")
