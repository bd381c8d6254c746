"""Folding pulled ledger entries into a local store, inside the sync transaction.

Pulled events are stored beside the device's own (the same ``events`` table), each with the
ledger's answer in ``sync_events``. Every entity they touch is folded again from the start
(or from its snapshot base) with the shared conflict-aware fold (``app.domain.fold``): first
its events in ledger order, exactly as the server folded them, then this device's pending
events on top, in the order they were recorded. After a full sync the projections therefore
equal the server's, and the conflict records are the ledger fold's (pending events make none:
the server decides when they arrive).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from app.audit.envelope import SealedEvent
from app.domain import fold
from app.domain.events import Event, Rejection
from app.store.compiled_sql import Db
from app.store.eventlog import decode_event, event_row
from app.store.mapping import ENTITY_MAPPINGS, REJECTIONS, STATUS_CHANGES
from app.store.sync_schema import PushStatus
from app.store.sync_state import ConflictValues, conflict_json
from app.store.write_behind import INSERT_EVENT, UPSERT_ENTITY_HEAD

PENDING_ORDER: Final = 2**53
"""Pending events fold after every ledger entry: their order is this plus their position."""

_ENTITY_EVENTS = (
    "SELECT e.position, e.canonical, e.hash, s.ledger_index, s.status, s.reason "
    "FROM events e LEFT JOIN sync_events s ON s.event_id = e.event_id WHERE e.entity_id = ?"
)
LOOKUP_BATCH: Final = 500
"""Event ids looked up per query (SQLite allows 32766 parameters; this stays well below)."""
_BASE = "SELECT entity_type, doc, heads FROM sync_bases WHERE entity_id = ?"


@dataclass(frozen=True, slots=True)
class PulledEvent:
    """A verified ledger entry: the sealed event and the ledger's answer for it."""

    sealed: SealedEvent
    ledger_index: int
    status: PushStatus
    reason: str | None


@dataclass(slots=True)
class FoldResult:
    """What folding the touched entities found."""

    conflicts: list[ConflictValues]
    resolved: list[tuple[str, str]]
    """``(conflict_id, resolving event_id)``."""


class ForeignEventError(Exception):
    """A pulled event has the id of a stored event but other bytes."""


async def store_pulled(db: Db, pulled: Iterable[PulledEvent]) -> list[PulledEvent]:
    """Insert the pulled events this store does not hold yet; returns those inserted.

    An event already held (the device's own, pushed earlier) must be the same bytes.
    """
    items = list(pulled)
    held: dict[str, str] = {}
    for start in range(0, len(items), LOOKUP_BATCH):
        ids = [item.sealed.body.event_id for item in items[start : start + LOOKUP_BATCH]]
        marks = ", ".join("?" for _ in ids)
        rows = await db.fetchall(
            f"SELECT event_id, hash FROM events WHERE event_id IN ({marks})", ids
        )
        held.update((str(event_id), str(digest)) for event_id, digest in rows)
    new: list[PulledEvent] = []
    for item in items:
        found = held.get(item.sealed.body.event_id)
        if found is None:
            new.append(item)
        elif found != item.sealed.hash:
            raise ForeignEventError(
                f"The ledger holds event {item.sealed.body.event_id} with hash "
                f"{item.sealed.hash}, but this store holds it with hash {found}."
            )
    if new:
        await db.executemany(INSERT_EVENT.text, [event_row(item.sealed) for item in new])
    return new


def _parents(canonical: bytes) -> list[str]:
    return list(json.loads(canonical)["entity_parents"])


async def refold_entities(db: Db, entities: Iterable[str]) -> FoldResult:
    """Fold each entity again from its events (ledger order, then pending) and store it."""
    result = FoldResult([], [])
    for entity_id in sorted(set(entities)):
        await _refold(db, entity_id, result)
    return result


