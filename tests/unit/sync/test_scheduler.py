"""The sync scheduler on a real asyncio loop with APScheduler: interval, debounce, network,
wake, never two runs at once, backoff on its own timer, a clean stop."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import pytest

from sync.client.errors import PermanentSyncError, TransientSyncError
from sync.client.scheduler import ScheduleSettings, SyncScheduler, backoff_delay
from sync.client.status import RunOutcome, SyncSummary

FAST = ScheduleSettings(
    interval=3600.0,
    debounce=0.05,
    max_debounce=0.2,
    first_retry=0.05,
    retry_cap=0.2,
    wake_check=3600.0,
    stop_grace=0.2,
)


class Runs:
    """A run_once that records runs, overlaps, and fails or blocks on demand."""

    def __init__(self) -> None:
        self.started: list[float] = []
        self.finished = 0
        self.active = 0
        self.most_active = 0
        self.cancelled = 0
        self.failures: list[BaseException | SyncSummary] = []
        self.gate: asyncio.Event | None = None
        self.duration = 0.0

    async def __call__(self) -> SyncSummary | None:
        loop = asyncio.get_running_loop()
        self.started.append(loop.time())
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.duration)
            if self.failures:
                failure = self.failures.pop(0)
                if isinstance(failure, BaseException):
                    raise failure
                return failure
            return None
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1
            self.finished += 1


async def until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (state the scheduler changes from its own timers) for 5 s at most."""
    async with asyncio.timeout(5.0):
        while not condition():  # noqa: ASYNC110 (plain state, no event to wait on)
            await asyncio.sleep(0.005)


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
async def scheduler(runs: Runs) -> AsyncIterator[SyncScheduler]:
    sched = SyncScheduler(runs, FAST, rng=random.Random(1))
    yield sched
    await sched.stop()


def test_backoff_starts_within_five_seconds_and_is_capped_at_five_minutes() -> None:
    settings, rng = ScheduleSettings(), random.Random(7)
    firsts = [backoff_delay(1, settings, rng) for _ in range(200)]
    assert all(2.5 <= d <= 5.0 for d in firsts)
    assert len(set(firsts)) > 100  # jittered
    later = [backoff_delay(n, settings, rng) for n in range(1, 30)]
    assert later[1] > 2.5  # grows
    assert all(d <= 300.0 for d in later)
    assert min(backoff_delay(30, settings, rng) for _ in range(50)) >= 150.0


async def test_start_runs_once_and_the_interval_repeats(runs: Runs) -> None:
    sched = SyncScheduler(runs, ScheduleSettings(interval=0.1, wake_check=3600.0))
    sched.start()
    try:
        await until(lambda: len(runs.started) >= 3)
    finally:
        await sched.stop()
    assert runs.most_active == 1


