"""CPU-bound work on a daemon thread, awaited from the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import suppress
from functools import partial


async def off_loop[T](work: Callable[[], T]) -> T:
    """Run CPU-bound ``work`` on a daemon thread, so the loop serves other jobs meanwhile.

    A daemon thread rather than the loop's executor: quitting the app does not wait for a
    computation nobody needs any more.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not done.cancelled():
            outcome()

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:
            outcome = partial(done.set_exception, exc)
        else:
            outcome = partial(done.set_result, result)
        with suppress(RuntimeError):  # the loop has closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=run, name="sitesync-figures", daemon=True).start()
    return await done
