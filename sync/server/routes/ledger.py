"""``/api/v1/ledger``: checkpoints, signing keys and proofs of the organization's ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sync.protocol import MAX_INDEX, ConsistencyProof, InclusionProof, LedgerKey, SignedCheckpoint
from sync.server import reads
from sync.server.deps import ReadingDep, StateDep
from sync.server.errors import responses

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.get("/checkpoint", response_model=SignedCheckpoint, responses=responses(401))
async def checkpoint(reading: ReadingDep) -> SignedCheckpoint:
    """The latest signed checkpoint of your organization's ledger."""
    return await reads.current_checkpoint(reading.conn, reading.state, reading.org)


@router.get("/keys", response_model=list[LedgerKey])
async def keys(state: StateDep) -> list[LedgerKey]:
    """Every key that signs or signed checkpoints (the newest is current)."""
    name = state.settings.ledger_name
    ledger_keys = state.keys.ledger
    return [
        LedgerKey(
            name=name,
            key_id=key.key_id(name),
            public_key=key.signer.public_key,
            verifier_key=key.verifier(name),
            current=key is ledger_keys[-1],
        )
        for key in ledger_keys
    ]


@router.get("/proofs/inclusion", response_model=InclusionProof, responses=responses(401, 404, 422))
async def inclusion(
    reading: ReadingDep,
    ledger_index: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    tree_size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
) -> InclusionProof:
    """Proof that a ledger entry is in the tree of a signed checkpoint (default: latest)."""
    return await reads.inclusion(reading.conn, reading.state, reading.org, ledger_index, tree_size)


@router.get(
    "/proofs/consistency", response_model=ConsistencyProof, responses=responses(401, 404, 409, 422)
)
async def consistency(
    reading: ReadingDep,
    old_size: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    new_size: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> ConsistencyProof:
    """Proof that the tree of ``old_size`` is a prefix of a signed checkpoint's tree."""
    return await reads.consistency(reading.conn, reading.state, reading.org, old_size, new_size)
