"""The Qt side of background sync: keeps the sync state current and announces runs.

The sync port's scheduler runs on the core worker's loop and reports runs through a listener
called there; the listener only emits queued signals, so the bridge hears of them in the Qt
thread. The bridge never waits: everything it asks of the port is a job on the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.services.context import Changes
from app.ui.runtime import Operation, Progress
from app.ui.session import Session
from app.ui.sync.network import NetworkWatch
from app.ui.sync.port import (
    Choice,
    EventAnchor,
    SignedIn,
    SyncPort,
    SyncProgressInfo,
    SyncRun,
    SyncStatusInfo,
    SyncSummaryInfo,
)
from app.ui.sync.state import SyncState

log = logging.getLogger(__name__)

type OnError = Callable[[BaseException], None]


class _Listener(QObject):
    """Called on the worker loop; only emits, and the bridge's queued slots take it from there."""

    started = Signal()
    progressed = Signal(object)
    finished = Signal(object)

    def run_started(self) -> None:
        self.started.emit()

    def run_progressed(self, progress: SyncProgressInfo) -> None:
        self.progressed.emit(progress)

    def run_finished(self, summary: SyncSummaryInfo) -> None:
        self.finished.emit(summary)


class SyncBridge(QObject):
    """Sync as the window sees it: one state, signals when it changes, actions as jobs."""

    state_changed = Signal(object)  # SyncState
    run_finished = Signal(object)  # the run's summary
    changed_offline = Signal(object)  # tuple of (entity_type, entity_id) others changed
    store_started = Signal(object)  # SignedIn with the new store, open: the window moves to it

    def __init__(self, session: Session, port: SyncPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.port = session, port
        self.state = SyncState(demo=port.demo)
        self.started = False
        self._listener = _Listener(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._listener.started.connect(self._run_started, queued)
        self._listener.progressed.connect(self._run_progressed, queued)
        self._listener.finished.connect(self._run_finished, queued)
        session.changed.connect(self._local_change)
        self.network = NetworkWatch(self)
        self.network.back_online.connect(self._network_back)

    @property
    def server(self) -> str | None:
        """The server this store is signed in to, as last read (None: not signed in)."""
        status = self.state.status
        return status.server_url if status is not None and status.joined else None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Read the status and start background sync on the worker."""
        port, listener = self.port, self._listener

        async def start(_progress: Progress) -> None:
            await port.start(listener)

        self.started = True
        self._submit(start, lambda _none: None, "start background sync")
        self.refresh()
        self.network.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop background sync and wait for it (at close, before the store closes)."""
        if not self.started:
            return
        self.started = False
        port = self.port

        async def stop(_progress: Progress) -> None:
            await port.stop()

        try:
            self.session.runtime.run_sync(stop, timeout=timeout)
        except Exception:
            log.exception("stopping background sync failed")

    # -- actions -----------------------------------------------------------------------------

    def refresh(self, then: Callable[[SyncStatusInfo], object] | None = None) -> None:
        """Read the sync status again (pending count, problems, conflicts...), then ``then``."""
        port = self.port

        async def read(_progress: Progress) -> SyncStatusInfo:
            return await port.status()

        def read_done(status: SyncStatusInfo) -> None:
            self._status_read(status)
            if then is not None:
                then(status)

        self._submit(read, read_done, "read the sync status")

    def sync_now(self) -> None:
        """Ask for a run now (the scheduler never starts a second one at once)."""
        port = self.port

        async def run(_progress: Progress) -> None:
            await port.run_now()

        self._submit(run, lambda _none: None, "sync now")

    def recent_runs(self, limit: int, on_result: Callable[[Sequence[SyncRun]], None]) -> None:
        port = self.port

        async def read(_progress: Progress) -> Sequence[SyncRun]:
            return await port.recent_runs(limit)

        self._submit(read, on_result, "read the sync runs")

    def sign_in(
        self,
        server_url: str,
        email: str,
        password: str,
        on_result: Callable[[SignedIn], None],
        on_error: OnError,
    ) -> Operation | None:
        port = self.port

        async def sign_in(_progress: Progress) -> SignedIn:
            return await port.sign_in(server_url, email, password)

        def signed_in(result: SignedIn) -> None:
            self.state = replace(self.state, last=None)
            self.refresh()
            on_result(result)
            if result.new_store is None:
                self.sync_now()
            elif result.opened is not None:
                self.store_started.emit(result)

        return self._submit(sign_in, signed_in, "sign in to the server", on_error)

    def sign_out(self, on_result: Callable[[int], None]) -> Operation | None:
        port = self.port

        async def sign_out(_progress: Progress) -> int:
            return await port.sign_out()

        def signed_out(kept: int) -> None:
            self.refresh()
            on_result(kept)

        return self._submit(sign_out, signed_out, "sign out")

    def resolve(
        self, conflict_id: str, choose: Choice, on_result: Callable[[Changes], None]
    ) -> Operation | None:
        """Keep one value of a conflict: a new event, which the next sync sends."""
        port, actor = self.port, self.session.actor
        if actor is None:
            raise RuntimeError("no profile is signed in")

        async def resolve(_progress: Progress) -> Changes:
            return await port.resolve_conflict(conflict_id, choose, actor)

        def resolved(changes: Changes) -> None:
            on_result(changes)
            self.sync_now()

        return self._submit(resolve, resolved, "resolve the conflict")

    def anchors(
        self, event_ids: Sequence[UUID], on_result: Callable[[Mapping[UUID, EventAnchor]], None]
    ) -> Operation | None:
        """Where each event stands against the ledger (the audit view's badges)."""
        port, ids = self.port, list(event_ids)

        async def read(_progress: Progress) -> Mapping[UUID, EventAnchor]:
            return await port.anchors(ids)

        return self._submit(read, on_result, "read the ledger status of events")

    # -- what the worker reports -------------------------------------------------------------

    def _set(self, state: SyncState) -> None:
        self.state = state
        self.state_changed.emit(state)

    def _status_read(self, status: SyncStatusInfo) -> None:
        self._set(replace(self.state, status=status))

    def _local_change(self, changes: Changes) -> None:
        if not changes.events:  # what a pull changed, not a local commit
            return
        port = self.port

        async def note(_progress: Progress) -> None:
            await port.local_commit()

        self._submit(note, lambda _none: None, "schedule a sync")
        self.refresh()  # the pending count moved

    def _network_back(self) -> None:
        port = self.port

        async def back(_progress: Progress) -> None:
            await port.network_available()

        self._submit(back, lambda _none: None, "sync after the network came back")

    @Slot()
    def _run_started(self) -> None:
        self._set(replace(self.state, running=True, progress=None))

    @Slot(object)
    def _run_progressed(self, progress: SyncProgressInfo) -> None:
        self._set(replace(self.state, running=True, progress=progress))

    @Slot(object)
    def _run_finished(self, summary: SyncSummaryInfo) -> None:
        self._set(replace(self.state, running=False, progress=None, last=summary))
        self.refresh()
        self.run_finished.emit(summary)
        changed = tuple(summary.changed_entities)
        if changed:
            entities = frozenset((kind, UUID(entity)) for kind, entity in changed)
            self.session.changed.emit(Changes(entities=entities))
            self.changed_offline.emit(changed)

    def _submit[T](
        self,
        job: Callable[[Progress], Awaitable[T]],
        on_result: Callable[[T], None],
        label: str,
        on_error: OnError | None = None,
    ) -> Operation | None:
        if not self.session.runtime.running:
            return None  # the app is closing: what the last run reported needs no answer
        operation = self.session.runtime.submit(job, label=label)
        operation.finished.connect(on_result)
        operation.failed.connect(
            on_error or (lambda error: self.session.errors.present(error, action=label))
        )
        return operation
