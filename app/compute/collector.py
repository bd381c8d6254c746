"""Pausing Python's cyclic garbage collector while a great many objects are built at once."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Collector:
    """How many ``collector_paused`` blocks are open (the collector is one per process)."""

    pauses = 0
    resume = False
    """Whether the collector was running when the first pause began (and so runs again)."""
    lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a fleet is read and computed.

    Reading 10,000 units builds about a million objects, and each full collection meanwhile
    walks all of them holding the GIL: 0.2-0.6 s at a time, during which the Qt thread cannot
    run (the window freezes). They are plain values without reference cycles, freed by
    reference counting either way; the collector resumes when the last pause ends, and
    catches up at once: while the screen waits for the figures, rather than in the middle of
    the user's next sort. What survives that collection (the figures, the app itself) is then
    frozen (``gc.freeze``): later automatic collections skip it, so none of them walks the
    whole heap again until the next pause, which unfreezes it first.
    """
    with _Collector.lock:
        _Collector.pauses += 1
        if _Collector.pauses == 1:
            _Collector.resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _Collector.lock:
            _Collector.pauses -= 1
            resume = _Collector.pauses == 0 and _Collector.resume
            if resume:
                gc.enable()
        if resume:
            gc.unfreeze()  # what an earlier pause froze is looked at again (cycles freed)
            gc.collect()  # catch up now, not in the middle of the user's next click
            gc.freeze()