async def _refold(db: Db, entity_id: str, result: FoldResult) -> None:
    rows = await db.fetchall(_ENTITY_EVENTS, (entity_id,))
    ledgered = sorted(
        (r for r in rows if r[3] is not None and r[4] != PushStatus.REFUSED.value),
        key=lambda r: int(r[3]),
    )
    pending = sorted(
        (r for r in rows if r[3] is None or r[4] == PushStatus.REFUSED.value),
        key=lambda r: int(r[0]),
    )
    current: Any = None
    state = fold.EntityState()
    kind: str | None = None
    base = await db.fetchone(_BASE, (entity_id,))
    if base is not None:
        kind = str(base[0])
        mapping = ENTITY_MAPPINGS.get(kind)
        current = None if mapping is None else mapping.load(str(base[1]))
        state = fold.EntityState(tuple(json.loads(base[2])))
    graph = fold.EventGraph()
    status_changes: list[Any] = []
    rejections: list[Rejection] = []
    event_ids: list[str] = []
    for position, canonical, digest, index, status, reason in (*ledgered, *pending):
        canonical = bytes(canonical)
        event = decode_event(canonical, str(digest))
        kind = event.entity_type
        event_ids.append(str(event.event_id))
        parents = _parents(canonical)
        in_ledger = index is not None and status != PushStatus.REFUSED.value
        order = int(index) if in_ledger else PENDING_ORDER + int(position)
        if in_ledger and status == PushStatus.REJECTED.value:
            # the server refused it against the ledger state: it folds into nothing
            state = fold.EntityState(
                fold.next_heads(state, parents, event.hash), state.writers, state.open
            )
            rejections.append(Rejection.of(event, str(reason or "rejected by the server")))
        else:
            decision = fold.decide(current, state, event, parents, order, graph)
            current, state = decision.projection, decision.state
            if decision.outcome == "rejected":
                rejections.append(Rejection.of(event, decision.reason or "rejected"))
            elif decision.status_change is not None:
                status_changes.append(decision.status_change)
            if in_ledger:
                result.conflicts.extend(_conflict(event, c) for c in decision.conflicts)
                result.resolved.extend((c, str(event.event_id)) for c in decision.resolved)
        graph.add(event.hash, parents, order)
    await _write(db, entity_id, kind, current, state, event_ids, status_changes, rejections)


def _conflict(event: Event, record: fold.ConflictRecord) -> ConflictValues:
    return ConflictValues(
        conflict_id=record.conflict_id,
        entity_type=event.entity_type,
        entity_id=str(event.entity_id),
        field=record.field,
        kept_value=conflict_json(record.kept.value),
        other_value=conflict_json(record.other.value),
        kept_event_id=record.kept.event_id,
        other_event_id=record.other.event_id,
        kept_hash=record.kept.hash,
        other_hash=record.other.hash,
    )


async def _write(
    db: Db,
    entity_id: str,
    kind: str | None,
    current: Any,
    state: fold.EntityState,
    event_ids: list[str],
    status_changes: list[Any],
    rejections: list[Rejection],
) -> None:
    mapping = None if kind is None else ENTITY_MAPPINGS.get(kind)
    if mapping is not None:
        await db.execute(f"DELETE FROM {mapping.table_name} WHERE {mapping.key} = ?", (entity_id,))
        if current is not None:
            await db.execute(mapping.upsert.text, mapping.values(current))
    if event_ids:
        marks = ", ".join("?" for _ in event_ids)
        for table in (STATUS_CHANGES.table_name, REJECTIONS.table_name):
            await db.execute(f"DELETE FROM {table} WHERE event_id IN ({marks})", event_ids)
    if status_changes:
        await db.executemany(
            STATUS_CHANGES.upsert.text, [STATUS_CHANGES.values(c) for c in status_changes]
        )
    if rejections:
        await db.executemany(REJECTIONS.upsert.text, [REJECTIONS.values(r) for r in rejections])
    await db.execute(UPSERT_ENTITY_HEAD.text, (entity_id, json.dumps(sorted(state.heads))))
