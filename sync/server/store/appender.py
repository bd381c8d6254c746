"""Appending to an organization's ledger inside a unit of work, and folding what is appended.

``LedgerAppender`` is the ledger half of ``PgUnitOfWork``: the first append takes the
sequencer lock; each event gets the next ledger index and is folded with the shared
conflict-aware fold (``app.domain.fold``), its projection staged through the unit; at commit
the entries, their Merkle nodes, the entities' fold states, the devices' heads and the signed
checkpoint of the new size are written in a few statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from app.audit.envelope import SealedEvent, format_timestamp, parse_timestamp
from app.domain import fold
from app.domain.enums import ConflictStatus
from app.domain.errors import ConflictError
from app.domain.events import Event, Rejection, parse_payload
from app.domain.work import ConflictRecord
from app.services.ports import ChainHead, Clock, LogMark
from sync.server.keys import ServerKeys
from sync.server.ledger import store as ledger
from sync.server.ledger.leaves import leaf_hashes
from sync.server.ledger.tree import appended_nodes
from sync.server.store import mappings as m
from sync.server.store.batch_write import DeviceHead, Entry, write_batch
from sync.server.store.mappings import PgMapping


class ChainMismatch(ConflictError):
    """An event does not continue its device's chain in the ledger."""

    code = "SEQUENCE_GAP"

    def __init__(self, message: str, expected_seq: int) -> None:
        super().__init__(message)
        self.expected_seq = expected_seq


@dataclass(frozen=True, slots=True)
class LedgerConfig:
    """What signing checkpoints needs: the keys and the key name (origin prefix)."""

    keys: ServerKeys
    name: str


@dataclass(frozen=True, slots=True)
class Appended:
    """The outcome of appending one event to the ledger."""

    ledger_index: int
    outcome: fold.Outcome
    reason: str | None
    conflicts: tuple[ConflictRecord, ...]


def decode_event(canonical: bytes, hash: str) -> Event:
    """The domain event in stored canonical bytes (older payload versions are upcast)."""
    body = json.loads(canonical)
    return Event(
        event_id=UUID(body["event_id"]),
        organization_id=UUID(body["organization_id"]),
        actor_id=UUID(body["actor_id"]),
        device_id=UUID(body["device_id"]),
        device_seq=body["device_seq"],
        entity_type=body["entity_type"],
        entity_id=UUID(body["entity_id"]),
        occurred_at=parse_timestamp(body["occurred_at"]),
        payload=parse_payload(body["type"], body["type_version"], body["payload"]),
        hash=hash,
    )


class Staging(Protocol):
    """What the appender needs from its unit of work."""

    org: UUID

    @property
    def conn(self) -> asyncpg.Connection: ...

    async def load[T: BaseModel](self, mapping: PgMapping[T], key: UUID) -> T | None: ...

    def stage(self, mapping: PgMapping[Any], item: BaseModel) -> None: ...


