"""The paged snapshot: an organization's projections exactly as they were at one ledger index.

A new device bootstraps from it, then pulls from that index. The pages are served by any
process without server-side state: each row records the ledger index of the last event folded
into it; rows no newer than the snapshot's index are served as stored, and the few changed
since are folded again from their events up to that index with the same fold
(``app.domain.fold``). Items come kind by kind (devices first, conflicts last), by key.
"""

from __future__ import annotations

import json
from typing import Any, Final
from uuid import UUID

import asyncpg

from app.domain import fold
from app.domain.enums import ConflictStatus
from app.domain.work import ConflictRecord
from sync.protocol import SnapshotItem, SnapshotPage, b64
from sync.server.errors import ApiError
from sync.server.ledger import store as ledger
from sync.server.reads import checkpoint_model
from sync.server.state import ServerState
from sync.server.store import mappings as m
from sync.server.store.appender import decode_event

KINDS: Final = ("device", *m.ENTITY_MAPPINGS, "status_change", "conflict")
"""The order the snapshot serves its kinds in."""


def _bad_cursor() -> ApiError:
    return ApiError(
        422, "VALIDATION_ERROR", "cursor is not one this server gave; start without it."
    )


def _parse_cursor(cursor: str | None) -> tuple[int, str]:
    if not cursor:
        return 0, ""
    kind, _, key = cursor.partition(":")
    if kind not in KINDS:
        raise _bad_cursor()
    try:
        if key:
            UUID(key)
    except ValueError:
        raise _bad_cursor() from None
    return KINDS.index(kind), key


async def page(
    conn: asyncpg.Connection,
    state: ServerState,
    org: UUID,
    at: int | None,
    cursor: str | None,
    limit: int,
) -> SnapshotPage:
    """One page of the snapshot at ``at`` (default: the latest checkpoint)."""
    kind_index, after = _parse_cursor(cursor)
    latest = await ledger.latest_checkpoint(
        conn, org, state.keys.signing, state.settings.ledger_name
    )
    if at is None or at == latest.size:
        head = latest
    else:
        found = await ledger.checkpoint_at(conn, at)
        if found is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"There is no signed checkpoint at ledger index {at}.",
                hint="Start the snapshot without 'at' and keep the 'at' it answers.",
            )
        head = ledger.SignedTreeHead(latest.origin, at, found[0], found[1])
    items: list[SnapshotItem] = []
    next_cursor: str | None = None
    while kind_index < len(KINDS):
        kind = KINDS[kind_index]
        got = await _items(conn, kind, head.size, after, limit - len(items))
        items.extend(got)
        if len(items) >= limit:
            next_cursor = f"{kind}:{items[-1].key}"
            break
        kind_index, after = kind_index + 1, ""
    return SnapshotPage(
        at=head.size, checkpoint=checkpoint_model(head), items=items, next_cursor=next_cursor
    )


def _after(after: str) -> UUID:
    return UUID(after) if after else UUID(int=0)


async def _items(
    conn: asyncpg.Connection, kind: str, at: int, after: str, limit: int
) -> list[SnapshotItem]:
    if kind == "device":
        return await _devices(conn, at, after, limit)
    if kind == "status_change":
        rows = await conn.fetch(
            "SELECT event_id, doc::text FROM status_changes WHERE last_index <= $1 "
            "AND event_id > $2 ORDER BY event_id LIMIT $3",
            at,
            _after(after),
            limit,
        )
        return [SnapshotItem(kind=kind, key=str(r[0]), data=json.loads(r[1])) for r in rows]
    if kind == "conflict":
        return await _conflicts(conn, at, after, limit)
    return await _entities(conn, kind, at, after, limit)


