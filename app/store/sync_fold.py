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
from dataclasses import dataclass, field
from typing import Any, Final

from app.audit.envelope import SealedEvent
from app.domain import fold
from app.domain.events import Event, Rejection
from app.store.compiled_sql import Db, Row
from app.store.eventlog import event_of_body, event_row
from app.store.mapping import ENTITY_MAPPINGS, REJECTIONS, STATUS_CHANGES
from app.store.sync_schema import PushStatus
from app.store.sync_state import ConflictValues, conflict_json
from app.store.write_behind import INSERT_EVENT, UPSERT_ENTITY_HEAD

PENDING_ORDER: Final = 2**53
"""Pending events fold after every ledger entry: their order is this plus their position."""

_ENTITY_EVENTS = (
    "SELECT e.entity_id, e.position, e.canonical, e.hash, s.ledger_index, s.status, s.reason "
    "FROM events e LEFT JOIN sync_events s ON s.event_id = e.event_id WHERE e.entity_id IN "
)
_LATER_EVENTS = (
    "SELECT e.entity_id, e.position, e.canonical, e.hash, s.ledger_index, s.status, s.reason "
    "FROM events e LEFT JOIN sync_events s ON s.event_id = e.event_id WHERE (s.ledger_index "
    "IS NULL OR s.ledger_index > ? OR s.status = ?) AND e.entity_id IN "
)
"""``_ENTITY_EVENTS`` without the ledger entries up to a given index (already folded)."""
LOOKUP_BATCH: Final = 500
"""Event ids looked up per query (SQLite allows 32766 parameters; this stays well below)."""
_BASES = "SELECT entity_id, entity_type, doc, heads, state FROM sync_bases WHERE entity_id IN "


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


@dataclass(slots=True)
class _Folded:
    """An entity folded through the ledger up to ``upto``: where the next page continues."""

    upto: int
    kind: str | None
    current: Any
    state: fold.EntityState
    graph: fold.EventGraph
    unwritten: tuple[list[Any], list[Rejection], list[str]]
    """Status changes, rejections and event ids folded but not stored yet (the entity's
    write waits for its own events further on in the ledger)."""


class FoldCache:
    """Entities folded through the verified ledger so far, kept for the rest of one pull run.

    A pull run folds each page's touched entities; without this each page folds them again
    from their first event, so a long pull does work that grows with the square of the
    entities' histories. With it, a page folds only the entries it brings on top of what the
    pages before folded (then the device's pending events, as always): the same decisions in
    the same order. Valid only while the ledger prefix it holds cannot change, that is for the
    pages of one run applied in order; a failed page ends the run and the cache with it.
    """

    def __init__(self) -> None:
        self._entities: dict[str, _Folded] = {}

    def get(self, entity_id: str) -> _Folded | None:
        return self._entities.get(entity_id)

    def keep(self, entity_id: str, folded: _Folded) -> None:
        self._entities[entity_id] = folded


async def refold_entities(
    db: Db, entities: Iterable[str], *, cache: FoldCache | None = None, upto: int = 0
) -> FoldResult:
    """Fold each entity again from its events (ledger order, then pending) and store it.

    With ``cache``, every ledger entry up to ``upto`` is held in the store (a verified pull
    page ends there) and each entity continues from where ``cache`` left it. The events and
    bases are read, and the results written, a few statements for all the entities at once.
    """
    result = FoldResult([], [])
    wanted = sorted(set(entities))
    fresh = [e for e in wanted if cache is None or cache.get(e) is None]
    rows = await _grouped(db, _ENTITY_EVENTS, fresh)
    if cache is not None and len(fresh) < len(wanted):
        # the cached entities' ledger entries up to where the cache folded them are not needed
        continued = [e for e in wanted if cache.get(e) is not None]
        folded = min(known.upto for e in continued if (known := cache.get(e)) is not None)
        after = (folded, PushStatus.REFUSED.value)
        rows.update(await _grouped(db, _LATER_EVENTS, continued, after))
    bases = {e: found[0] for e, found in (await _grouped(db, _BASES, fresh)).items()}
    folds = []
    for entity_id in wanted:
        work = _refold(
            entity_id, rows.get(entity_id, []), bases.get(entity_id), result, cache, upto
        )
        if work is not None:
            folds.append((entity_id, work))
    await _write(db, folds)
    return result


async def _grouped(
    db: Db, query: str, entity_ids: list[str], before: tuple[object, ...] = ()
) -> dict[str, list[Row]]:
    """The rows of ``query`` (its first column an entity id) for ``entity_ids``, by entity;
    ``before``: the values of the query's parameters ahead of the ids."""
    found: dict[str, list[Row]] = {}
    for start in range(0, len(entity_ids), LOOKUP_BATCH):
        ids = entity_ids[start : start + LOOKUP_BATCH]
        marks = ", ".join("?" for _ in ids)
        for row in await db.fetchall(f"{query}({marks})", (*before, *ids)):
            found.setdefault(str(row[0]), []).append(row[1:])
    return found


