"""When sync runs: on an interval, soon after local commits, when the network comes back and on
wake from sleep; never two runs at once; transient failures retried on their own timer.

APScheduler 3's ``AsyncIOScheduler`` on the core loop drives it (DESIGN.md section 3):

- an interval job (``max_instances=1``, ``coalesce=True`` and a generous ``misfire_grace_time``,
  so missed runs collapse into one that still runs late rather than never);
- a debounced run after local commits (each commit moves it later, up to ``max_debounce``);
- a run at once when the network comes back, and when a wake from sleep is noticed (the wall
  clock jumped ahead of the monotonic one, which stands still while a laptop sleeps);
- a retry timer after a transient failure: backoff with jitter, the first retry within
  ``first_retry`` seconds (5) and never more than ``retry_cap`` (5 minutes) apart, or what the
  server asked (``Retry-After``). It never waits for a new local write.

``run_once`` is any async callable doing one run: it returns a ``SyncSummary`` (or None for
"ok") or raises. ``RunOutcome.FAILED``, ``TransientSyncError`` and unexpected errors retry;
``RunOutcome.STOPPED`` and the other sync errors wait for a person (a sign-in, an update) and
the next trigger. ``stop`` lets a running run finish for a moment, then cancels it: a run only
changes the store in whole transactions, so an interrupted one loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from sync.client.errors import SyncError, TransientSyncError
from sync.client.status import RunOutcome, SyncSummary

log = logging.getLogger(__name__)

type RunOnce = Callable[[], Awaitable[SyncSummary | None]]

_INTERVAL_JOB: Final = "sync-interval"
_SOON_JOB: Final = "sync-soon"
_RETRY_JOB: Final = "sync-retry"
_WAKE_JOB: Final = "sync-wake-watch"


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """Timings of the scheduler (seconds)."""

    interval: float = 300.0
    debounce: float = 5.0
    """A run this long after the last local commit ..."""
    max_debounce: float = 30.0
    """... but no later than this after the first commit it waits for."""
    first_retry: float = 5.0
    retry_cap: float = 300.0
    misfire_grace: float = 24 * 3600.0
    """A run missed while the laptop slept or the loop was busy still happens, once."""
    wake_check: float = 15.0
    wake_jump: float = 30.0
    """The wall clock running this far ahead of the monotonic clock means the laptop slept."""
    stop_grace: float = 5.0
    """How long ``stop`` lets a running run finish before cancelling it."""


def backoff_delay(attempt: int, settings: ScheduleSettings, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): doubling, halved by jitter.

    The window for attempt n is [b/2, b] with b = min(cap, first * 2^(n-1)): the first retry
    comes within ``first_retry`` seconds, later ones spread out so that many devices coming
    back at once do not knock together.
    """
    base = min(settings.retry_cap, settings.first_retry * 2.0 ** max(0, attempt - 1))
    return rng.uniform(base / 2, base)


