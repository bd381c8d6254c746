"""A hand-written SyncPort for the UI tests: scripted runs, a password check, conflicts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

from app.domain.errors import SiteSyncError, ValidationError
from app.services.context import Actor, Changes
from app.ui.sync.port import (
    AnchorState,
    Choice,
    EventAnchor,
    EvidenceExport,
    SignedIn,
    SyncListener,
    SyncRun,
)

PASSWORD = "correct horse"


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str
    done: int
    total: int | None


@dataclass(frozen=True, slots=True)
class Summary:
    outcome: str
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    problem: str | None = None
    hint: str | None = None
    changed_entities: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True, slots=True)
class Attention:
    event_id: str
    status: str
    reason: str
    entity_type: str
    entity_id: str
    type: str


@dataclass(frozen=True, slots=True)
class Conflict:
    conflict_id: str
    entity_type: str
    entity_id: str
    field: str
    kept_value: str
    other_value: str


@dataclass(frozen=True, slots=True)
class Status:
    joined: bool
    server_url: str | None = None
    email: str | None = None
    pending: int = 0
    last_success_at: datetime | None = None
    problem: str | None = None
    hint: str | None = None
    problem_kind: str | None = None
    skew_warning: str | None = None
    needs_attention: tuple[Attention, ...] = ()
    open_conflicts: tuple[Conflict, ...] = ()


class BundleWriter(Protocol):
    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int: ...


SYNCED_AT = datetime(2025, 6, 2, 8, 55, tzinfo=UTC)


@dataclass
class FakeSyncPort:
    """Sync as the UI sees it, in memory; ``next_run`` decides how the next run ends."""

    status_now: Status = field(default_factory=lambda: Status(joined=False, pending=2))
    demo: bool = False
    next_run: Summary = field(default_factory=lambda: Summary("ok", pushed=2))
    hold: threading.Event | None = None
    """When set, a run waits after its first progress report until the event is set."""
    resolve_hold: threading.Event | None = None
    """When set, resolving a conflict waits until the event is set."""
    runs: list[SyncRun] = field(default_factory=list)
    resolved: list[tuple[str, Choice, UUID]] = field(default_factory=list)
    signed_out: int = 0
    local_commits: int = 0
    network_back: int = 0
    started: bool = False
    stopped: bool = False
    anchored: dict[UUID, EventAnchor] = field(default_factory=dict)
    listener: SyncListener | None = None
    new_store: Callable[[], Awaitable[tuple[Path, object]]] | None = None
    """Opens the store a sign-in starts (demo store, or someone else's sign-in): the real
    port creates it; the fake gets it from the test, open, with its path."""
    bundles: BundleWriter | None = None
    """Writes the evidence bundles (the session's backend); the port adds the ledger's answer."""
    ledger: EvidenceExport = field(
        default_factory=lambda: EvidenceExport(0, not_anchored="you are not signed in")
    )
    """How much of the next bundle the ledger anchors (its ``events`` are the bundle's own)."""
    _running: bool = False

    async def status(self) -> Status:
        return self.status_now

    async def recent_runs(self, limit: int) -> Sequence[SyncRun]:
        return list(reversed(self.runs))[:limit]

    async def start(self, listener: SyncListener) -> None:
        self.listener, self.started = listener, True

    async def stop(self) -> None:
        self.stopped = True

    async def local_commit(self) -> None:
        self.local_commits += 1

    async def network_available(self) -> None:
        self.network_back += 1

    async def run_now(self) -> None:
        if self._running or not self.status_now.joined:
            return
        self._running = True
        asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self.listener is not None
        started = datetime.now(UTC)
        self.listener.run_started()
        self.listener.run_progressed(Progress("push", 3, 10))
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 10)
        summary = self.next_run
        if summary.ok:
            self.status_now = replace(
                self.status_now,
                pending=0,
                last_success_at=SYNCED_AT,
                problem=None,
                hint=None,
                problem_kind=None,
            )
        elif summary.outcome == "stopped":
            kind = "auth" if "sign in" in (summary.problem or "").lower() else "integrity"
            self.status_now = replace(
                self.status_now, problem=summary.problem, hint=summary.hint, problem_kind=kind
            )
        self.runs.append(
            SyncRun(
                started,
                datetime.now(UTC),
                summary.outcome,
                summary.pushed,
                summary.pulled,
                summary.conflicts,
                summary.rejected,
                summary.problem,
            )
        )
        self._running = False
        self.listener.run_finished(summary)

    async def sign_in(self, server_url: str, email: str, password: str) -> SignedIn:
        await asyncio.sleep(0.01)
        if password != PASSWORD:
            raise SiteSyncError(
                "The e-mail or password is not right.", hint="Check them and try again."
            )
        joined = self.status_now
        someone_else = joined.joined and (joined.email or "").casefold() != email.casefold()
        if self.new_store is not None and (self.demo or someone_else):
            path, opened = await self.new_store()
            return SignedIn(
                email,
                "Acme Lifts",
                new_store=path,
                opened=opened,
                previous_email=joined.email if someone_else else None,
                kept_pending=joined.pending if someone_else else 0,
            )
        if self.demo:
            return SignedIn(email, "Acme Lifts", new_store=Path("/tmp/acme.sitesync"))
        self.status_now = replace(self.status_now, joined=True, server_url=server_url, email=email)
        return SignedIn(email, "Acme Lifts")

    async def sign_out(self) -> int:
        kept = self.status_now.pending
        self.signed_out += 1
        self.status_now = Status(joined=False, pending=kept)
        return kept

    async def resolve_conflict(self, conflict_id: str, choose: Choice, actor: Actor) -> Changes:
        if self.resolve_hold is not None:
            await asyncio.to_thread(self.resolve_hold.wait, 10)
        if not any(c.conflict_id == conflict_id for c in self.status_now.open_conflicts):
            raise ValidationError("The conflict was not found.")
        self.resolved.append((conflict_id, choose, actor.user_id))
        remaining = tuple(c for c in self.status_now.open_conflicts if c.conflict_id != conflict_id)
        self.status_now = replace(
            self.status_now, open_conflicts=remaining, pending=self.status_now.pending + 1
        )
        return Changes()

    async def anchors(self, event_ids: Sequence[UUID]) -> Mapping[UUID, EventAnchor]:
        return {e: self.anchored.get(e, EventAnchor(AnchorState.LOCAL)) for e in event_ids}

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> EvidenceExport:
        assert self.bundles is not None, "set the port's bundles to the session's backend"
        events = await self.bundles.export_evidence_bundle(unit_id, out)
        return replace(self.ledger, events=events)
