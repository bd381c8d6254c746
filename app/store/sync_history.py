"""Reads of a store's sync history for the app: the run log, and each event's ledger status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from app.store.reading import StoreReader
from app.store.sync_schema import PushStatus

_RUNS: Final = (
    "SELECT started_at, finished_at, outcome, pushed, pulled, conflicts, rejected, problem "
    "FROM sync_runs ORDER BY id DESC LIMIT ?"
)
_ANSWERS: Final = (
    "SELECT event_id, status, ledger_index, reason FROM sync_events WHERE event_id IN ({})"
)
_CHECKPOINT: Final = "SELECT checkpoint_size FROM sync_state"
_CHUNK: Final = 500
"""Event ids per query (SQLite's limit on bound parameters is far above it)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    pushed: int
    pulled: int
    conflicts: int
    rejected: int
    problem: str | None


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    """The server's answer for one event, and the verified checkpoint's size."""

    status: str
    ledger_index: int | None
    reason: str | None
    checkpoint_size: int

    @property
    def anchored(self) -> bool:
        """In the ledger under the verified checkpoint (ledger indexes count from 1)."""
        return self.ledger_index is not None and 1 <= self.ledger_index <= self.checkpoint_size

    @property
    def refused(self) -> bool:
        return self.status in (PushStatus.REJECTED.value, PushStatus.REFUSED.value)


def _when(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


async def recent_runs(store: StoreReader, limit: int) -> list[RunRecord]:
    """The newest ``limit`` sync runs, newest first."""
    async with store.read_db() as db:
        rows = await db.fetchall(_RUNS, (limit,))
    return [
        RunRecord(
            _when(r[0]) or datetime.now(UTC),
            _when(r[1]),
            None if r[1] is None else str(r[2]),
            int(r[3] or 0),
            int(r[4] or 0),
            int(r[5] or 0),
            int(r[6] or 0),
            None if r[7] is None else str(r[7]),
        )
        for r in rows
    ]


async def ledger_status(store: StoreReader, event_ids: Sequence[str]) -> dict[str, LedgerStatus]:
    """The server's answer for each of ``event_ids`` that has one (absent: not sent yet)."""
    found: dict[str, LedgerStatus] = {}
    async with store.read_db() as db:
        await db.execute("BEGIN")
        try:
            row = await db.fetchone(_CHECKPOINT)
            size = int(row[0] or 0) if row else 0
            for start in range(0, len(event_ids), _CHUNK):
                chunk = list(event_ids[start : start + _CHUNK])
                query = _ANSWERS.format(", ".join("?" * len(chunk)))
                for event_id, status, index, reason in await db.fetchall(query, tuple(chunk)):
                    found[str(event_id)] = LedgerStatus(
                        str(status),
                        None if index is None else int(index),
                        None if reason is None else str(reason),
                        size,
                    )
        finally:
            await db.execute("COMMIT")
    return found
