"""Access tokens (JWT, HS256 pinned) and opaque refresh tokens (stored as SHA-256).

An access token lives 15 minutes; it is checked for signature, algorithm, issuer, audience
and expiry (with at most 60 s leeway), and any failure reads the same: 401 without detail.

A refresh token reads ``rt1.<organization id>.<secret>``: the organization tells the server
which tenant to look in; only the hash of the whole token is stored. Rotating a token makes its
successor deterministically (HMAC of the old token's hash), so a retry inside the grace period
gets the very same pair (RELIABILITY.md F12) while a later replay revokes the family (A5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

import jwt

from app.domain.enums import Role

ALGORITHM: Final = "HS256"
REFRESH_PREFIX: Final = "rt1"
_JTI_NAMESPACE: Final = uuid.UUID("5b0f7a52-9c1e-5d3a-b7e4-6a2f9d8c1e07")


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified access token says."""

    user_id: UUID
    organization_id: UUID
    role: Role


class InvalidToken(Exception):
    """A token failed verification (which check, the caller does not tell the client)."""


def issue_access(
    secret: bytes,
    *,
    issuer: str,
    audience: str,
    user_id: UUID,
    organization_id: UUID,
    role: Role,
    issued_at: datetime,
    lifetime: timedelta,
    jti: str | None = None,
) -> str:
    """A signed access token; the same arguments give the same token."""
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "org": str(organization_id),
        "role": role.value,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + lifetime).timestamp()),
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_access(token: str, secret: bytes, *, issuer: str, audience: str, leeway: int) -> Claims:
    """The claims of a valid access token; InvalidToken otherwise."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "org", "role"]},
        )
        return Claims(UUID(payload["sub"]), UUID(payload["org"]), Role(payload["role"]))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        raise InvalidToken from None


def jti_for(refresh_hash: str) -> str:
    """The access token id paired with a refresh token (deterministic, for retries)."""
    return str(uuid.uuid5(_JTI_NAMESPACE, refresh_hash))


def new_refresh(org: UUID) -> str:
    """A fresh random refresh token of ``org``."""
    return f"{REFRESH_PREFIX}.{org}.{secrets.token_urlsafe(32)}"


def successor(old_hash: str, org: UUID, secret: bytes) -> str:
    """The token that replaces the one hashed ``old_hash`` (the same every time)."""
    mac = hmac.new(secret, b"refresh-successor:" + old_hash.encode(), hashlib.sha256).digest()
    return f"{REFRESH_PREFIX}.{org}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def refresh_hash(token: str) -> str:
    """What the database stores of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def refresh_org(token: str) -> UUID:
    """The organization a refresh token belongs to; InvalidToken if malformed."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != REFRESH_PREFIX or not parts[2]:
        raise InvalidToken
    try:
        return UUID(parts[1])
    except ValueError:
        raise InvalidToken from None
