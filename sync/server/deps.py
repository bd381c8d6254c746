"""Dependency aliases the routes declare: state, the signed-in principal, their tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final
from uuid import UUID

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.domain.enums import Role
from app.services.context import Actor, ServiceContext
from sync.server.auth.tokens import Claims, InvalidToken, verify_access
from sync.server.db.engine import transaction
from sync.server.errors import forbidden, unauthorized
from sync.server.services import ServerUnits, ensure_server_device, server_context
from sync.server.state import ServerState
from sync.server.store.appender import LedgerConfig

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/token")


async def get_state(request: Request) -> ServerState:
    """The process's shared state (built by the app's lifespan).

    The dependencies here are coroutines: FastAPI runs a plain function dependency on a worker
    thread, a hand-off (and, on a busy machine, a wait for a core) on every request.
    """
    state: ServerState = request.app.state.server
    return state


StateDep = Annotated[ServerState, Depends(get_state)]


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user, as the database says now (role and active flag re-read per request)."""

    user_id: UUID
    organization_id: UUID
    role: Role
    email: str
    display_name: str

    def actor(self) -> Actor:
        return Actor(self.user_id, self.role, self.display_name)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _claims(state: ServerState, credentials: HTTPAuthorizationCredentials | None) -> Claims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    settings = state.settings
    try:
        return verify_access(
            credentials.credentials,
            state.jwt_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
        )
    except InvalidToken:
        raise unauthorized() from None


PRINCIPAL_SQL: Final = (
    "SELECT a.role, a.active, a.email, u.display_name FROM accounts a "
    "LEFT JOIN users u ON u.id = a.user_id WHERE a.user_id = $1"
)


def principal_from(claims: Claims, row: Mapping[str, Any] | None) -> Principal:
    """The principal in a row of ``PRINCIPAL_SQL``'s columns; 401 if absent or disabled."""
    if row is None or not row["active"]:
        raise unauthorized()
    return Principal(
        claims.user_id,
        claims.organization_id,
        Role(row["role"]),
        row["email"],
        row["display_name"] or row["email"],
    )


async def principal_of(conn: asyncpg.Connection, claims: Claims) -> Principal:
    """The token's user as the database says now, inside the tenant's transaction."""
    return principal_from(claims, await conn.fetchrow(PRINCIPAL_SQL, claims.user_id))


async def get_principal(state: StateDep, credentials: Credentials) -> Principal:
    """The verified principal of the request; 401 without detail otherwise."""
    claims = _claims(state, credentials)
    async with transaction(state.engine, claims.organization_id) as conn:
        return await principal_of(conn, claims)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_claims(state: StateDep, credentials: Credentials) -> Claims:
    """The verified token's claims, for routes that check the principal in their own
    transaction (``principal_of``)."""
    return _claims(state, credentials)


ClaimsDep = Annotated[Claims, Depends(get_claims)]


@dataclass(frozen=True, slots=True)
class Reading:
    """A read-only request: its principal and one transaction in their organization."""

    principal: Principal
    conn: asyncpg.Connection
    state: ServerState

    @property
    def org(self) -> UUID:
        return self.principal.organization_id


async def get_reading(state: StateDep, credentials: Credentials) -> AsyncIterator[Reading]:
    """Verify the principal and serve the read in the same transaction (one round of BEGIN,
    tenant and COMMIT instead of two)."""
    claims = _claims(state, credentials)
    async with transaction(state.engine, claims.organization_id) as conn:
        yield Reading(await principal_of(conn, claims), conn, state)


ReadingDep = Annotated[Reading, Depends(get_reading)]


def _needs(*roles: Role) -> object:
    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise forbidden(
                f"This needs the {allowed} role; you are signed in as a {principal.role.value}."
            )
        return principal

    return Depends(check)


SupervisorDep = Annotated[Principal, _needs(Role.SUPERVISOR, Role.ADMIN)]
AdminDep = Annotated[Principal, _needs(Role.ADMIN)]


@dataclass(frozen=True, slots=True)
class Tenant:
    """The principal's organization: its units of work and the services' context."""

    principal: Principal
    state: ServerState

    @property
    def org(self) -> UUID:
        return self.principal.organization_id

    @property
    def units(self) -> ServerUnits:
        config = LedgerConfig(self.state.keys, self.state.settings.ledger_name)
        return ServerUnits(self.state.engine, self.org, config)

    async def context(self) -> ServiceContext:
        """The services' context: the principal acting through the server's device."""
        state = self.state
        device_id = state.server_devices.get(self.org)
        if device_id is None:
            device_id = await ensure_server_device(state.engine, self.org, state.keys)
            state.server_devices[self.org] = device_id
        return server_context(self.units, device_id, state.keys, self.principal.actor())


async def get_tenant(principal: PrincipalDep, state: StateDep) -> Tenant:
    return Tenant(principal, state)


TenantDep = Annotated[Tenant, Depends(get_tenant)]


def client_address(request: Request) -> str:
    """The client's address (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"
