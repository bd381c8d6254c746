"""Reading the ledger: checkpoints, proofs and pulls (entries after a cursor).

Every read answers within one signed checkpoint: entries are never newer than the checkpoint
returned with them, and proofs are computed against a checkpoint the server signed.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

import asyncpg

from app.audit.merkle import ledger_leaf
from sync.protocol import (
    MAX_PULL_LIMIT,
    ConsistencyProof,
    EventStatus,
    InclusionProof,
    LedgerEntry,
    PullResponse,
    SignedCheckpoint,
)
from sync.server.errors import ApiError
from sync.server.ledger import store as ledger
from sync.server.state import ServerState
from sync.server.witnesses import latest_cosignatures

DEFAULT_PULL_LIMIT: Final = 500


def checkpoint_model(head: ledger.SignedTreeHead) -> SignedCheckpoint:
    return SignedCheckpoint(origin=head.origin, size=head.size, root_hash=head.root, note=head.note)


def _bad_size(message: str) -> ApiError:
    return ApiError(
        409,
        "TREE_SIZE_UNKNOWN",
        message,
        hint="A device that knows a larger ledger than the server must stop syncing and report it.",
    )


async def consistency_or_none(
    conn: asyncpg.Connection, known: int | None, size: int
) -> list[bytes] | None:
    """The consistency proof from ``known`` to ``size`` (None when ``known`` is not given)."""
    if known is None:
        return None
    if known > size:
        raise _bad_size(f"known_size {known} is larger than this ledger's {size} entries.")
    return await ledger.consistency_proof(conn, known, size)


async def _latest(conn: asyncpg.Connection, state: ServerState, org: UUID) -> ledger.SignedTreeHead:
    return await ledger.latest_checkpoint(conn, org, state.keys.signing, state.settings.ledger_name)


async def _checkpoint(
    conn: asyncpg.Connection, state: ServerState, org: UUID, size: int | None
) -> ledger.SignedTreeHead:
    latest = await _latest(conn, state, org)
    if size is None or size == latest.size:
        return latest
    found = await ledger.checkpoint_at(conn, size)
    if found is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"There is no signed checkpoint of tree size {size}.",
            hint="Use the size of a checkpoint you received, or leave it out for the latest.",
        )
    return ledger.SignedTreeHead(latest.origin, size, found[0], found[1])


async def witnessed_checkpoint(
    conn: asyncpg.Connection, head: ledger.SignedTreeHead
) -> SignedCheckpoint:
    """The checkpoint with each device's newest cosignature within its tree (witnesses)."""
    return SignedCheckpoint(
        origin=head.origin,
        size=head.size,
        root_hash=head.root,
        note=head.note,
        cosignatures=await latest_cosignatures(conn, head.size),
    )


async def current_checkpoint(
    conn: asyncpg.Connection, state: ServerState, org: UUID
) -> SignedCheckpoint:
    return await witnessed_checkpoint(conn, await _latest(conn, state, org))


async def inclusion(
    conn: asyncpg.Connection,
    state: ServerState,
    org: UUID,
    ledger_index: int,
    tree_size: int | None,
) -> InclusionProof:
    """The proof that entry ``ledger_index`` is in the tree of a signed checkpoint."""
    head = await _checkpoint(conn, state, org, tree_size)
    if not 1 <= ledger_index <= head.size:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Ledger entry {ledger_index} is not in the tree of size {head.size}.",
        )
    row = await conn.fetchrow(
        "SELECT hash, signature, received_at FROM events WHERE ledger_index = $1",
        ledger_index,
    )
    if row is None:
        raise ApiError(404, "NOT_FOUND", f"Ledger entry {ledger_index} was not found.")
    path = await ledger.inclusion_proof(conn, ledger_index - 1, head.size)
    leaf = ledger_leaf(row["hash"], bytes(row["signature"]), ledger_index, row["received_at"])
    return InclusionProof(
        ledger_index=ledger_index,
        tree_size=head.size,
        leaf=leaf,
        proof=path,
        checkpoint=checkpoint_model(head),
    )


async def consistency(
    conn: asyncpg.Connection, state: ServerState, org: UUID, old_size: int, new_size: int | None
) -> ConsistencyProof:
    """The proof that the tree of ``old_size`` is a prefix of a signed checkpoint's tree."""
    head = await _checkpoint(conn, state, org, new_size)
    if old_size > head.size:
        raise _bad_size(f"old_size {old_size} is larger than the tree of {head.size}.")
    proof = await ledger.consistency_proof(conn, old_size, head.size)
    return ConsistencyProof(
        old_size=old_size, new_size=head.size, proof=proof, checkpoint=checkpoint_model(head)
    )


async def pull(
    conn: asyncpg.Connection,
    state: ServerState,
    org: UUID,
    after: int,
    limit: int,
    known_size: int | None,
) -> PullResponse:
    """Entries after ``after`` (a tree size) up to ``limit``, within the latest checkpoint."""
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    head = await _latest(conn, state, org)
    rows = await conn.fetch(
        "SELECT ledger_index, received_at, canonical, hash, signature, status, reason "
        "FROM events WHERE ledger_index > $1 AND ledger_index <= $2 "
        "ORDER BY ledger_index LIMIT $3",
        after,
        head.size,
        limit,
    )
    proof = await consistency_or_none(conn, known_size, head.size)
    entries = [
        LedgerEntry(
            ledger_index=row[0],
            received_at=row[1],
            canonical=bytes(row[2]),
            hash=row[3],
            signature=bytes(row[4]),
            status=EventStatus(row[5]),
            reason=row[6],
        )
        for row in rows
    ]
    last = entries[-1].ledger_index if entries else after
    return PullResponse(
        entries=entries,
        checkpoint=await witnessed_checkpoint(conn, head),
        consistency_proof=proof,
        next_after=last,
        more=last < head.size,
    )
