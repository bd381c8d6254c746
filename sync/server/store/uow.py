"""The PostgreSQL unit of work (``app.services.ports.UnitOfWork``) and its ledger-backed log.

One unit is one transaction with the tenant set. Repositories read through an identity map
and stage their writes; staged rows are written with one statement per table before a query
that needs them and at commit. Appending an event takes the organization's sequencer lock
(held to the end of the transaction), gives the event the next ledger index, folds it with the
shared conflict-aware fold (``app.domain.fold``) and stages the ledger entry; ``commit``
writes the entries, the Merkle nodes and the signed checkpoint of the new size, then commits.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.envelope import SealedEvent, format_timestamp, parse_timestamp
from app.domain import fold
from app.domain.enums import ConflictStatus
from app.domain.errors import ConflictError
from app.domain.events import Event, parse_payload
from app.domain.work import ConflictRecord
from app.services.ports import (
    ChainHead,
    Clock,
    CustomerRepository,
    DeficiencyRepository,
    ElevatorRepository,
    EventLog,
    IncidentRepository,
    InspectionRepository,
    LogMark,
    SiteRepository,
    StatusHistoryRepository,
    UnitOfWork,
    UserRepository,
    VisitRepository,
)
from sync.server.keys import ServerKeys
from sync.server.ledger import store as ledger
from sync.server.ledger.leaves import leaf_hashes
from sync.server.store import mappings as m
from sync.server.store.mappings import PgMapping
from sync.server.store.repositories import (
    PgCustomerRepository,
    PgDeficiencyRepository,
    PgElevatorRepository,
    PgIncidentRepository,
    PgInspectionRepository,
    PgSiteRepository,
    PgStatusHistoryRepository,
    PgUserRepository,
    PgVisitRepository,
)

_SET_TENANT = text("SELECT set_config('app.current_org', :org, true)")
_MISSING = object()


class ChainMismatch(ConflictError):
    """An event does not continue its device's chain in the ledger."""

    code = "SEQUENCE_GAP"

    def __init__(self, message: str, expected_seq: int) -> None:
        super().__init__(message)
        self.expected_seq = expected_seq


type BeforeCommit = Callable[["PgUnitOfWork"], Awaitable[None]]
"""Server-side writes that belong in the same transaction as a use case's events."""


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


@dataclass(slots=True)
class _Entry:
    index: int
    sealed: SealedEvent
    outcome: str
    reason: str | None


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


