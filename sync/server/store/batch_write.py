"""A unit's ledger writes in one statement: entries, Merkle nodes, sequencer row, checkpoint,
fold states and device heads.

One round trip instead of six: the statement's data-modifying parts run once each, in the
unit's transaction, after the sequencer lock. Columns of values that never need quoting
(numbers, UUIDs, hex hashes, type names: the envelope rules hold for every sealed event) travel
as array literals, and the signatures, canonical bytes and node hashes as one byte string each
with their offsets: asyncpg would otherwise encode and type-check every element in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Final
from uuid import UUID

import asyncpg

from app.audit.envelope import SealedEvent

_PLAIN: Final = re.compile(r"\{[0-9a-z_.,-]*\}")
_NULL: Final = re.compile(r"[{,]null[,}]")
"""An unquoted element spelled NULL is the null value, not the text."""
_PARENTS: Final = re.compile(r'\{(?:"[0-9a-f,]*",?)*\}')

WRITE: Final = """
WITH entries AS (
    INSERT INTO events (organization_id, ledger_index, event_id, device_id, device_seq,
        actor_id, entity_type, entity_id, type, hash, parents, signature, canonical,
        received_at, status, reason)
    SELECT $1, x.i, x.e, x.d, x.s, x.a, x.et, x.ei, x.t, x.h, string_to_array(x.p, ','),
        substring($3::bytea FROM x.n::int * 64 - 63 FOR 64),
        substring($4::bytea FROM x.o FOR x.l), $2, x.st, x.r
    FROM unnest($5::text::bigint[], $6::text::uuid[], $7::text::uuid[], $8::text::bigint[],
        $9::text::uuid[], $10::text::text[], $11::text::uuid[], $12::text::text[],
        $13::text::text[], $14::text::text[], $15::text::int[], $16::text::int[],
        $17::text::text[], $18::text[])
        WITH ORDINALITY AS x(i, e, d, s, a, et, ei, t, h, p, o, l, st, r, n)
), nodes AS (
    INSERT INTO ledger_nodes (organization_id, level, node_index, hash)
    SELECT $1, y.lv, y.ix, substring($21::bytea FROM y.n::int * 32 - 31 FOR 32)
    FROM unnest($19::text::smallint[], $20::text::bigint[]) WITH ORDINALITY AS y(lv, ix, n)
), head AS (
    UPDATE ledger_heads SET size = $22, subtree_roots = $23 WHERE organization_id = $1
), checkpoint AS (
    INSERT INTO checkpoints (organization_id, tree_size, root_hash, note)
    VALUES ($1, $22, $24, $25) ON CONFLICT DO NOTHING
), states AS (
    INSERT INTO entity_states (organization_id, entity_id, entity_type, state, last_index)
    SELECT $1, z.id, z.kind, z.state::jsonb, $26
    FROM unnest($27::uuid[], $28::text[], $29::text[]) AS z(id, kind, state)
    ON CONFLICT (organization_id, entity_id)
    DO UPDATE SET state = EXCLUDED.state, last_index = EXCLUDED.last_index
), heads AS (
    UPDATE devices SET head_seq = w.seq, head_hash = w.hash, last_seen_at = now(),
        clock_offset_ms = coalesce(w.offset_ms, devices.clock_offset_ms)
    FROM unnest($30::uuid[], $31::bigint[], $32::text[], $33::bigint[])
        AS w(id, seq, hash, offset_ms)
    WHERE devices.device_id = w.id
)
SELECT 1
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One appended ledger entry as it is stored."""

    index: int
    sealed: SealedEvent
    outcome: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class DeviceHead:
    """A device's chain head after the unit, and its clock offset if the push told it."""

    device_id: UUID
    seq: int
    hash: str
    clock_offset_ms: int | None


def plain_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of values that need no quoting; refuses any other value."""
    literal = "{" + ",".join(map(str, values)) + "}"
    if not _PLAIN.fullmatch(literal) or _NULL.search(literal):
        raise ValueError("an array value needs quoting")
    return literal


def _parents_array(parents: Iterable[Sequence[str]]) -> str:
    """Each event's parent hashes as one comma-separated element (``string_to_array``)."""
    literal = "{" + ",".join('"' + ",".join(hashes) + '"' for hashes in parents) + "}"
    if not _PARENTS.fullmatch(literal):
        raise ValueError("a parent is not a hex hash")
    return literal


async def write_batch(
    conn: asyncpg.Connection,
    org: UUID,
    received_at: str,
    entries: Sequence[Entry],
    nodes: Sequence[tuple[int, int, bytes]],
    size: int,
    roots: Sequence[bytes],
    checkpoint: tuple[bytes, str],
    states: Sequence[tuple[UUID, str, str]],
    last_index: int,
    devices: Sequence[DeviceHead],
) -> None:
    """Write a unit's entries, the nodes they complete, the new tree head and its signed
    checkpoint, the fold states and the device heads in one statement."""
    bodies = [e.sealed.body for e in entries]
    lengths = [len(e.sealed.canonical) for e in entries]
    offsets = [end - length + 1 for end, length in zip(accumulate(lengths), lengths, strict=True)]
    if any(len(e.sealed.signature) != 64 for e in entries) or any(len(h) != 32 for *_, h in nodes):
        raise ValueError("a signature is 64 bytes and a node hash 32")
    root, note = checkpoint
    await conn.execute(
        WRITE,
        org,
        received_at,
        b"".join(e.sealed.signature for e in entries),
        b"".join(e.sealed.canonical for e in entries),
        plain_array(e.index for e in entries),
        plain_array(b.event_id for b in bodies),
        plain_array(b.device_id for b in bodies),
        plain_array(b.device_seq for b in bodies),
        plain_array(b.actor_id for b in bodies),
        plain_array(b.entity_type for b in bodies),
        plain_array(b.entity_id for b in bodies),
        plain_array(b.type for b in bodies),
        plain_array(e.sealed.hash for e in entries),
        _parents_array(b.entity_parents for b in bodies),
        plain_array(offsets),
        plain_array(lengths),
        plain_array(e.outcome for e in entries),
        [e.reason for e in entries],
        plain_array(level for level, _, _ in nodes),
        plain_array(index for _, index, _ in nodes),
        b"".join(digest for _, _, digest in nodes),
        size,
        list(roots),
        root,
        note,
        last_index,
        [entity for entity, _, _ in states],
        [kind for _, kind, _ in states],
        [state for _, _, state in states],
        [d.device_id for d in devices],
        [d.seq for d in devices],
        [d.hash for d in devices],
        [d.clock_offset_ms for d in devices],
    )
