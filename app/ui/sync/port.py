"""What the desktop shell needs of sync, as Protocols (the composition root provides it).

The sync engine, the credentials and the scheduler live in ``sync.client``, which the UI never
imports: it sees them through :class:`SyncPort`, whose methods run on the core worker's loop
(like the backend's). The status, progress and summaries it hands back are the engine's own
frozen values; the Protocols below name the parts of them the screens read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol
from uuid import UUID

from app.services.context import Actor, Changes

type Choice = Literal["kept", "other"]
"""Which value of a conflict a supervisor keeps: the one the ledger kept, or the other."""


class SyncProgressInfo(Protocol):
    """How far a run is: ``done`` of ``total`` (None: not known yet) in ``phase``."""

    @property
    def phase(self) -> str: ...
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int | None: ...


class AttentionInfo(Protocol):
    """An own event the server rejected, with the reason ("Needs attention")."""

    @property
    def event_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def type(self) -> str: ...


class ConflictInfo(Protocol):
    """An open conflict record: the value the ledger kept and the other one (JSON text)."""

    @property
    def conflict_id(self) -> str: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def kept_value(self) -> str: ...
    @property
    def other_value(self) -> str: ...


class SyncStatusInfo(Protocol):
    """Where the store's sync stands (read from its committed sync state)."""

    @property
    def joined(self) -> bool: ...
    @property
    def server_url(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def pending(self) -> int: ...
    @property
    def last_success_at(self) -> datetime | None: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def hint(self) -> str | None: ...
    @property
    def problem_kind(self) -> str | None: ...
    @property
    def skew_warning(self) -> str | None: ...
    @property
    def needs_attention(self) -> Sequence[AttentionInfo]: ...
    @property
    def open_conflicts(self) -> Sequence[ConflictInfo]: ...


class SyncSummaryInfo(Protocol):
    """The end of one run: what moved, and the problem if it did not finish."""

    @property
    def outcome(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def pushed(self) -> int: ...
    @property
    def pulled(self) -> int: ...
    @property
    def conflicts(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def hint(self) -> str | None: ...
    @property
    def changed_entities(self) -> Sequence[tuple[str, str]]: ...


class Outcome(StrEnum):
    """How a run ended (the engine's values)."""

    OK = "ok"
    FAILED = "failed"
    """A transient failure (no network, the server busy): retried on its own."""
    STOPPED = "stopped"
    """Sync cannot go on without a person: sign in, update, or a refused history."""


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One line of the run log on the Sync page."""

    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    """None while the run is going on (or when it was cut off)."""
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    problem: str | None = None


class AnchorState(StrEnum):
    LOCAL = "local"
    """Not in the server's ledger yet (pending, or never synced)."""
    ANCHORED = "anchored"
    """In the ledger, under a checkpoint this device verified."""
    BROKEN = "broken"
    """Refused by the server or by verification: the reason says why."""


@dataclass(frozen=True, slots=True)
class EventAnchor:
    """Where one event stands against the server's ledger (the audit view's badge)."""

    state: AnchorState
    ledger_index: int | None = None
    checkpoint_size: int | None = None
    """Tree size of the verified checkpoint that covers the event."""
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The end of a sign-in."""

    email: str
    organization_name: str
    new_store: Path | None = None
    """Set when the sign-in started a new store for the organization (this one stays as it is)."""
    opened: object | None = None
    """That new store, open and signed in: the window moves to it."""
    previous_email: str | None = None
    """Set when someone else was signed in to the store signed in from (it stays theirs)."""
    kept_pending: int = 0
    """Their records not yet sent, which stay in that store, waiting for them."""


@dataclass(frozen=True, slots=True)
class EvidenceExport:
    """An evidence bundle written, and how much of it the server's ledger anchors."""

    events: int
    anchored: int = 0
    """Events with an inclusion proof (checked against the store's verified checkpoint)."""
    checkpoint_size: int | None = None
    """Entries of the server's signed checkpoint the bundle carries (None: not anchored)."""
    not_anchored: str | None = None
    """Why the bundle carries no ledger part, when it could have (None: anchored, or a store
    that never syncs)."""


class SyncListener(Protocol):
    """Told about runs as they happen; called on the core worker's loop."""

    def run_started(self) -> None: ...
    def run_progressed(self, progress: SyncProgressInfo) -> None: ...
    def run_finished(self, summary: SyncSummaryInfo) -> None: ...


class SyncPort(Protocol):
    """Sync for one open store; every coroutine runs on the core worker's loop."""

    @property
    def demo(self) -> bool:
        """Whether the store is a local demo store (never joined to a server)."""
        ...

    async def status(self) -> SyncStatusInfo:
        """The store's sync status now."""
        ...

    async def recent_runs(self, limit: int) -> Sequence[SyncRun]:
        """The newest ``limit`` runs, newest first."""
        ...

    async def start(self, listener: SyncListener) -> None:
        """Start background sync on this loop (interval, after commits, on wake and network)."""
        ...

    async def run_now(self) -> None:
        """Ask for a run now; returns at once (a run already going on is not doubled)."""
        ...

    async def stop(self) -> None:
        """Stop background sync; a run cut off half-way loses nothing."""
        ...

    async def local_commit(self) -> None:
        """Something was saved here: a run follows shortly (debounced)."""
        ...

    async def network_available(self) -> None:
        """The network came back: a run follows at once."""
        ...

    async def sign_in(self, server_url: str, email: str, password: str) -> SignedIn:
        """Sign in online; joins the store to the organization, or starts a new store for it.

        Raises a ``SiteSyncError`` naming the problem (wrong password, server unreachable, a demo
        store that can never be joined).
        """
        ...

    async def sign_out(self) -> int:
        """Forget this user's tokens; returns how many unsynced events stay in the store."""
        ...

    async def resolve_conflict(self, conflict_id: str, choose: Choice, actor: Actor) -> Changes:
        """Write the chosen value as a new event that resolves the conflict (supervisors)."""
        ...

    async def anchors(self, event_ids: Sequence[UUID]) -> Mapping[UUID, EventAnchor]:
        """Where each of these events stands against the ledger."""
        ...

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> EvidenceExport:
        """Write the unit's evidence bundle to ``out``, anchored in the ledger when it can be.

        Signed in and online, the bundle carries the store's verified checkpoint and the
        inclusion proofs of its synced events, fetched through this sign-in (never a second
        one) and each checked against that checkpoint before anything is written. Offline or
        signed out, it is written without them and ``not_anchored`` says why.
        """
        ...


type SyncOpener = Callable[[object], Awaitable[SyncPort | None]]
"""Given the opened backend, the sync of its store (None: the store cannot sync)."""
