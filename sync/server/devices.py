"""Devices: register a public key for the signed-in user, list, revoke (administrators).

A revoked device's later pushes are refused; what it pushed before stays in the ledger and
stays valid (its key is kept).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from app.domain.enums import Role
from sync.protocol import Device, DeviceRegistration
from sync.server.db.engine import transaction
from sync.server.deps import Principal
from sync.server.errors import ApiError, not_found
from sync.server.state import ServerState

_COLUMNS = (
    "device_id, user_id, public_key, label, app_version, registered_at, last_seen_at, "
    "revoked_at, head_seq, clock_offset_ms"
)


def device_of(row: asyncpg.Record) -> Device:
    offset = row["clock_offset_ms"]
    return Device(
        device_id=row["device_id"],
        user_id=row["user_id"],
        public_key=bytes(row["public_key"]),
        label=row["label"],
        app_version=row["app_version"],
        registered_at=row["registered_at"],
        last_seen_at=row["last_seen_at"],
        revoked_at=row["revoked_at"],
        head_seq=row["head_seq"],
        clock_offset_seconds=None if offset is None else offset / 1000,
    )


async def register(
    state: ServerState, principal: Principal, body: DeviceRegistration
) -> tuple[Device, bool]:
    """Register the device for the principal; (device, True) when it is new."""
    if len(body.public_key) != 32:
        raise ApiError(422, "VALIDATION_ERROR", "public_key must be a 32-byte Ed25519 key.")
    async with transaction(state.engine, principal.organization_id) as conn:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM devices WHERE device_id = $1", body.device_id
        )
        if row is not None:
            if row["user_id"] == principal.user_id and bytes(row["public_key"]) == body.public_key:
                if row["revoked_at"] is not None:
                    raise ApiError(
                        403,
                        "DEVICE_REVOKED",
                        "This device was revoked by an administrator.",
                        hint="Ask an administrator; a revoked device cannot be registered again.",
                    )
                return device_of(row), False
            raise ApiError(
                409,
                "DEVICE_EXISTS",
                "A device with this id is already registered with another key or user.",
                hint="Start a new store on this laptop to get a new device id.",
            )
        row = await conn.fetchrow(
            "INSERT INTO devices (organization_id, device_id, user_id, public_key, label, "
            f"app_version) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
            principal.organization_id,
            body.device_id,
            principal.user_id,
            body.public_key,
            body.label,
            body.app_version,
        )
    return device_of(row), True


async def list_devices(state: ServerState, principal: Principal) -> list[Device]:
    """Every device of the organization (administrators) or the principal's own."""
    sql = f"SELECT {_COLUMNS} FROM devices"
    args: list[Any] = []
    if principal.role is not Role.ADMIN:
        sql += " WHERE user_id = $1"
        args.append(principal.user_id)
    async with transaction(state.engine, principal.organization_id) as conn:
        rows = await conn.fetch(sql + " ORDER BY registered_at, device_id", *args)
    return [device_of(r) for r in rows]


async def get_device(state: ServerState, principal: Principal, device_id: UUID) -> Device:
    """One device (administrators: any of the organization; others: their own)."""
    async with transaction(state.engine, principal.organization_id) as conn:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM devices WHERE device_id = $1", device_id)
    if row is None or (principal.role is not Role.ADMIN and row["user_id"] != principal.user_id):
        raise not_found("device")
    return device_of(row)


async def revoke(state: ServerState, principal: Principal, device_id: UUID) -> Device:
    """Revoke a device: its later pushes are refused (administrators)."""
    async with transaction(state.engine, principal.organization_id) as conn:
        row = await conn.fetchrow(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE device_id = $1 "
            f"AND user_id IS NOT NULL RETURNING {_COLUMNS}",
            device_id,
        )
    if row is None:
        raise not_found("device")
    return device_of(row)
