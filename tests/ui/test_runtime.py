"""The core worker keeps the Qt thread free and reports results, errors, progress and changes."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from uuid import UUID

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.domain.errors import ValidationError
from app.services.context import Changes
from app.ui.runtime import SWITCH_INTERVAL, CoreRuntime, Progress


def test_qt_thread_keeps_processing_events_while_a_slow_job_runs(
    qtbot: QtBot, runtime: CoreRuntime
) -> None:
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    worker_threads: list[str] = []

    async def slow_job(_progress: Progress) -> str:
        worker_threads.append(threading.current_thread().name)
        time.sleep(0.6)  # noqa: ASYNC251 - a blocking, slow store call: must not block the Qt thread
        return "done"

    operation = runtime.submit(slow_job)
    with qtbot.waitSignal(operation.finished, timeout=5000) as blocker:
        pass
    timer.stop()
    assert blocker.args == ["done"]
    assert worker_threads == ["sitesync-core"]
    assert len(ticks) >= 20  # the Qt loop ticked all along, ~every 10 ms


def test_a_running_core_hands_the_interpreter_over_often(runtime: CoreRuntime) -> None:
    assert runtime.running
    assert sys.getswitchinterval() <= SWITCH_INTERVAL < 0.005  # Python's default is 5 ms


def test_errors_arrive_as_the_exception_object(qtbot: QtBot, runtime: CoreRuntime) -> None:
    async def failing(_progress: Progress) -> None:
        raise ValidationError("Reading is not a number.", field="reading")

    operation = runtime.submit(failing)
    with qtbot.waitSignal(operation.failed, timeout=5000) as blocker:
        pass
    error = blocker.args[0]
    assert isinstance(error, ValidationError)
    assert error.field == "reading"


def test_progress_is_reported_and_cancel_stops_the_job(qtbot: QtBot, runtime: CoreRuntime) -> None:
    seen: list[tuple[int, int]] = []

    async def long_job(progress: Progress) -> int:
        for step in range(1000):
            progress.report(step, 1000, "verifying")
            await asyncio.sleep(0.01)
        return 1000

    operation = runtime.submit(long_job)
    operation.progressed.connect(lambda done, total, _text: seen.append((done, total)))
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=5000)
    with qtbot.waitSignal(operation.cancelled, timeout=5000):
        operation.cancel()
    assert seen[0] == (0, 1000)
    assert not operation.running


def test_a_result_carrying_changes_is_announced_once(qtbot: QtBot, runtime: CoreRuntime) -> None:
    from tests.ui.factories import one_event_changes

    changes = one_event_changes(UUID(int=5))

    async def job(_progress: Progress) -> Changes:
        return changes

    announced: list[Changes] = []
    runtime.changed.connect(announced.append)
    operation = runtime.submit(job)
    with qtbot.waitSignal(operation.done, timeout=5000):
        pass
    assert announced == [changes]
    qtbot.waitUntil(lambda: not runtime.busy, timeout=1000)
