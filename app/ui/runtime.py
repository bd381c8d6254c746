"""The core worker: one thread running one asyncio loop that owns the store.

The Qt thread never waits on it. It submits a job (a coroutine function) and gets an
:class:`Operation` back, whose Qt signals deliver the result, the error or progress in the Qt
thread (queued connections). Results that carry ``Changes`` are also announced once on
:attr:`CoreRuntime.changed`, the single "what changed" signal views refresh on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Final

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from app.services.context import Changes

log = logging.getLogger(__name__)


class OperationCancelled(Exception):
    """Raised inside a job that noticed it was cancelled."""


class Progress:
    """Handed to every job: report progress, check for cancellation (thread-safe)."""

    def __init__(self, emit: Callable[[int, int, str], None]) -> None:
        self._emit = emit
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def report(self, done: int, total: int, text: str = "") -> None:
        """Tell the Qt thread how far the job is (``total`` 0 means unknown)."""
        self._emit(done, total, text)

    def check(self) -> None:
        """Raise OperationCancelled if the user cancelled the job."""
        if self.cancelled:
            raise OperationCancelled()


type Job[T] = Callable[[Progress], Awaitable[T]]


def changes_of(result: object) -> Changes | None:
    """The Changes a service result carries (itself, or a ``.changes`` attribute)."""
    if isinstance(result, Changes):
        return result
    found = getattr(result, "changes", None)
    return found if isinstance(found, Changes) else None


class Operation(QObject):
    """One submitted job; lives in the Qt thread, its signals fire there.

    The worker thread never emits on an operation: an operation is deleted once it is done,
    which may happen while a cancelled job still runs. What the worker reports crosses to the
    Qt thread through the long-lived :class:`CoreRuntime`, which hands it to the operation
    only while it is still running.
    """

    finished = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)
    cancelled = Signal()
    done = Signal()  # after finished, failed or cancelled

    def __init__(
        self,
        label: str,
        runtime: CoreRuntime,
    ) -> None:
        super().__init__(runtime)
        self.label = label
        self._runtime = runtime
        self.progress = Progress(lambda d, t, s: runtime._progressed.emit(self, d, t, s))
        self.future: concurrent.futures.Future[Any] | None = None
        self.running = True

    def release_listeners(self) -> None:
        """Disconnect every slot, on the Qt thread, before the operation is deleted.

        Slots are often lambdas holding their view or window. Were they let go only by the
        operation's destructor, the last reference to an owner of the runtime could go with them,
        and that owner's deletion would delete this operation a second time, mid-destructor.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a signal nobody listened to
            for signal in (self.finished, self.failed, self.progressed, self.cancelled, self.done):
                signal.disconnect()

    def cancel(self) -> None:
        """Ask the job to stop: its task is cancelled and ``progress.cancelled`` turns True."""
        self.progress.cancel()
        if self.future is not None:
            self.future.cancel()

    def _on_future_done(self, future: concurrent.futures.Future[Any]) -> None:
        # Runs in the worker thread (or wherever the future completes): only emit, and only
        # on the runtime, which outlives every operation.
        completed = self._runtime._completed
        if future.cancelled():
            completed.emit(self, None, None, True)
            return
        error = future.exception()
        if isinstance(error, OperationCancelled):
            completed.emit(self, None, None, True)
        else:
            completed.emit(self, None if error else future.result(), error, False)

    def _deliver(self, result: object, error: object, was_cancelled: bool) -> None:
        self.running = False
        if was_cancelled:
            self.cancelled.emit()
        elif error is not None:
            self.failed.emit(error)
        else:
            self.finished.emit(result)
        self.done.emit()


SWITCH_INTERVAL: Final = 0.001
"""Seconds a thread runs Python before the GIL is handed to another that waits for it."""


class CoreRuntime(QObject):
    """Owns the worker thread and its loop; create it in the Qt thread."""

    changed = Signal(object)  # Changes
    busy_changed = Signal(bool)

    _completed = Signal(object, object, object, bool)  # operation, result, error, cancelled
    _progressed = Signal(object, int, int, str)  # operation, done, total, text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._active: set[Operation] = set()
        self._completed.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self._relay_progress, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def start(self) -> None:
        """Start the worker thread and its event loop.

        Also shortens the interpreter's switch interval to ``SWITCH_INTERVAL``: the Qt thread
        takes the GIL back for every call into Python (each model cell it paints), and with a
        busy worker each of those waits up to the interval (5 ms by default).
        """
        if self.running:
            return
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            _finish_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=main, name="sitesync-core", daemon=True)
        self._thread.start()
        ready.wait(5)

    def submit[T](self, job: Job[T], *, label: str = "") -> Operation:
        """Run ``job`` on the worker loop; connect to the returned operation's signals."""
        if self._loop is None or not self.running:
            raise RuntimeError("the core worker is not running")
        operation = Operation(label, self)
        self._active.add(operation)
        if len(self._active) == 1:
            self.busy_changed.emit(True)
        operation.finished.connect(self._announce)
        operation.done.connect(lambda: self._retire(operation))
        future = asyncio.run_coroutine_threadsafe(
            _as_coroutine(job, operation.progress), self._loop
        )
        operation.future = future
        future.add_done_callback(operation._on_future_done)
        return operation

    @Slot(object, object, object, bool)
    def _deliver(
        self, operation: Operation, result: object, error: object, was_cancelled: bool
    ) -> None:
        if operation.running:
            operation._deliver(result, error, was_cancelled)

    @Slot(object, int, int, str)
    def _relay_progress(self, operation: Operation, done: int, total: int, text: str) -> None:
        if operation.running:
            operation.progressed.emit(done, total, text)

    def _announce(self, result: object) -> None:
        changes = changes_of(result)
        if changes is not None and changes.events:
            self.changed.emit(changes)

    def _retire(self, operation: Operation) -> None:
        self._active.discard(operation)
        # once every slot of ``done`` has run (this is one of them), on the next loop turn
        QTimer.singleShot(0, self, lambda: self._dispose(operation))
        if not self._active:
            self.busy_changed.emit(False)

    @staticmethod
    def _dispose(operation: Operation) -> None:
        operation.release_listeners()
        operation.deleteLater()

    def run_sync[T](self, job: Job[T], timeout: float = 30.0) -> T:
        """Run ``job`` and wait for it: only for start-up and shut-down, never from a view."""
        if self._loop is None:
            raise RuntimeError("the core worker is not running")
        progress = Progress(lambda _d, _t, _s: None)
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(job, progress), self._loop)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel running jobs, stop the loop and join the thread."""
        for operation in list(self._active):
            operation.cancel()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("the core worker did not stop within %s s", timeout)
        self._loop = self._thread = None
        # What the stopped jobs still have queued for the Qt thread is dropped: an answer
        # would reach views that are closing, and could not submit follow-up work anyway.
        for operation in list(self._active):
            operation.running = False
            self._retire(operation)


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still running and let them unwind, as ``asyncio.run`` does.

    Their ``finally`` blocks run: a job stopped half-way leaves nothing half-done behind.
    """
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


async def _as_coroutine[T](job: Job[T], progress: Progress) -> T:
    return await job(progress)
