"""Reading and writing the sync state (``sync_schema``) inside the store's transactions.

``SyncStateWriter`` works on the writer connection inside a transaction someone else owns
(``Store.sync_transaction`` or a unit of work's flush), so the sync state moves in the same
COMMIT as the events and projections it describes. ``read_status_rows`` reads the committed
state through a read connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from app.audit.envelope import format_timestamp
from app.store.compiled_sql import Db
from app.store.reading import StoreReader
from app.store.sync_schema import NEEDS_ATTENTION, SINGLETON, PushStatus


@dataclass(frozen=True, slots=True)
class SyncAccount:
    """The server account a store is joined to."""

    server_url: str
    organization_id: str
    user_id: str
    email: str
    device_id: str
    ledger_origin: str
    ledger_key_name: str
    ledger_public_key: bytes
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class SyncCheckpoint:
    """The last checkpoint this store verified."""

    size: int
    root: bytes | None
    note: str | None


@dataclass(frozen=True, slots=True)
class SyncStateValues:
    """The one ``sync_state`` row (defaults before the first sync)."""

    cursor: int = 0
    checkpoint_size: int = 0
    checkpoint_root: bytes | None = None
    checkpoint_note: str | None = None
    frontier: bytes | None = None
    last_success_at: datetime | None = None
    problem: str | None = None
    problem_hint: str | None = None
    problem_kind: str | None = None
    clock_offset_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class EventAnswer:
    """The server's answer for one event."""

    event_id: str
    status: PushStatus
    ledger_index: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictValues:
    """A conflict record to keep (values as JSON text)."""

    conflict_id: str
    entity_type: str
    entity_id: str
    field: str
    kept_value: str
    other_value: str
    kept_event_id: str
    other_event_id: str
    kept_hash: str
    other_hash: str


@dataclass(frozen=True, slots=True)
class StatusRows:
    """What ``SyncStatus`` is made of, read in one go."""

    account: SyncAccount | None
    state: SyncStateValues
    pending: int
    attention: list[tuple[str, str, str, str, str, str]]
    conflicts: list[tuple[str, str, str, str, str, str, str, str]]


_ACCOUNT_COLUMNS: Final = (
    "server_url, organization_id, user_id, email, device_id, ledger_origin, ledger_key_name, "
    "ledger_public_key, joined_at"
)
_STATE_COLUMNS: Final = (
    "cursor, checkpoint_size, checkpoint_root, checkpoint_note, frontier, last_success_at, "
    "problem, problem_hint, problem_kind, clock_offset_seconds"
)
_SELECT_ACCOUNT = f"SELECT {_ACCOUNT_COLUMNS} FROM sync_account WHERE id = {SINGLETON}"
_SELECT_STATE = f"SELECT {_STATE_COLUMNS} FROM sync_state WHERE id = {SINGLETON}"
_PENDING_WHERE = (
    "FROM events e LEFT JOIN sync_events s ON s.event_id = e.event_id "
    "WHERE e.device_id = ? AND (s.event_id IS NULL OR s.status = 'refused')"
)
_COUNT_PENDING = f"SELECT count(*) {_PENDING_WHERE}"
_SELECT_PENDING = (
    "SELECT e.device_seq, e.canonical, e.hash, e.signature "
    f"{_PENDING_WHERE} AND e.device_seq > ? ORDER BY e.device_seq LIMIT ?"
)
_ATTENTION = (
    "SELECT s.event_id, s.status, coalesce(s.reason, ''), e.entity_type, e.entity_id, e.type "
    "FROM sync_events s JOIN events e ON e.event_id = s.event_id "
    "WHERE s.status IN ({}) ORDER BY e.position"
).format(", ".join(f"'{s}'" for s in NEEDS_ATTENTION))
_OPEN_CONFLICTS = (
    "SELECT conflict_id, entity_type, entity_id, field, kept_value, other_value, kept_event_id, "
    "other_event_id FROM sync_conflicts WHERE resolved_by IS NULL ORDER BY recorded_at, conflict_id"
)
_UPSERT_ANSWER = (
    "INSERT INTO sync_events (event_id, status, ledger_index, reason, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET status = excluded.status, "
    "ledger_index = excluded.ledger_index, reason = excluded.reason, "
    "updated_at = excluded.updated_at"
)
_UPSERT_CONFLICT = (
    "INSERT INTO sync_conflicts (conflict_id, entity_type, entity_id, field, kept_value, "
    "other_value, kept_event_id, other_event_id, kept_hash, other_hash, resolved_by, "
    "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) "
    "ON CONFLICT (conflict_id) DO NOTHING"
)


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


