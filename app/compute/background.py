"""The ``ComputeRunner`` the desktop app and the CLI use: daemon threads, the collector paused."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from app.compute.collector import collector_paused
from app.compute.threads import off_loop


class BackgroundCompute:
    """Runs CPU-bound work on a daemon thread and pauses the collector around bulk work."""

    async def run[T](self, work: Callable[[], T]) -> T:
        """The result of ``work``, computed on a daemon thread (see ``off_loop``)."""
        return await off_loop(work)

    def bulk(self) -> AbstractContextManager[None]:
        """The cyclic collector paused for the block (see ``collector_paused``)."""
        return collector_paused()