class LedgerAppender:
    """The entries one unit of work appends, and the fold state they touch."""

    def __init__(self, unit: Staging, config: LedgerConfig, clock: Clock) -> None:
        self._unit = unit
        self._config = config
        self._clock = clock
        self._entity_states: dict[UUID, tuple[str, fold.EntityState]] = {}
        self._states_dirty: set[UUID] = set()
        self._device_heads: dict[UUID, ChainHead | None] = {}
        self._devices_dirty: set[UUID] = set()
        self._clock_offsets: dict[UUID, int | None] = {}
        self._head: ledger.LedgerHead | None = None
        self._entries: list[Entry] = []
        self._received_at: str | None = None
        self.last_index = 0
        """The ledger index of the latest appended entry (0 before the first)."""
        self.checkpoint: ledger.SignedTreeHead | None = None
        """The checkpoint signed at commit (None when nothing was appended)."""

    @property
    def pending(self) -> bool:
        return bool(self._entries)

    def wanted_states(self, ids: Iterable[UUID]) -> list[UUID]:
        """Those of ``ids`` whose fold state this unit has not loaded yet."""
        return [i for i in set(ids) if i not in self._entity_states]

    def add_states(self, wanted: Iterable[UUID], rows: Iterable[Sequence[Any]]) -> None:
        """Keep loaded fold states (``entity_id, entity_type, state``); the rest are new."""
        for entity_id, kind, text in rows:
            self._entity_states[entity_id] = (kind, fold.EntityState.from_json(json.loads(text)))
        for entity_id in wanted:  # not stored yet: new entities
            self._entity_states.setdefault(entity_id, ("", fold.EntityState()))

    def know_device_head(self, device_id: UUID, head: ChainHead | None) -> None:
        """A device's chain head read under the lock (unless this unit already moved it)."""
        self._device_heads.setdefault(device_id, head)

    async def lock(self) -> ledger.LedgerHead:
        """Take the organization's sequencer lock (once per unit) and return its head."""
        if self._head is None:
            self._head = await ledger.lock_head(self._unit.conn, self._unit.org)
            self._received_at = format_timestamp(self._clock.now())
        return self._head

    @property
    def ledger_size(self) -> int:
        """The tree size including this unit's appended entries (0 before the lock)."""
        return (self._head.size if self._head else 0) + len(self._entries)

    async def device_head(self, device_id: UUID) -> ChainHead | None:
        """The device's chain head in the ledger, counting this unit's entries."""
        if device_id in self._device_heads:
            return self._device_heads[device_id]
        row = await self._unit.conn.fetchrow(
            "SELECT device_seq, hash FROM events WHERE device_id = $1 "
            "ORDER BY device_seq DESC LIMIT 1",
            device_id,
        )
        head = None if row is None else ChainHead(int(row[0]), str(row[1]))
        self._device_heads[device_id] = head
        return head

    async def entity_state(self, entity_id: UUID) -> fold.EntityState:
        """The fold state of an entity (empty for a new one)."""
        return (await self._kind_and_state(entity_id))[1]

    async def _kind_and_state(self, entity_id: UUID) -> tuple[str, fold.EntityState]:
        """The entity's type (empty for a new one) and fold state."""
        found = self._entity_states.get(entity_id)
        if found is None:
            row = await self._unit.conn.fetchrow(
                "SELECT entity_type, state::text FROM entity_states WHERE entity_id = $1",
                entity_id,
            )
            found = (
                ("", fold.EntityState())
                if row is None
                else (str(row[0]), fold.EntityState.from_json(json.loads(row[1])))
            )
            self._entity_states[entity_id] = found
        return found

    async def _graph(self, entity_id: UUID, since: int) -> fold.EventGraph:
        graph = fold.EventGraph()
        rows = await self._unit.conn.fetch(
            "SELECT hash, parents, ledger_index FROM events "
            "WHERE entity_id = $1 AND ledger_index >= $2",
            entity_id,
            since,
        )
        for row in rows:
            graph.add(row[0], row[1], int(row[2]))
        for entry in self._entries:
            body = entry.sealed.body
            if body.entity_id == str(entity_id) and entry.index >= since:
                graph.add(entry.sealed.hash, body.entity_parents, entry.index)
        return graph

    async def append(
        self, sealed: SealedEvent, event: Event | None, reason: str | None, *, apply: bool
    ) -> Appended:
        """Append a verified event to the ledger and fold it.

        ``event`` None: unreadable; an ``event`` with a ``reason``: refused before it is folded
        (see ``app.domain.authority``). Either is kept, marked rejected, applied to nothing.

        ``apply`` folds the projection here (sync); services apply it themselves after
        ``EventLog.append`` (``recorder.apply_event``), so they pass False.
        """
        head = await self.lock()
        body = sealed.body
        device_id = UUID(body.device_id)
        chain = await self.device_head(device_id)
        expected = (chain.device_seq if chain else 0) + 1
        if body.device_seq != expected or (chain is not None and body.prev_hash != chain.hash):
            raise ChainMismatch(
                f"Event {body.event_id} (seq {body.device_seq}) does not continue device "
                f"{body.device_id}'s chain, which expects seq {expected} next.",
                expected,
            )
        index = head.size + len(self._entries) + 1
        self.last_index = index
        entity_id = UUID(body.entity_id)
        kind, state = await self._kind_and_state(entity_id)
        conflicts: tuple[ConflictRecord, ...] = ()
        outcome: fold.Outcome = "rejected"
        if event is not None and reason is None:
            decision = await self._decide(event, body.entity_parents, state, index, kind)
            outcome, reason, state = decision.outcome, decision.reason, decision.state
            if outcome == "accepted":
                kind = kind or body.entity_type
                conflicts = await self._record_conflicts(event, decision)
                if apply:
                    mapping = m.ENTITY_MAPPINGS[event.entity_type]
                    self._unit.stage(mapping, decision.projection)
                    if decision.status_change is not None:
                        self._unit.stage(m.STATUS_CHANGES, decision.status_change)
            elif apply:  # kept in the ledger, marked rejected, applied to nothing
                reason_text = decision.reason or "The event is not valid in the current state."
                self._unit.stage(m.REJECTIONS, Rejection.of(event, reason_text))
        else:
            if event is not None and apply:
                self._unit.stage(m.REJECTIONS, Rejection.of(event, reason or ""))
            state = fold.EntityState(
                fold.next_heads(state, body.entity_parents, sealed.hash),
                state.writers,
                state.open,
            )
        self._entity_states[entity_id] = (kind, state)
        self._states_dirty.add(entity_id)
        self._device_heads[device_id] = ChainHead(body.device_seq, sealed.hash)
        self._devices_dirty.add(device_id)
        self._entries.append(Entry(index, sealed, outcome, reason))
        return Appended(index, outcome, reason, conflicts)

    async def _decide(
        self,
        event: Event,
        parents: Sequence[str],
        state: fold.EntityState,
        index: int,
        kind: str,
    ) -> fold.Decision:
        mapping = m.ENTITY_MAPPINGS.get(event.entity_type)
        current = None if mapping is None else await self._unit.load(mapping, event.entity_id)
        graph = fold.EventGraph()
        writes = fold.field_writes(event)
        if writes and not set(state.heads) <= set(parents):
            oldest = state.oldest(writes)
            if oldest is not None:
                graph = await self._graph(event.entity_id, oldest)
        return fold.decide(current, state, event, parents, index, graph, kind)

    async def _record_conflicts(
        self, event: Event, decision: fold.Decision
    ) -> tuple[ConflictRecord, ...]:
        made = []
        for found in decision.conflicts:
            record = ConflictRecord(
                id=UUID(found.conflict_id),
                organization_id=self._unit.org,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                field=found.field,
                kept_value=json.dumps(found.kept.value),
                other_value=json.dumps(found.other.value),
                kept_event_id=UUID(found.kept.event_id),
                other_event_id=UUID(found.other.event_id),
                created_at=event.occurred_at,
            )
            self._unit.stage(m.CONFLICTS, record)
            made.append(record)
        for conflict_id in decision.resolved:
            existing = await self._unit.load(m.CONFLICTS, UUID(conflict_id))
            if existing is not None:
                resolved = existing.model_copy(
                    update={
                        "status": ConflictStatus.RESOLVED,
                        "resolution_event_id": event.event_id,
                    }
                )
                self._unit.stage(m.CONFLICTS, resolved)
        return tuple(made)

    def note_clock_offset(self, device_id: UUID, offset_ms: int | None) -> None:
        """Record a pushing device's clock offset with its new head (written at commit)."""
        self._clock_offsets[device_id] = offset_ms

    async def write(self, conn: asyncpg.Connection) -> None:
        """Write the appended entries, their nodes, states and heads, and the checkpoint."""
        assert self._head is not None
        assert self._received_at is not None
        entries = self._entries
        leaves = leaf_hashes(
            [(e.sealed.hash, e.sealed.signature, e.index) for e in entries], self._received_at
        )
        nodes, roots = appended_nodes(self._head.size, self._head.roots, leaves)
        new_head = ledger.LedgerHead(self._head.size + len(leaves), tuple(roots))
        config = self._config
        self.checkpoint = ledger.signed_head(
            self._unit.org, new_head, config.keys.signing, config.name
        )
        states = [
            (entity_id, kind, json.dumps(state.to_json()))
            for entity_id in self._states_dirty
            for kind, state in [self._entity_states[entity_id]]
        ]
        devices = [
            DeviceHead(device, head.device_seq, head.hash, self._clock_offsets.get(device))
            for device in self._devices_dirty
            for head in [self._device_heads[device]]
            if head is not None
        ]
        await write_batch(
            conn,
            self._unit.org,
            self._received_at,
            entries,
            nodes,
            new_head.size,
            new_head.roots,
            (self.checkpoint.root, self.checkpoint.note),
            states,
            self.last_index,
            devices,
        )

    # -- the log as the services see it -------------------------------------------------------

    async def log_mark(self) -> LogMark:
        if self._entries:
            last = self._entries[-1]
            return LogMark(last.index, last.sealed.hash)
        row = await self._unit.conn.fetchrow(
            "SELECT ledger_index, hash FROM events ORDER BY ledger_index DESC LIMIT 1"
        )
        return LogMark() if row is None else LogMark(int(row[0]), str(row[1]))

    async def entities_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        if mark.position:
            own = {e.index: e.sealed.hash for e in self._entries}
            stored = own.get(mark.position)
            if stored is None:
                stored = await self._unit.conn.fetchval(
                    "SELECT hash FROM events WHERE ledger_index = $1", mark.position
                )
            if stored != mark.hash:
                return None
        rows = await self._unit.conn.fetch(
            "SELECT DISTINCT entity_type, entity_id FROM events WHERE ledger_index > $1 LIMIT $2",
            mark.position,
            limit + 1,
        )
        found = {(str(kind), entity) for kind, entity in rows}
        found.update(
            (e.sealed.body.entity_type, UUID(e.sealed.body.entity_id))
            for e in self._entries
            if e.index > mark.position
        )
        return found if len(found) <= limit else None

    async def recorded_events(self, entity_id: UUID) -> list[Event]:
        rows = await self._unit.conn.fetch(
            "SELECT canonical, hash FROM events WHERE entity_id = $1 AND status = 'accepted' "
            "ORDER BY ledger_index",
            entity_id,
        )
        found = [decode_event(bytes(c), h) for c, h in rows]
        found.extend(
            decode_event(e.sealed.canonical, e.sealed.hash)
            for e in self._entries
            if e.sealed.body.entity_id == str(entity_id) and e.outcome == "accepted"
        )
        return found