def _when(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


def _account(row: Sequence[Any] | None) -> SyncAccount | None:
    if row is None:
        return None
    url, org, user, email, device, origin, key_name, key, joined = row
    return SyncAccount(
        str(url),
        str(org),
        str(user),
        str(email),
        str(device),
        str(origin),
        str(key_name),
        bytes(key),
        _when(joined) or datetime.now(UTC),
    )


def _state(row: Sequence[Any] | None) -> SyncStateValues:
    if row is None:
        return SyncStateValues()
    cursor, size, root, note, frontier, success, problem, hint, kind, offset = row
    return SyncStateValues(
        int(cursor),
        int(size),
        None if root is None else bytes(root),
        note,
        None if frontier is None else bytes(frontier),
        _when(success),
        problem,
        hint,
        kind,
        None if offset is None else float(offset),
    )


async def _own_device(db: Db) -> str | None:
    row = await db.fetchone(_SELECT_ACCOUNT)
    if row is not None:
        return str(row[4])
    meta = await db.fetchone("SELECT value FROM store_meta WHERE key = 'device_id'")
    return None if meta is None else str(meta[0])


async def read_status_rows(store: StoreReader) -> StatusRows:
    """The committed sync state of a store (one read connection, one snapshot)."""
    async with store.read_db() as db:
        await db.execute("BEGIN")
        try:
            account = _account(await db.fetchone(_SELECT_ACCOUNT))
            state = _state(await db.fetchone(_SELECT_STATE))
            device = await _own_device(db)
            pending = 0
            if device is not None:
                row = await db.fetchone(_COUNT_PENDING, (device,))
                pending = int(row[0]) if row else 0
            attention = [tuple(map(str, r)) for r in await db.fetchall(_ATTENTION)]
            conflicts = [tuple(map(str, r)) for r in await db.fetchall(_OPEN_CONFLICTS)]
        finally:
            await db.execute("COMMIT")
    return StatusRows(account, state, pending, attention, conflicts)  # type: ignore[arg-type]


async def read_runs(store: StoreReader, limit: int) -> list[tuple[Any, ...]]:
    """The newest ``limit`` sync runs, newest first (``sync_runs`` columns in table order)."""
    async with store.read_db() as db:
        rows = await db.fetchall(
            "SELECT started_at, finished_at, outcome, pushed, pulled, rejected, conflicts, "
            "problem FROM sync_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    return [(_when(r[0]), _when(r[1]), *r[2:]) for r in rows]


class SyncStateWriter:
    """The sync state, read and written inside a transaction the caller owns."""

    def __init__(self, db: Db) -> None:
        self.db = db

    async def account(self) -> SyncAccount | None:
        """The account the store is joined to, or None."""
        return _account(await self.db.fetchone(_SELECT_ACCOUNT))

    async def set_account(self, account: SyncAccount) -> None:
        """Join the store to ``account`` (replacing any earlier one)."""
        await self.db.execute(
            f"INSERT OR REPLACE INTO sync_account (id, {_ACCOUNT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                SINGLETON,
                account.server_url,
                account.organization_id,
                account.user_id,
                account.email,
                account.device_id,
                account.ledger_origin,
                account.ledger_key_name,
                account.ledger_public_key,
                format_timestamp(account.joined_at),
            ),
        )

    async def state(self) -> SyncStateValues:
        """The sync state row (defaults before the first sync)."""
        return _state(await self.db.fetchone(_SELECT_STATE))

    async def clear_problem(self, kind: str) -> None:
        """Forget the recorded problem if it is of ``kind`` (signing in ends an "auth" one)."""
        if (await self.state()).problem_kind == kind:
            await self.update_state(problem=None, problem_hint=None, problem_kind=None)

    async def update_state(self, **values: Any) -> None:
        """Set some ``sync_state`` columns (the rest keep their values)."""
        current = await self.state()
        merged: dict[str, Any] = {
            "cursor": current.cursor,
            "checkpoint_size": current.checkpoint_size,
            "checkpoint_root": current.checkpoint_root,
            "checkpoint_note": current.checkpoint_note,
            "frontier": current.frontier,
            "last_success_at": current.last_success_at,
            "problem": current.problem,
            "problem_hint": current.problem_hint,
            "problem_kind": current.problem_kind,
            "clock_offset_seconds": current.clock_offset_seconds,
        }
        unknown = set(values) - set(merged)
        if unknown:
            raise ValueError(f"sync_state has no columns {sorted(unknown)}")
        merged.update(values)
        success = merged["last_success_at"]
        merged["last_success_at"] = None if success is None else format_timestamp(success)
        await self.db.execute(
            f"INSERT OR REPLACE INTO sync_state (id, {_STATE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (SINGLETON, *merged.values()),
        )

    async def record_answers(self, answers: Iterable[EventAnswer]) -> None:
        """Keep the server's answer for each event."""
        now = _now()
        rows = [(a.event_id, a.status.value, a.ledger_index, a.reason, now) for a in answers]
        if rows:
            await self.db.executemany(_UPSERT_ANSWER, rows)

    async def record_conflicts(self, conflicts: Iterable[ConflictValues]) -> int:
        """Keep conflict records (a record already kept stays as it is); returns how many."""
        now = _now()
        rows = [
            (
                c.conflict_id,
                c.entity_type,
                c.entity_id,
                c.field,
                c.kept_value,
                c.other_value,
                c.kept_event_id,
                c.other_event_id,
                c.kept_hash,
                c.other_hash,
                now,
            )
            for c in conflicts
        ]
        if rows:
            await self.db.executemany(_UPSERT_CONFLICT, rows)
        return len(rows)

    async def resolve_conflicts(self, resolved: Iterable[tuple[str, str]]) -> None:
        """Mark conflicts ``(conflict_id, resolving event_id)`` resolved."""
        rows = [(event, conflict) for conflict, event in resolved]
        if rows:
            await self.db.executemany(
                "UPDATE sync_conflicts SET resolved_by = ? WHERE conflict_id = ? "
                "AND resolved_by IS NULL",
                rows,
            )

    async def pending_count(self, device_id: str) -> int:
        """Own events the server has not taken yet."""
        row = await self.db.fetchone(_COUNT_PENDING, (device_id,))
        return int(row[0]) if row else 0

    async def pending(
        self, device_id: str, after_seq: int, limit: int
    ) -> list[tuple[int, bytes, str, bytes]]:
        """Pending own events after ``after_seq``: ``(device_seq, canonical, hash, signature)``."""
        rows = await self.db.fetchall(_SELECT_PENDING, (device_id, after_seq, limit))
        return [(int(s), bytes(c), str(h), bytes(g)) for s, c, h, g in rows]

    async def start_run(self) -> int:
        """Log the start of a sync run; its id."""
        await self.db.execute(
            "INSERT INTO sync_runs (started_at, outcome, pushed, pulled, rejected, conflicts) "
            "VALUES (?, 'running', 0, 0, 0, 0)",
            (_now(),),
        )
        row = await self.db.fetchone("SELECT last_insert_rowid()")
        assert row is not None
        return int(row[0])

    async def finish_run(
        self,
        run_id: int,
        *,
        outcome: str,
        pushed: int,
        pulled: int,
        rejected: int,
        conflicts: int,
        problem: str | None,
    ) -> None:
        """Log the end of a sync run."""
        await self.db.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = ?, pushed = ?, pulled = ?, "
            "rejected = ?, conflicts = ?, problem = ? WHERE id = ?",
            (_now(), outcome, pushed, pulled, rejected, conflicts, problem, run_id),
        )


def conflict_json(value: Any) -> str:
    """The JSON text a conflict record keeps for a value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