class SyncScheduler:
    """Drives ``run_once`` on the running asyncio loop; ``start`` on it, ``stop`` before closing."""

    def __init__(
        self,
        run_once: RunOnce,
        settings: ScheduleSettings | None = None,
        *,
        rng: random.Random | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run_once = run_once
        self.settings = settings or ScheduleSettings()
        self._rng = rng or random.Random()
        self._wall = wall
        self._monotonic = monotonic
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopped = False
        self._debounce_started: float | None = None
        self._clocks = (wall(), monotonic())
        self.attempt = 0
        """Failed runs in a row (0 after a success)."""
        self.next_retry_in: float | None = None
        """Seconds to the scheduled retry after the last failure (None: none scheduled)."""
        self.runs = 0
        self.last_error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, *, run_now: bool = True) -> None:
        """Start the jobs on the running loop (and a first run at once, by default)."""
        s = self.settings
        self._scheduler.add_job(
            self._job,
            IntervalTrigger(seconds=s.interval),
            id=_INTERVAL_JOB,
            args=["interval"],
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(s.misfire_grace),
        )
        self._scheduler.add_job(
            self._check_wake,
            IntervalTrigger(seconds=s.wake_check),
            id=_WAKE_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(s.misfire_grace),
        )
        self._scheduler.start()
        if run_now:
            self._schedule(_SOON_JOB, 0.0, "start")

    @property
    def running(self) -> bool:
        """Whether a run is going on now."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop every timer; let a running run finish for ``stop_grace``, then cancel it."""
        if self._stopped:
            return
        self._stopped = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.stop_grace)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- triggers --------------------------------------------------------------------------

    def local_commit(self) -> None:
        """Something was saved locally: a run soon, once commits have paused."""
        if self._stopped or self.next_retry_in is not None:
            return  # a retry is already due on its own timer
        now = self._monotonic()
        if self._debounce_started is None:
            self._debounce_started = now
        s = self.settings
        latest = self._debounce_started + s.max_debounce - now
        self._schedule(_SOON_JOB, max(0.0, min(s.debounce, latest)), "local commit")

    def network_available(self) -> None:
        """The network came back: run now, and forget the backoff."""
        self.request("network available")

    def request(self, reason: str = "requested") -> None:
        """Run as soon as possible (the user asked, a sign-in, the network, a wake)."""
        if self._stopped:
            return
        self._cancel(_RETRY_JOB)
        self.attempt = 0
        self.next_retry_in = None
        self._schedule(_SOON_JOB, 0.0, reason)

    def check_wake(self) -> bool:
        """Whether the laptop slept since the last check (then a run is requested)."""
        wall, mono = self._wall(), self._monotonic()
        last_wall, last_mono = self._clocks
        self._clocks = (wall, mono)
        slept = (wall - last_wall) - (mono - last_mono) > self.settings.wake_jump
        if slept:
            log.info("wake from sleep noticed: syncing now")
            self.request("wake from sleep")
        return slept

    # -- running ---------------------------------------------------------------------------

    async def _check_wake(self) -> None:
        self.check_wake()

    def _schedule(self, job_id: str, delay: float, reason: str) -> None:
        if self._stopped or not self._scheduler.running:
            return
        when = datetime.now(UTC) + timedelta(seconds=delay)
        self._scheduler.add_job(
            self._job,
            DateTrigger(run_date=when),
            id=job_id,
            args=[reason],
            replace_existing=True,
            misfire_grace_time=int(self.settings.misfire_grace),
        )

    def _cancel(self, job_id: str) -> None:
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    async def _job(self, reason: str) -> None:
        if self._stopped:
            return
        if reason == "interval" and self.next_retry_in is not None:
            return  # the retry timer owns the next run
        if self.running:
            self._again = True  # one more run right after this one, never two at once
            return
        if reason == "local commit":
            self._debounce_started = None
        self._task = asyncio.create_task(self._run(reason))
        if reason == "interval":
            # the interval job lasts as long as its run, so APScheduler's max_instances=1 holds;
            # one-off jobs return at once, so a trigger during a run is never dropped as a
            # "running instance" (the run itself is still never doubled: see above)
            await asyncio.shield(self._task)

    async def _run(self, reason: str) -> None:
        self.runs += 1
        log.debug("sync run %d (%s)", self.runs, reason)
        retry_after: float | None = None
        try:
            summary = await self._run_once()
        except asyncio.CancelledError:
            raise
        except TransientSyncError as exc:
            self.last_error = exc
            self._failed(exc.retry_after)
        except SyncError as exc:
            self.last_error = exc  # waits for a person and the next trigger
            self._settled()
        except Exception as exc:  # a fault of the run itself: logged, retried like a transient
            log.exception("sync run failed")
            self.last_error = exc
            self._failed(None)
        else:
            outcome = RunOutcome.OK if summary is None else summary.outcome
            retry_after = None if summary is None else summary.retry_after
            self.last_error = None
            if outcome is RunOutcome.FAILED:
                self._failed(retry_after)
            else:
                self._settled()
        finally:
            if self._again and not self._stopped:
                self._again = False
                if self.next_retry_in is None:
                    self._schedule(_SOON_JOB, 0.0, "again")

    def _failed(self, retry_after: float | None) -> None:
        self.attempt += 1
        delay = backoff_delay(self.attempt, self.settings, self._rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        self.next_retry_in = delay
        self._schedule(_RETRY_JOB, delay, "retry")

    def _settled(self) -> None:
        self.attempt = 0
        self.next_retry_in = None
        self._cancel(_RETRY_JOB)
