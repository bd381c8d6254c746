"""Devices as witnesses: keep the checkpoints they cosigned, serve each device's newest.

A device uploads the checkpoints it verified, each as the server's signed note with its own
C2SP cosignature line added. Each one is kept only if the note is signed by one of this
server's ledger keys, names this organization's log, matches the checkpoint the ledger stored
for that size, and carries a valid cosignature by the device's registered key. A cosigned
checkpoint whose root differs from the stored one is evidence that someone showed this device
another history: it is refused and raises an alarm for the administrators.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID, uuid4

import asyncpg

from app.audit.checkpoint import Checkpoint, parse_and_verify_checkpoint
from app.audit.cosignature import device_cosigner_name, find_cosignature, verify_cosignature
from app.audit.errors import AuditError
from sync.protocol import (
    CosignatureResult,
    CosignatureUpload,
    CosignatureUploadResponse,
    CosignedNote,
)
from sync.server.auth.tokens import Claims
from sync.server.db.engine import transaction
from sync.server.deps import principal_of
from sync.server.errors import ApiError, forbidden, log
from sync.server.ledger import store as ledger
from sync.server.state import ServerState

MAX_SERVED: Final = 200
"""Devices whose newest cosignature is served with a checkpoint, at most (the newest first)."""

_LATEST = (
    "SELECT device_id, tree_size, note FROM ("
    "  SELECT DISTINCT ON (c.device_id) c.device_id, c.tree_size, c.note, c.received_at "
    "  FROM cosignatures c JOIN devices d ON d.device_id = c.device_id "
    "  WHERE d.revoked_at IS NULL AND c.tree_size <= $1 "
    "  ORDER BY c.device_id, c.tree_size DESC"
    ") newest ORDER BY tree_size DESC, device_id LIMIT $2"
)


async def latest_cosignatures(conn: asyncpg.Connection, size: int) -> list[CosignedNote]:
    """Each device's newest cosigned checkpoint within the tree of ``size``."""
    rows = await conn.fetch(_LATEST, size, MAX_SERVED)
    return [
        CosignedNote(device_id=row["device_id"], tree_size=row["tree_size"], note=row["note"])
        for row in rows
    ]


def _open(state: ServerState, org: UUID, note: str) -> Checkpoint:
    """The checkpoint in ``note``, signed by one of this server's ledger keys for ``org``."""
    name = state.settings.ledger_name
    origin = ledger.origin_of(name, org)
    failure: AuditError | None = None
    for key in reversed(state.keys.ledger):
        try:
            return parse_and_verify_checkpoint(note, name, key.signer.public_key, origin=origin)
        except AuditError as exc:
            failure = exc
    assert failure is not None
    raise failure


async def _store_one(
    conn: asyncpg.Connection,
    state: ServerState,
    org: UUID,
    device_id: UUID,
    public_key: bytes,
    note: str,
) -> CosignatureResult:
    try:
        checkpoint = _open(state, org, note)
    except AuditError as exc:
        return CosignatureResult(
            tree_size=None, stored=False, reason=f"not a checkpoint of this ledger: {exc.message}"
        )
    size = checkpoint.size
    name = device_cosigner_name(device_id)
    try:
        cosignature = find_cosignature(note, name, public_key)
        verify_cosignature(cosignature, checkpoint, name, public_key)
    except AuditError as exc:
        return CosignatureResult(tree_size=size, stored=False, reason=exc.message)
    stored = await ledger.checkpoint_at(conn, size) if size else None
    if stored is None:
        return CosignatureResult(
            tree_size=size, stored=False, reason=f"this ledger has no checkpoint of size {size}"
        )
    if stored[0] != checkpoint.root_hash:
        detail = (
            f"device {device_id} cosigned a checkpoint of size {size} with root "
            f"{checkpoint.root_hash.hex()}, but the ledger's root of that size is "
            f"{stored[0].hex()}: it was shown another history. Cosigned note:\n{note}"
        )
        log.error("witness fork in organization %s: %s", org, detail)
        await conn.execute(
            "INSERT INTO alarms (organization_id, alarm_id, kind, device_id, detail) "
            "VALUES ($1, $2, 'witness_fork', $3, $4)",
            org,
            uuid4(),
            device_id,
            detail,
        )
        return CosignatureResult(
            tree_size=size,
            stored=False,
            reason="the cosigned root differs from the ledger's: an administrator was alerted",
        )
    await conn.execute(
        "INSERT INTO cosignatures (organization_id, device_id, tree_size, root_hash, note, "
        "cosigned_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        org,
        device_id,
        size,
        checkpoint.root_hash,
        note,
        cosignature.timestamp,
    )
    return CosignatureResult(tree_size=size, stored=True)


async def store_cosignatures(
    state: ServerState, claims: Claims, upload: CosignatureUpload
) -> CosignatureUploadResponse:
    """Check and keep one device's cosigned checkpoints (one transaction); answer per note."""
    org = claims.organization_id
    async with transaction(state.engine, org) as conn:
        principal = await principal_of(conn, claims)
        device = await conn.fetchrow(
            "SELECT user_id, public_key, revoked_at FROM devices WHERE device_id = $1",
            upload.device_id,
        )
        if device is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                "This device is not registered in your organization.",
                hint="Register it with POST /api/v1/devices.",
            )
        if device["user_id"] != principal.user_id:
            raise forbidden("A device uploads only its own cosignatures, as its own user.")
        if device["revoked_at"] is not None:
            raise ApiError(
                403,
                "DEVICE_REVOKED",
                "This device was revoked by an administrator; its cosignatures are refused.",
                hint="Ask an administrator.",
            )
        key = bytes(device["public_key"])
        results = [
            await _store_one(conn, state, org, upload.device_id, key, note) for note in upload.notes
        ]
    return CosignatureUploadResponse(results=results)