class PgUnitOfWork:
    """One transaction of one organization over projections and the ledger."""

    users: UserRepository
    customers: CustomerRepository
    sites: SiteRepository
    elevators: ElevatorRepository
    status_history: StatusHistoryRepository
    visits: VisitRepository
    deficiencies: DeficiencyRepository
    incidents: IncidentRepository
    inspections: InspectionRepository
    events: EventLog

    def __init__(
        self,
        engine: AsyncEngine,
        org: UUID,
        ledger_config: LedgerConfig,
        clock: Clock,
        *,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.org = org
        self._before_commit = before_commit
        self._engine = engine
        self._ledger_config = ledger_config
        self._clock = clock
        self._sa: AsyncConnection | None = None
        self._conn: asyncpg.Connection | None = None
        self._state = "new"
        self._cache: dict[tuple[str, UUID], Any] = {}
        self._dirty: dict[PgMapping[Any], dict[Any, tuple[BaseModel, int]]] = {}
        self._entity_states: dict[UUID, tuple[str, fold.EntityState]] = {}
        self._states_dirty: set[UUID] = set()
        self._device_heads: dict[UUID, ChainHead | None] = {}
        self._devices_dirty: set[UUID] = set()
        self._head: ledger.LedgerHead | None = None
        self._entries: list[_Entry] = []
        self._received_at: str | None = None
        self._last_index = 0
        self.checkpoint: ledger.SignedTreeHead | None = None
        self.users = PgUserRepository(self)
        self.customers = PgCustomerRepository(self)
        self.sites = PgSiteRepository(self)
        self.elevators = PgElevatorRepository(self)
        self.status_history = PgStatusHistoryRepository(self)
        self.visits = PgVisitRepository(self)
        self.deficiencies = PgDeficiencyRepository(self)
        self.incidents = PgIncidentRepository(self)
        self.inspections = PgInspectionRepository(self)
        self.events = PgEventLog(self)

    # -- transaction ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("A unit of work serves one action; ask the factory for a new one.")
        sa = await self._engine.connect()
        try:
            await sa.begin()
            await sa.execute(_SET_TENANT, {"org": str(self.org)})
            raw = await sa.get_raw_connection()
            self._conn = raw.driver_connection
        except BaseException:
            await sa.close()
            raise
        self._sa = sa
        self._state = "open"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._state == "open":
                await self.rollback()
        finally:
            if self._sa is not None:
                await self._sa.close()
                self._sa = None

    @property
    def conn(self) -> asyncpg.Connection:
        """The asyncpg connection inside this unit's transaction."""
        if self._state != "open" or self._conn is None:
            raise RuntimeError("Use the unit of work inside 'async with', before commit.")
        return self._conn

    async def commit(self, *, then: BeforeCommit | None = None) -> None:
        """Write everything staged, the ledger entries and their checkpoint; then commit.

        ``then`` runs last inside the transaction (it sees the new checkpoint).
        """
        conn = self.conn
        if self._before_commit is not None:
            await self._before_commit(self)
        await self._flush_all()
        if self._entries:
            await self._write_entries(conn)
        if then is not None:
            await then(self)
        assert self._sa is not None
        await self._sa.commit()
        self._state = "done"

    async def rollback(self) -> None:
        """Forget everything this unit did."""
        self.conn  # noqa: B018 (raises if not open)
        assert self._sa is not None
        self._state = "done"
        await self._sa.rollback()

    # -- projections (repositories.UnitContext) --------------------------------------------

    async def load[T: BaseModel](self, mapping: PgMapping[T], key: UUID) -> T | None:
        """The projection staged or stored under ``key``."""
        found = self._cache.get((mapping.table, key), _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        doc = await self.conn.fetchval(mapping.select_one, key)
        item = None if doc is None else mapping.load(doc)
        self._cache[(mapping.table, key)] = item
        return item

    def stage(self, mapping: PgMapping[Any], item: BaseModel) -> None:
        """Stage an insert-or-replace of a projection."""
        self.conn  # noqa: B018
        key = mapping.key_of(item)
        self._cache[(mapping.table, key)] = item
        self._dirty.setdefault(mapping, {})[key] = (item, self._last_index)

    async def query[T: BaseModel](self, mapping: PgMapping[T], sql: str, *args: Any) -> list[T]:
        """Run a query of ``mapping``'s table after writing its staged rows."""
        await self._flush(mapping)
        rows = await self.conn.fetch(sql, *args)
        return [mapping.load(row[0]) for row in rows]

    async def prefetch(self, entity_type: str, ids: Iterable[UUID]) -> None:
        """Load the projections and fold states of many entities in two round trips."""
        mapping = m.ENTITY_MAPPINGS.get(entity_type)
        wanted = [i for i in set(ids) if i not in self._entity_states]
        if wanted:
            rows = await self.conn.fetch(
                "SELECT entity_id, entity_type, state::text FROM entity_states "
                "WHERE entity_id = ANY($1::uuid[])",
                wanted,
            )
            for row in rows:
                state = fold.EntityState.from_json(json.loads(row[2]))
                self._entity_states[row[0]] = (row[1], state)
            for entity_id in wanted:  # not stored yet: new entities
                self._entity_states.setdefault(entity_id, ("", fold.EntityState()))
        if mapping is None:
            return
        missing = [i for i in set(ids) if (mapping.table, i) not in self._cache]
        if missing:
            for key, doc in await self.conn.fetch(mapping.select_many, missing):
                self._cache[(mapping.table, key)] = mapping.load(doc)
            for key in missing:
                self._cache.setdefault((mapping.table, key), None)

    async def _flush(self, mapping: PgMapping[Any]) -> None:
        staged = self._dirty.pop(mapping, None)
        if staged:
            rows = [mapping.row(self.org, item, index) for item, index in staged.values()]
            await self.conn.executemany(mapping.upsert, rows)

    async def _flush_all(self) -> None:
        for mapping in list(self._dirty):
            await self._flush(mapping)

    # -- ledger ------------------------------------------------------------------------------

    async def lock_ledger(self) -> ledger.LedgerHead:
        """Take the organization's sequencer lock (once per unit) and return its head."""
        if self._head is None:
            self._head = await ledger.lock_head(self.conn, self.org)
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
        row = await self.conn.fetchrow(
            "SELECT device_seq, hash FROM events WHERE device_id = $1 "
            "ORDER BY device_seq DESC LIMIT 1",
            device_id,
        )
        head = None if row is None else ChainHead(int(row[0]), str(row[1]))
        self._device_heads[device_id] = head
        return head

    async def entity_state(self, entity_id: UUID) -> fold.EntityState:
        """The fold state of an entity (empty for a new one)."""
        found = self._entity_states.get(entity_id)
        if found is None:
            text_state = await self.conn.fetchval(
                "SELECT state::text FROM entity_states WHERE entity_id = $1", entity_id
            )
            state = (
                fold.EntityState()
                if text_state is None
                else fold.EntityState.from_json(json.loads(text_state))
            )
            self._entity_states[entity_id] = ("", state)
            return state
        return found[1]

    async def _graph(self, entity_id: UUID, since: int) -> fold.EventGraph:
        graph = fold.EventGraph()
        rows = await self.conn.fetch(
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

    async def append_entry(
        self, sealed: SealedEvent, event: Event | None, reason: str | None, *, apply: bool
    ) -> Appended:
        """Append a verified event to the ledger and fold it (``event`` None: unreadable).

        ``apply`` folds the projection here (sync); services apply it themselves after
        ``EventLog.append`` (``recorder.apply_event``), so they pass False.
        """
        head = await self.lock_ledger()
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
        self._last_index = index
        entity_id = UUID(body.entity_id)
        state = await self.entity_state(entity_id)
        conflicts: tuple[ConflictRecord, ...] = ()
        outcome: fold.Outcome = "rejected"
        if event is not None:
            decision = await self._decide(event, body.entity_parents, state, index)
            outcome, reason, state = decision.outcome, decision.reason, decision.state
            if outcome == "accepted":
                conflicts = await self._record_conflicts(event, decision)
                if apply:
                    mapping = m.ENTITY_MAPPINGS[event.entity_type]
                    self.stage(mapping, decision.projection)
                    if decision.status_change is not None:
                        self.stage(m.STATUS_CHANGES, decision.status_change)
        else:
            state = fold.EntityState(
                fold.next_heads(state, body.entity_parents, sealed.hash),
                state.writers,
                state.open,
            )
        self._entity_states[entity_id] = (body.entity_type, state)
        self._states_dirty.add(entity_id)
        self._device_heads[device_id] = ChainHead(body.device_seq, sealed.hash)
        self._devices_dirty.add(device_id)
        self._entries.append(_Entry(index, sealed, outcome, reason))
        return Appended(index, outcome, reason, conflicts)

    async def _decide(
        self, event: Event, parents: Sequence[str], state: fold.EntityState, index: int
    ) -> fold.Decision:
        mapping = m.ENTITY_MAPPINGS.get(event.entity_type)
        current = None if mapping is None else await self.load(mapping, event.entity_id)
        graph = fold.EventGraph()
        writes = fold.field_writes(event)
        if writes and not set(state.heads) <= set(parents):
            oldest = state.oldest(writes)
            if oldest is not None:
                graph = await self._graph(event.entity_id, oldest)
        return fold.decide(current, state, event, parents, index, graph)

    async def _record_conflicts(
        self, event: Event, decision: fold.Decision
    ) -> tuple[ConflictRecord, ...]:
        made = []
        for found in decision.conflicts:
            record = ConflictRecord(
                id=UUID(found.conflict_id),
                organization_id=self.org,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                field=found.field,
                kept_value=json.dumps(found.kept.value),
                other_value=json.dumps(found.other.value),
                kept_event_id=UUID(found.kept.event_id),
                other_event_id=UUID(found.other.event_id),
                created_at=event.occurred_at,
            )
            self.stage(m.CONFLICTS, record)
            made.append(record)
        for conflict_id in decision.resolved:
            existing = await self.load(m.CONFLICTS, UUID(conflict_id))
            if existing is not None:
                resolved = existing.model_copy(
                    update={
                        "status": ConflictStatus.RESOLVED,
                        "resolution_event_id": event.event_id,
                    }
                )
                self.stage(m.CONFLICTS, resolved)
        return tuple(made)

    async def _write_entries(self, conn: asyncpg.Connection) -> None:
        assert self._head is not None
        assert self._received_at is not None
        received = self._received_at
        entries = self._entries
        leaves = leaf_hashes(
            [(e.sealed.hash, e.sealed.signature, e.index) for e in entries], received
        )
        bodies = [e.sealed.body for e in entries]
        await conn.execute(
            "INSERT INTO events (organization_id, ledger_index, event_id, device_id, device_seq, "
            "actor_id, entity_type, entity_id, type, hash, parents, signature, canonical, "
            "received_at, status, reason) "
            "SELECT $1, i, e, d, s, a, et, ei, t, h, "
            "ARRAY(SELECT jsonb_array_elements_text(p::jsonb)), sg, c, $2, st, r "
            "FROM unnest($3::bigint[], $4::uuid[], $5::uuid[], $6::bigint[], $7::uuid[], "
            "$8::text[], $9::uuid[], $10::text[], $11::text[], $12::text[], $13::bytea[], "
            "$14::bytea[], $15::text[], $16::text[]) "
            "AS x(i, e, d, s, a, et, ei, t, h, p, sg, c, st, r)",
            self.org,
            received,
            [e.index for e in entries],
            [b.event_id for b in bodies],  # asyncpg takes UUIDs as text, unparsed
            [b.device_id for b in bodies],
            [b.device_seq for b in bodies],
            [b.actor_id for b in bodies],
            [b.entity_type for b in bodies],
            [b.entity_id for b in bodies],
            [b.type for b in bodies],
            [e.sealed.hash for e in entries],
            [json.dumps(b.entity_parents) for b in bodies],
            [e.sealed.signature for e in entries],
            [e.sealed.canonical for e in entries],
            [e.outcome for e in entries],
            [e.reason for e in entries],
        )
        states = [
            (self.org, entity_id, kind, json.dumps(state.to_json()), self._last_index)
            for entity_id in self._states_dirty
            for kind, state in [self._entity_states[entity_id]]
        ]
        await conn.executemany(
            "INSERT INTO entity_states "
            "(organization_id, entity_id, entity_type, state, last_index) "
            "VALUES ($1, $2, $3, $4::text::jsonb, $5) ON CONFLICT (organization_id, entity_id) "
            "DO UPDATE SET state = EXCLUDED.state, last_index = EXCLUDED.last_index",
            states,
        )
        await conn.executemany(
            "UPDATE devices SET head_seq = $2, head_hash = $3, last_seen_at = now() "
            "WHERE device_id = $1",
            [
                (device, head.device_seq, head.hash)
                for device in self._devices_dirty
                for head in [self._device_heads[device]]
                if head is not None
            ],
        )
        new_head = await ledger.append_leaves(conn, self.org, self._head, leaves)
        config = self._ledger_config
        self.checkpoint = await ledger.store_checkpoint(
            conn, self.org, new_head, config.keys.signing, config.name
        )

    # -- the log as the services see it -------------------------------------------------------

    async def log_mark(self) -> LogMark:
        if self._entries:
            last = self._entries[-1]
            return LogMark(last.index, last.sealed.hash)
        row = await self.conn.fetchrow(
            "SELECT ledger_index, hash FROM events ORDER BY ledger_index DESC LIMIT 1"
        )
        return LogMark() if row is None else LogMark(int(row[0]), str(row[1]))

    async def entities_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        if mark.position:
            own = {e.index: e.sealed.hash for e in self._entries}
            stored = own.get(mark.position)
            if stored is None:
                stored = await self.conn.fetchval(
                    "SELECT hash FROM events WHERE ledger_index = $1", mark.position
                )
            if stored != mark.hash:
                return None
        rows = await self.conn.fetch(
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
        rows = await self.conn.fetch(
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


class PgEventLog:
    """``ports.EventLog`` over the organization's ledger."""

    def __init__(self, unit: PgUnitOfWork) -> None:
        self._unit = unit

    async def head(self, device_id: UUID) -> ChainHead | None:
        """The device's last event; takes the ledger lock first (an append follows)."""
        await self._unit.lock_ledger()
        return await self._unit.device_head(device_id)

    async def entity_heads(self, entity_id: UUID) -> list[str]:
        """Hashes of the entity's latest events (its ``entity_parents`` for the next event)."""
        return list((await self._unit.entity_state(entity_id)).heads)

    async def append(self, sealed: SealedEvent, event: Event) -> None:
        """Append the event to the ledger; refuse it if the fold would reject it."""
        appended = await self._unit.append_entry(sealed, event, None, apply=False)
        if appended.outcome == "rejected":
            raise ConflictError(appended.reason or "The event is not valid in the current state.")

    async def for_entity(self, entity_id: UUID) -> list[Event]:
        """The entity's applied events in ledger order."""
        return await self._unit.recorded_events(entity_id)

    async def mark(self) -> LogMark:
        """Where the ledger ends now, as this unit sees it."""
        return await self._unit.log_mark()

    async def changed_since(self, mark: LogMark, limit: int) -> set[tuple[str, UUID]] | None:
        """Entities with events after ``mark``; None past ``limit`` or if ``mark`` is gone."""
        return await self._unit.entities_since(mark, limit)


def _conforms(unit: PgUnitOfWork) -> UnitOfWork:
    return unit  # mypy checks here that PgUnitOfWork satisfies the ports contract