async def _devices(conn: asyncpg.Connection, at: int, after: str, limit: int) -> list[SnapshotItem]:
    rows = await conn.fetch(
        "SELECT d.device_id, d.user_id, d.public_key, d.label, d.revoked_at, "
        "coalesce(h.device_seq, 0) AS head_seq, h.hash AS head_hash FROM devices d "
        "LEFT JOIN LATERAL (SELECT device_seq, hash FROM events e WHERE e.device_id = d.device_id "
        "AND e.ledger_index <= $1 ORDER BY device_seq DESC LIMIT 1) h ON true "
        "WHERE d.device_id > $2 ORDER BY d.device_id LIMIT $3",
        at,
        _after(after),
        limit,
    )
    return [
        SnapshotItem(
            kind="device",
            key=str(r["device_id"]),
            data={
                "device_id": str(r["device_id"]),
                "user_id": None if r["user_id"] is None else str(r["user_id"]),
                "public_key": b64(bytes(r["public_key"])),
                "label": r["label"],
                "revoked_at": None if r["revoked_at"] is None else r["revoked_at"].isoformat(),
                "head_seq": r["head_seq"],
                "head_hash": r["head_hash"],
            },
        )
        for r in rows
    ]


async def _entities(
    conn: asyncpg.Connection, kind: str, at: int, after: str, limit: int
) -> list[SnapshotItem]:
    mapping = m.ENTITY_MAPPINGS[kind]
    items: list[SnapshotItem] = []
    cursor = _after(after)
    while len(items) < limit:
        rows = await conn.fetch(
            f"SELECT p.id, p.doc::text, p.last_index, s.state::text, s.last_index "
            f"FROM {mapping.table} p LEFT JOIN entity_states s ON s.entity_id = p.id "
            f"WHERE p.id > $1 ORDER BY p.id LIMIT $2",
            cursor,
            limit - len(items),
        )
        if not rows:
            break
        for entity_id, doc, row_index, state_text, state_index in rows:
            if row_index <= at and (state_index or 0) <= at:
                state = fold.EntityState.from_json(json.loads(state_text or "{}"))
                items.append(_entity(kind, entity_id, json.loads(doc), state))
                continue
            refolded = await _refold(conn, entity_id, at)
            if refolded is not None:
                projection, state = refolded
                items.append(_entity(kind, entity_id, projection.model_dump(mode="json"), state))
        cursor = rows[-1][0]
    return items


def _entity(
    kind: str, entity_id: UUID, data: dict[str, Any], state: fold.EntityState
) -> SnapshotItem:
    return SnapshotItem(
        kind=kind, key=str(entity_id), data=data, heads=list(state.heads), state=state.to_json()
    )


async def _refold(
    conn: asyncpg.Connection, entity_id: UUID, at: int
) -> tuple[Any, fold.EntityState] | None:
    """The entity's projection and fold state at ``at``, folded again from its events."""
    rows = await conn.fetch(
        "SELECT ledger_index, canonical, hash, parents, status FROM events "
        "WHERE entity_id = $1 AND ledger_index <= $2 ORDER BY ledger_index",
        entity_id,
        at,
    )
    graph = fold.EventGraph()
    state = fold.EntityState()
    current: Any = None
    for index, canonical, digest, parents, status in rows:
        if status == "accepted":
            event = decode_event(bytes(canonical), digest)
            decision = fold.decide(current, state, event, parents, index, graph)
            current, state = decision.projection, decision.state
        else:
            state = fold.EntityState(
                fold.next_heads(state, parents, digest), state.writers, state.open
            )
        graph.add(digest, parents, index)
    return None if current is None else (current, state)


async def _conflicts(
    conn: asyncpg.Connection, at: int, after: str, limit: int
) -> list[SnapshotItem]:
    rows = await conn.fetch(
        "SELECT c.conflict_id, c.doc::text, c.last_index, k.ledger_index AS created, "
        "r.ledger_index AS resolved FROM conflicts c "
        "JOIN events k ON k.event_id = c.kept_event_id "
        "LEFT JOIN events r ON r.event_id = (c.doc->>'resolution_event_id')::uuid "
        "WHERE k.ledger_index <= $1 AND c.conflict_id > $2 ORDER BY c.conflict_id LIMIT $3",
        at,
        _after(after),
        limit,
    )
    items = []
    for conflict_id, doc, _last, _created, resolved in rows:
        record = ConflictRecord.model_validate_json(doc)
        if resolved is not None and resolved > at:
            record = record.model_copy(
                update={"status": ConflictStatus.OPEN, "resolution_event_id": None}
            )
        items.append(
            SnapshotItem(kind="conflict", key=str(conflict_id), data=record.model_dump(mode="json"))
        )
    return items