@dataclass(slots=True)
class _Fold:
    """An entity's fold under way."""

    kind: str | None
    current: Any
    state: fold.EntityState
    graph: fold.EventGraph
    status_changes: list[Any] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    def step(self, row: Any, result: FoldResult, *, settled: bool = True) -> None:
        """Fold one stored event (a row of ``_ENTITY_EVENTS``).

        The conflicts a ledger entry decides are reported only when it is ``settled``: every
        entry before it is in the store, so it meets the state the server's fold met.
        """
        position, canonical, digest, index, status, reason = row
        body = json.loads(bytes(canonical))
        event = event_of_body(body, str(digest))
        self.event_ids.append(str(event.event_id))
        parents = list(body["entity_parents"])
        in_ledger = index is not None and status != PushStatus.REFUSED.value
        order = int(index) if in_ledger else PENDING_ORDER + int(position)
        state = self.state
        if in_ledger and status == PushStatus.REJECTED.value:
            # the server refused it against the ledger state: it folds into nothing
            self.state = fold.EntityState(
                fold.next_heads(state, parents, event.hash), state.writers, state.open
            )
            self.rejections.append(Rejection.of(event, str(reason or "rejected by the server")))
        else:
            decision = fold.decide(
                self.current, state, event, parents, order, self.graph, self.kind
            )
            self.current, self.state = decision.projection, decision.state
            if decision.outcome == "accepted" and self.kind is None:
                self.kind = event.entity_type
            if decision.outcome == "rejected":
                self.rejections.append(Rejection.of(event, decision.reason or "rejected"))
            elif decision.status_change is not None:
                self.status_changes.append(decision.status_change)
            if in_ledger and settled:
                result.conflicts.extend(_conflict(event, c) for c in decision.conflicts)
                result.resolved.extend((c, str(event.event_id)) for c in decision.resolved)
        self.graph.add(event.hash, parents, order)


def _start(base: Row | None) -> _Fold:
    """The fold of an entity before its first event (or from its snapshot ``base``)."""
    if base is None:
        return _Fold(None, None, fold.EntityState(), fold.EventGraph())
    kind = str(base[0])
    mapping = ENTITY_MAPPINGS.get(kind)
    current = None if mapping is None else mapping.load(str(base[1]))
    state = (
        fold.EntityState(tuple(json.loads(base[2])))
        if base[3] is None
        else fold.EntityState.from_json(json.loads(base[3]))
    )
    return _Fold(kind, current, state, fold.EventGraph())


def _refold(
    entity_id: str,
    rows: list[Row],
    base: Row | None,
    result: FoldResult,
    cache: FoldCache | None,
    upto: int,
) -> _Fold | None:
    ledgered = sorted(
        (r for r in rows if r[3] is not None and r[4] != PushStatus.REFUSED.value),
        key=lambda r: int(r[3]),
    )
    pending = sorted(
        (r for r in rows if r[3] is None or r[4] == PushStatus.REFUSED.value),
        key=lambda r: int(r[0]),
    )
    if cache is None:
        work = _start(base)
        for row in (*ledgered, *pending):
            work.step(row, result)
        return work
    known = cache.get(entity_id)
    if known is None:
        work, done = _start(base), 0
    else:
        graph = fold.EventGraph(known.graph.nodes)
        work = _Fold(known.kind, known.current, known.state, graph, *known.unwritten)
        done = known.upto
    for row in ledgered:
        if done < int(row[3]) <= upto:
            work.step(row, result)
    if any(int(r[3]) > upto for r in ledgered):
        # This device's own events, placed further on in the ledger by its push: the entity
        # is folded and stored when their page comes (a later page of this run, or of the
        # next run if this one stops first); its stored projection, which has them, stays.
        # Folding them on top at every page would fold the rest of the push again each time.
        unwritten = (work.status_changes, work.rejections, work.event_ids)
        cache.keep(
            entity_id, _Folded(upto, work.kind, work.current, work.state, work.graph, unwritten)
        )
        return None
    cache.keep(
        entity_id, _Folded(upto, work.kind, work.current, work.state, work.graph, ([], [], []))
    )
    work.graph = fold.EventGraph(dict(work.graph.nodes))  # pending events may still change
    for row in pending:
        work.step(row, result, settled=False)
    return work


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


async def _write(db: Db, folds: list[tuple[str, _Fold]]) -> None:
    """Store the entities' projections and heads, and their events' status changes and
    rejections: one statement of each kind for them all.

    Only the events folded in ``folds`` are written: with a fold cache, the events folded by
    earlier pages keep the rows those pages wrote.
    """
    deleted: dict[str, list[tuple[str]]] = {}
    kept: dict[str, list[tuple[Any, ...]]] = {}
    event_ids: list[tuple[str]] = []
    status_changes: list[tuple[Any, ...]] = []
    rejections: list[tuple[Any, ...]] = []
    heads: list[tuple[str, str]] = []
    for entity_id, work in folds:
        mapping = None if work.kind is None else ENTITY_MAPPINGS.get(work.kind)
        if mapping is not None:
            deleted.setdefault(mapping.table_name, []).append((entity_id,))
            if work.current is not None:
                kept.setdefault(mapping.table_name, []).append(mapping.values(work.current))
        event_ids.extend((event_id,) for event_id in work.event_ids)
        status_changes.extend(STATUS_CHANGES.values(c) for c in work.status_changes)
        rejections.extend(REJECTIONS.values(r) for r in work.rejections)
        heads.append((entity_id, json.dumps(sorted(work.state.heads))))
    for mapping in ENTITY_MAPPINGS.values():
        table = mapping.table_name
        if table in deleted:
            await db.executemany(f"DELETE FROM {table} WHERE {mapping.key} = ?", deleted[table])
        if table in kept:
            await db.executemany(mapping.upsert.text, kept[table])
    if event_ids:
        for table in (STATUS_CHANGES.table_name, REJECTIONS.table_name):
            await db.executemany(f"DELETE FROM {table} WHERE event_id = ?", event_ids)
    if status_changes:
        await db.executemany(STATUS_CHANGES.upsert.text, status_changes)
    if rejections:
        await db.executemany(REJECTIONS.upsert.text, rejections)
    if heads:
        await db.executemany(UPSERT_ENTITY_HEAD.text, heads)
