"""SQLite's full integrity check of an open store, run on a thread while the store is in use.

A store opened for the desktop app gets the quick check at open (``opening.check_file`` with
``full=False``) and this one afterwards. Until it has passed, nothing is added to the store's
event log (``Writer.gate``); once it has found damage, nothing more is written at all.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from contextlib import suppress
from pathlib import Path

from app.domain.errors import StoreCorruptedError, StoreError
from app.store.errors import damaged_in_use
from app.store.opening import read_only_uri, summary


class BackgroundCheck:
    """``PRAGMA integrity_check`` on a read-only connection of its own, started on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.damage: StoreCorruptedError | None = None
        """The damage found, once the check has failed."""
        self._task: asyncio.Task[float] | None = None
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> asyncio.Task[float]:
        """Start the check on a worker thread (once); the task returns the seconds it took."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._run))
            self._task.add_done_callback(self._finished)
        return self._task

    async def result(self) -> float:
        """Wait for the check: the seconds it took, or StoreCorruptedError naming the damage."""
        return await asyncio.shield(self.start())

    def _finished(self, task: asyncio.Task[float]) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, StoreCorruptedError):
            self.damage = error

    def _run(self) -> float:
        started = time.perf_counter()
        with self._lock:
            if self._stopped:
                raise self._closed()
            connection = self._connection = sqlite3.connect(
                read_only_uri(self.path), uri=True, check_same_thread=False
            )
        try:
            problems = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            if self._stopped:
                raise self._closed() from None
            raise damaged_in_use(self.path, f"SQLite cannot read it: {exc}.") from exc
        finally:
            with self._lock:
                connection.close()
                self._connection = None
        if problems != ["ok"]:
            raise damaged_in_use(self.path, summary(problems, "integrity_check"))
        return time.perf_counter() - started

    def _closed(self) -> StoreError:
        return StoreError(f"The store {self.path} was closed before its full check ended.")

    async def stop(self) -> None:
        """Interrupt the check if it runs (the store is closing) and wait for its thread."""
        with self._lock:
            self._stopped = True
            if self._connection is not None:
                self._connection.interrupt()
        if self._task is not None:
            with suppress(Exception):
                await self._task
