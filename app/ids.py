"""The real clock and id generator (UUIDv7, RFC 9562)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Uuid7Generator:
    """Time-ordered UUIDv7 ids: 48-bit Unix milliseconds, then random bits.

    Ids made within one millisecond stay ordered: the 12-bit ``rand_a`` field is used as a
    counter seeded randomly at each new millisecond (RFC 9562, section 6.2, method 1). A clock
    that steps back never makes an id smaller than the last one. ``unix_ms`` reads the clock.
    """

    def __init__(self, unix_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self._unix_ms = unix_ms
        self._last_ms = -1
        self._counter = 0

    def new_id(self) -> UUID:
        ms = self._unix_ms()
        if ms > self._last_ms:
            self._last_ms = ms
            self._counter = int.from_bytes(os.urandom(2)) & 0x7FF
        else:
            self._counter += 1
            if self._counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                self._last_ms += 1
                self._counter = 0
        return uuid7_from(self._last_ms, self._counter, int.from_bytes(os.urandom(8)))


def uuid7_from(unix_ms: int, rand_a: int, rand_b: int) -> UUID:
    """Assemble a UUIDv7 from its fields (also used by the deterministic demo generator)."""
    value = (unix_ms & (2**48 - 1)) << 80
    value |= 0x7 << 76
    value |= (rand_a & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand_b & (2**62 - 1)
    return UUID(int=value)