async def test_local_commits_are_debounced_into_one_run(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    scheduler.start(run_now=False)
    for _ in range(5):
        scheduler.local_commit()
        await asyncio.sleep(0.01)
    await until(lambda: runs.finished == 1)
    await asyncio.sleep(0.15)
    assert len(runs.started) == 1


async def test_a_stream_of_commits_still_syncs_within_the_longest_debounce(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    scheduler.start(run_now=False)
    loop = asyncio.get_running_loop()
    began = loop.time()
    while not runs.started:
        scheduler.local_commit()
        await asyncio.sleep(0.02)
        assert loop.time() - began < 1.0
    assert runs.started[0] - began <= FAST.max_debounce + 0.1


async def test_never_two_runs_at_once_and_a_trigger_during_a_run_runs_again(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    runs.gate = asyncio.Event()
    scheduler.start()
    await until(lambda: runs.active == 1)
    for _ in range(5):
        scheduler.request("user")
        scheduler.network_available()
        scheduler.local_commit()
    await asyncio.sleep(0.1)
    assert runs.active == 1
    assert len(runs.started) == 1
    runs.gate.set()
    await until(lambda: runs.finished == 2)
    await asyncio.sleep(0.1)
    assert len(runs.started) == 2  # the triggers during the run collapse into one more
    assert runs.most_active == 1


async def test_transient_failures_retry_on_their_own_timer_with_backoff(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    runs.failures = [
        TransientSyncError("offline"),
        SyncSummary(outcome=RunOutcome.FAILED, problem="server busy"),
        TransientSyncError("offline"),
    ]
    scheduler.start()
    await until(lambda: runs.finished == 4)  # three failures, then success; no commits at all
    assert scheduler.attempt == 0
    assert scheduler.next_retry_in is None
    gaps = [b - a for a, b in zip(runs.started, runs.started[1:], strict=False)]
    assert gaps[0] <= FAST.first_retry + 0.05
    assert all(gap <= FAST.retry_cap + 0.1 for gap in gaps)


async def test_retry_after_from_the_server_is_honoured(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    runs.failures = [TransientSyncError("busy", retry_after=0.3)]
    scheduler.start()
    await until(lambda: runs.finished == 2)
    assert runs.started[1] - runs.started[0] >= 0.3


async def test_a_failure_that_needs_a_person_is_not_retried(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    runs.failures = [
        PermanentSyncError("refused", status=403, code="FORBIDDEN"),
        SyncSummary(outcome=RunOutcome.STOPPED, problem="Sign in to sync"),
    ]
    scheduler.start()
    await until(lambda: runs.finished == 1)
    await asyncio.sleep(0.3)
    assert len(runs.started) == 1
    assert isinstance(scheduler.last_error, PermanentSyncError)
    scheduler.request("signed in")
    await until(lambda: runs.finished == 2)
    await asyncio.sleep(0.3)
    assert len(runs.started) == 2


async def test_the_network_coming_back_cuts_the_backoff_short(runs: Runs) -> None:
    slow = ScheduleSettings(first_retry=60.0, retry_cap=300.0, interval=3600.0, wake_check=3600)
    sched = SyncScheduler(runs, slow)
    runs.failures = [TransientSyncError("offline")]
    sched.start()
    try:
        await until(lambda: runs.finished == 1)
        assert sched.next_retry_in is not None
        assert sched.next_retry_in >= 30.0
        sched.local_commit()  # a commit does not jump the backoff queue ...
        await asyncio.sleep(0.1)
        assert len(runs.started) == 1
        sched.network_available()  # ... the network coming back does
        await until(lambda: runs.finished == 2)
        assert sched.attempt == 0
    finally:
        await sched.stop()


async def test_a_wake_from_sleep_syncs_at_once(runs: Runs) -> None:
    wall, mono = [1000.0], [50.0]
    sched = SyncScheduler(runs, FAST, wall=lambda: wall[0], monotonic=lambda: mono[0])
    sched.start(run_now=False)
    try:
        wall[0] += 15
        mono[0] += 15
        assert not sched.check_wake()
        wall[0] += 8 * 3600  # the lid was closed for the night: monotonic time stood still
        mono[0] += 1
        assert sched.check_wake()
        await until(lambda: runs.finished == 1)
    finally:
        await sched.stop()


async def test_stop_lets_a_short_run_finish(scheduler: SyncScheduler, runs: Runs) -> None:
    runs.duration = 0.05
    scheduler.start()
    await until(lambda: runs.active == 1)
    await scheduler.stop()
    assert runs.finished == 1
    assert runs.cancelled == 0


async def test_stop_cancels_a_run_that_does_not_finish_and_nothing_runs_after(
    scheduler: SyncScheduler, runs: Runs
) -> None:
    runs.gate = asyncio.Event()
    scheduler.start()
    await until(lambda: runs.active == 1)
    await scheduler.stop()
    assert runs.cancelled == 1
    assert not scheduler.running
    scheduler.request("after stop")
    scheduler.local_commit()
    await asyncio.sleep(0.2)
    assert len(runs.started) == 1
