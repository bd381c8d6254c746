"""The ledger in PostgreSQL: the sequencer row, stored subtree hashes, signed checkpoints, proofs.

Appending locks the organization's ``ledger_heads`` row ``FOR UPDATE`` first and holds it until
the transaction ends, so ledger indexes are handed out in commit order with no gaps, whichever
process appends. The checkpoint of the new size is signed in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from app.audit.checkpoint import Checkpoint, sign_checkpoint, sign_note
from app.audit.merkle import EMPTY_ROOT
from sync.server.keys import LedgerKey
from sync.server.ledger.tree import (
    Node,
    consistency_ranges,
    inclusion_ranges,
    nodes_for,
    proof,
    root_of,
)


@dataclass(frozen=True, slots=True)
class LedgerHead:
    """The sequencer row as locked: tree size and perfect-subtree roots."""

    size: int
    roots: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A checkpoint and its signed note."""

    origin: str
    size: int
    root: bytes
    note: str


class LedgerMissing(Exception):
    """The organization has no ledger row (it does not exist for this tenant)."""


def origin_of(name: str, org: UUID) -> str:
    """The log origin of an organization's ledger."""
    return f"{name}/{org}"


async def lock_head(conn: asyncpg.Connection, org: UUID) -> LedgerHead:
    """Lock the sequencer row until the transaction ends and read it."""
    row = await conn.fetchrow(
        "SELECT size, subtree_roots FROM ledger_heads WHERE organization_id = $1 FOR UPDATE", org
    )
    if row is None:
        raise LedgerMissing(str(org))
    return LedgerHead(int(row["size"]), tuple(row["subtree_roots"]))


def sign(origin: str, size: int, root: bytes, keys: Sequence[LedgerKey], name: str) -> str:
    """The checkpoint as a signed note, signed by every key in ``keys`` (current last)."""
    checkpoint = Checkpoint(origin, size, root)
    *older, current = keys
    note = sign_checkpoint(checkpoint, name, current.signer)
    for key in older:
        line = sign_note(checkpoint.body(), name, key.signer).rsplit("\n", 2)[-2]
        note += line + "\n"
    return note


def signed_head(
    org: UUID, head: LedgerHead, keys: Sequence[LedgerKey], name: str
) -> SignedTreeHead:
    """The signed checkpoint of ``head`` (stored by the append that made it)."""
    origin = origin_of(name, org)
    root = root_of(head.roots)
    return SignedTreeHead(origin, head.size, root, sign(origin, head.size, root, keys, name))


async def latest_checkpoint(
    conn: asyncpg.Connection, org: UUID, keys: Sequence[LedgerKey], name: str
) -> SignedTreeHead:
    """The newest signed checkpoint (the empty tree's, signed now, before the first entry)."""
    row = await conn.fetchrow(
        "SELECT tree_size, root_hash, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1",
    )
    origin = origin_of(name, org)
    if row is None:
        return SignedTreeHead(origin, 0, EMPTY_ROOT, sign(origin, 0, EMPTY_ROOT, keys, name))
    return SignedTreeHead(origin, int(row["tree_size"]), bytes(row["root_hash"]), row["note"])


async def checkpoint_at(conn: asyncpg.Connection, size: int) -> tuple[bytes, str] | None:
    """The stored checkpoint of tree size ``size``: its root and note."""
    row = await conn.fetchrow("SELECT root_hash, note FROM checkpoints WHERE tree_size = $1", size)
    return None if row is None else (bytes(row["root_hash"]), row["note"])


async def _nodes(conn: asyncpg.Connection, wanted: set[Node]) -> dict[Node, bytes]:
    if not wanted:
        return {}
    levels, indexes = zip(*sorted(wanted), strict=True)
    rows = await conn.fetch(
        "SELECT n.level, n.node_index, n.hash FROM ledger_nodes n "
        "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, node_index) "
        "ON n.level = w.level AND n.node_index = w.node_index",
        list(levels),
        list(indexes),
    )
    found = {(int(r["level"]), int(r["node_index"])): bytes(r["hash"]) for r in rows}
    if len(found) != len(wanted):
        raise RuntimeError("the ledger is missing stored subtree hashes")
    return found


async def inclusion_proof(conn: asyncpg.Connection, leaf_index: int, size: int) -> list[bytes]:
    """The audit path of 0-based leaf ``leaf_index`` in the tree of ``size`` leaves."""
    ranges = inclusion_ranges(leaf_index, size)
    return proof(ranges, await _nodes(conn, nodes_for(ranges)))


async def consistency_proof(conn: asyncpg.Connection, old: int, new: int) -> list[bytes]:
    """The proof that the tree of ``old`` leaves is a prefix of the tree of ``new``."""
    ranges = consistency_ranges(old, new)
    return proof(ranges, await _nodes(conn, nodes_for(ranges)))
