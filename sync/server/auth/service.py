"""Sign-in, token refresh and sign-out (the work behind ``/api/v1/auth``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID, uuid4

from app.domain.enums import Role
from sync.protocol import TokenPair
from sync.server.accounts import email_key
from sync.server.auth import ratelimit
from sync.server.auth.tokens import (
    InvalidToken,
    issue_access,
    jti_for,
    new_refresh,
    refresh_hash,
    refresh_org,
    successor,
)
from sync.server.db.engine import transaction
from sync.server.errors import ApiError
from sync.server.state import ServerState

WRONG_CREDENTIALS: Final = "The e-mail address or the password is not right."


def _rejected() -> ApiError:
    return ApiError(
        401, "INVALID_CREDENTIALS", WRONG_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"}
    )


def _refresh_refused() -> ApiError:
    return ApiError(
        401,
        "INVALID_REFRESH_TOKEN",
        "This sign-in has ended; sign in again with your e-mail address and password.",
    )


def _too_many(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "TOO_MANY_ATTEMPTS",
        "Too many sign-in attempts; wait before trying again.",
        hint=f"Try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


@dataclass(frozen=True, slots=True)
class _Account:
    org: UUID
    user_id: UUID
    role: Role
    password_hash: str | None


def _pair(
    state: ServerState,
    *,
    user_id: UUID,
    org: UUID,
    role: Role,
    refresh: str,
    issued_at: datetime,
    family_expires_at: datetime,
) -> TokenPair:
    settings = state.settings
    lifetime = timedelta(seconds=settings.access_token_seconds)
    access = issue_access(
        state.jwt_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        user_id=user_id,
        organization_id=org,
        role=role,
        issued_at=issued_at,
        lifetime=lifetime,
        jti=jti_for(refresh_hash(refresh)),
    )
    return TokenPair(
        access_token=access,
        expires_in=settings.access_token_seconds,
        refresh_token=refresh,
        refresh_expires_at=family_expires_at,
    )


async def sign_in(state: ServerState, email: str, password: str, address: str) -> TokenPair:
    """Check the password (after the rate limits) and start a token family."""
    settings = state.settings
    now = datetime.now(UTC)
    key = email_key(email)
    window = timedelta(seconds=settings.login_window_seconds)
    account_bucket = ratelimit.bucket("account", key)
    async with transaction(state.engine, None) as conn:
        waits = [
            await ratelimit.count_attempt(
                conn, account_bucket, limit=settings.login_limit_per_account, window=window, now=now
            ),
            await ratelimit.count_attempt(
                conn,
                ratelimit.bucket("address", address),
                limit=settings.login_limit_per_address,
                window=window,
                now=now,
            ),
        ]
        found = await conn.fetchrow("SELECT * FROM sitesync_find_login($1)", key)
        await ratelimit.forget_old(conn, window=window, now=now)
    blocked = [w for w in waits if w is not None]
    if blocked:
        raise _too_many(max(blocked))
    account = None
    if found is not None:
        org, user_id = found["organization_id"], found["user_id"]
        async with transaction(state.engine, org) as conn:
            row = await conn.fetchrow(
                "SELECT password_hash, role, active FROM accounts WHERE user_id = $1", user_id
            )
        if row is not None and row["active"]:
            account = _Account(org, user_id, Role(row["role"]), row["password_hash"])
    stored = account.password_hash if account else None
    if not await state.passwords.verify(stored, password) or account is None:
        raise _rejected()
    refresh = new_refresh(account.org)
    expires = now + timedelta(days=settings.refresh_token_days)
    async with transaction(state.engine, account.org) as conn:
        await conn.execute(
            "INSERT INTO refresh_tokens (organization_id, token_hash, family_id, user_id, "
            "issued_at, family_expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            account.org,
            refresh_hash(refresh),
            uuid4(),
            account.user_id,
            now,
            expires,
        )
    async with transaction(state.engine, None) as conn:
        await ratelimit.reset(conn, account_bucket)
    return _pair(
        state,
        user_id=account.user_id,
        org=account.org,
        role=account.role,
        refresh=refresh,
        issued_at=now,
        family_expires_at=expires,
    )


async def refresh(state: ServerState, token: str) -> TokenPair:
    """Rotate a refresh token; a replay outside the grace period revokes its family."""
    try:
        org = refresh_org(token)
    except InvalidToken:
        raise _refresh_refused() from None
    now = datetime.now(UTC)
    digest = refresh_hash(token)
    grace = timedelta(seconds=state.settings.refresh_grace_seconds)
    replayed = False
    async with transaction(state.engine, org) as conn:
        row = await conn.fetchrow(
            "SELECT t.family_id, t.user_id, t.family_expires_at, t.rotated_at, t.revoked_at, "
            "a.role, a.active FROM refresh_tokens t JOIN accounts a USING (organization_id, "
            "user_id) WHERE t.token_hash = $1 FOR UPDATE OF t",
            digest,
        )
        if row is None or row["revoked_at"] is not None or not row["active"]:
            raise _refresh_refused()
        if row["family_expires_at"] <= now:
            raise _refresh_refused()
        rotated_at = row["rotated_at"]
        if rotated_at is not None and now - rotated_at > grace:
            await conn.execute(
                "UPDATE refresh_tokens SET revoked_at = $2 "
                "WHERE family_id = $1 AND revoked_at IS NULL",
                row["family_id"],
                now,
            )
            replayed = True
        else:
            next_token = successor(digest, org, state.jwt_secret)
            if rotated_at is None:
                rotated_at = now
                await conn.execute(
                    "UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1", digest, now
                )
                await conn.execute(
                    "INSERT INTO refresh_tokens (organization_id, token_hash, family_id, "
                    "user_id, issued_at, family_expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    org,
                    refresh_hash(next_token),
                    row["family_id"],
                    row["user_id"],
                    now,
                    row["family_expires_at"],
                )
    if replayed:  # committed: the whole family is revoked
        raise ApiError(
            401,
            "REFRESH_TOKEN_REUSED",
            "This refresh token was already used; every sign-in of this family has ended.",
            hint="Sign in again. If you did not use it twice, tell your administrator.",
        )
    return _pair(
        state,
        user_id=row["user_id"],
        org=org,
        role=Role(row["role"]),
        refresh=next_token,
        issued_at=rotated_at,
        family_expires_at=row["family_expires_at"],
    )


async def sign_out(state: ServerState, token: str) -> None:
    """End the token's family (unknown tokens are ignored: sign-out always succeeds)."""
    try:
        org = refresh_org(token)
    except InvalidToken:
        return
    async with transaction(state.engine, org) as conn:
        await conn.execute(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND "
            "family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
            refresh_hash(token),
        )
