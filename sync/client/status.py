"""What the app and the commands show of sync: progress, the summary of a run, the status.

Plain frozen dataclasses, no Qt: the UI and ``sitesync status`` read them, the engine makes
them. ``read_sync_status`` reads the status from a store's committed sync state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from app.store.reading import StoreReader
from app.store.sync_schema import PushStatus
from app.store.sync_state import read_runs, read_status_rows

SKEW_LIMIT_SECONDS: Final = 300.0
"""A device clock further off the server's than this is reported (DESIGN.md 4)."""


class SyncPhase(StrEnum):
    """The steps of one run, in order."""

    CONNECT = "connect"
    PUSH = "push"
    PULL = "pull"
    APPLY = "apply"
    BLOBS = "blobs"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """How far a run is: ``done`` of ``total`` in ``phase`` (``total`` None: not known yet)."""

    phase: SyncPhase
    done: int
    total: int | None


type ProgressCallback = Callable[[SyncProgress], None]
"""Told of a run's progress as it goes (the app's indicator, the command's stderr)."""


@dataclass(slots=True)
class RunCounts:
    """What a run has done so far (the summary is made from it, however the run ends)."""

    pushed: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    blobs_up: int = 0
    blobs_down: int = 0
    cursor: int = 0
    changed: set[tuple[str, str]] = field(default_factory=set)

    def add_answers(self, statuses: Iterable[PushStatus]) -> None:
        """Count the server's answers to pushed events (one accepted with a conflict record
        is accepted; the record is counted once, when the pull brings it to this store)."""
        for status in statuses:
            self.pushed += 1
            if status is PushStatus.REJECTED:
                self.rejected += 1
            elif status is PushStatus.DUPLICATE:
                self.duplicates += 1
            else:
                self.accepted += 1


class RunOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    """A transient failure: the scheduler retries with backoff."""
    STOPPED = "stopped"
    """Sync cannot go on without a person (sign in, update, a refused history)."""


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """The end of one run: what moved, and the problem if it did not finish."""

    outcome: RunOutcome
    pushed: int = 0
    """Own events the server answered for in this run."""
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    """Conflict records new to this store in this run (to review)."""
    rejected: int = 0
    pulled: int = 0
    """Ledger entries folded into the store in this run."""
    blobs_up: int = 0
    blobs_down: int = 0
    cursor: int = 0
    problem: str | None = None
    hint: str | None = None
    retry_after: float | None = None
    """Seconds the server asked to wait before the next try, when it said."""
    changed_entities: tuple[tuple[str, str], ...] = ()
    """``(entity_type, entity_id)`` of the entities others changed (pulled in this run)."""

    @property
    def ok(self) -> bool:
        return self.outcome is RunOutcome.OK


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """An own event the server rejected or refused, with the reason."""

    event_id: str
    status: str
    reason: str
    entity_type: str
    entity_id: str
    type: str


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """An open conflict record: both values, the kept one first."""

    conflict_id: str
    entity_type: str
    entity_id: str
    field: str
    kept_value: str
    other_value: str
    kept_event_id: str
    other_event_id: str


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Where a store's sync stands (what the indicator and ``sitesync status`` show)."""

    joined: bool
    """False for a store that was never joined to a server (it never syncs)."""
    server_url: str | None = None
    organization_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    pending: int = 0
    """Own events the server has not taken yet."""
    last_success_at: datetime | None = None
    cursor: int = 0
    checkpoint_size: int = 0
    checkpoint_root: str | None = None
    """Hex of the last verified checkpoint's root hash."""
    problem: str | None = None
    hint: str | None = None
    problem_kind: str | None = None
    clock_offset_seconds: float | None = None
    needs_attention: tuple[AttentionItem, ...] = field(default=())
    open_conflicts: tuple[ConflictItem, ...] = field(default=())

    @property
    def skew_seconds(self) -> float | None:
        """The clock offset when it is over the limit (else None)."""
        offset = self.clock_offset_seconds
        if offset is None or abs(offset) <= SKEW_LIMIT_SECONDS:
            return None
        return offset

    @property
    def skew_warning(self) -> str | None:
        """A sentence about this device's clock, when it is more than 5 minutes off."""
        skew = self.skew_seconds
        if skew is None:
            return None
        minutes = abs(skew) / 60
        direction = "behind" if skew > 0 else "ahead of"
        return (
            f"This computer's clock is {minutes:.0f} minutes {direction} the server's; "
            "set the clock right (records keep their order either way)."
        )


async def read_sync_status(store: StoreReader) -> SyncStatus:
    """The sync status of a store, from its committed sync state."""
    rows = await read_status_rows(store)
    account = rows.account
    if account is None:
        return SyncStatus(joined=False, pending=rows.pending)
    state = rows.state
    return SyncStatus(
        joined=True,
        server_url=account.server_url,
        organization_id=account.organization_id,
        email=account.email,
        device_id=account.device_id,
        pending=rows.pending,
        last_success_at=state.last_success_at,
        cursor=state.cursor,
        checkpoint_size=state.checkpoint_size,
        checkpoint_root=state.checkpoint_root.hex() if state.checkpoint_root else None,
        problem=state.problem,
        hint=state.problem_hint,
        problem_kind=state.problem_kind,
        clock_offset_seconds=state.clock_offset_seconds,
        needs_attention=tuple(AttentionItem(*item) for item in rows.attention),
        open_conflicts=tuple(ConflictItem(*item) for item in rows.conflicts),
    )


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One run in the log (the Sync page lists the recent ones)."""

    started_at: datetime | None
    finished_at: datetime | None
    """None while it runs (or if the program stopped during it)."""
    outcome: str
    """``ok``, ``failed``, ``stopped``, or ``running``."""
    pushed: int
    pulled: int
    rejected: int
    conflicts: int
    problem: str | None


async def read_recent_runs(store: StoreReader, limit: int = 20) -> list[SyncRun]:
    """The newest ``limit`` sync runs, newest first."""
    return [SyncRun(*row) for row in await read_runs(store, limit)]
