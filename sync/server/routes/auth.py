"""``/api/v1/auth``: sign in, refresh, sign out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sync.protocol import Me, RefreshRequest, TokenPair, TokenRequest
from sync.server.auth import service
from sync.server.db.engine import transaction
from sync.server.deps import ClaimsDep, StateDep, client_address, principal_of
from sync.server.errors import responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenPair, responses=responses(400, 401, 413, 422, 429))
async def token(body: TokenRequest, request: Request, state: StateDep) -> TokenPair:
    """Sign in with e-mail and password: a 15-minute access token and a refresh token."""
    return await service.sign_in(state, body.email, body.password, client_address(request))


@router.post("/refresh", response_model=TokenPair, responses=responses(400, 401, 413, 422))
async def refresh(body: RefreshRequest, state: StateDep) -> TokenPair:
    """Exchange a refresh token for a new pair (the old one stops working)."""
    return await service.refresh(state, body.refresh_token)


@router.post("/logout", status_code=204, responses=responses(400, 413, 422))
async def logout(body: RefreshRequest, state: StateDep) -> Response:
    """End the refresh token's sign-in (its whole family)."""
    await service.sign_out(state, body.refresh_token)
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=responses(401))
async def me(claims: ClaimsDep, state: StateDep) -> Me:
    """The signed-in user and the name of their organization."""
    async with transaction(state.engine, claims.organization_id) as conn:
        principal = await principal_of(conn, claims)
        name = await conn.fetchval(
            "SELECT name FROM organizations WHERE organization_id = $1", claims.organization_id
        )
    return Me(
        user_id=principal.user_id,
        organization_id=principal.organization_id,
        email=principal.email,
        display_name=principal.display_name,
        role=principal.role,
        organization_name=name or "",
    )
