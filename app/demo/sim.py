"""Simulated time and deterministic ids for the demo generator."""

from __future__ import annotations

import random
import struct
import zlib
from datetime import datetime, timedelta
from uuid import UUID

from app.ids import uuid7_from


class SimClock:
    """A clock the generator sets; each reading moves it on by a millisecond."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def set(self, moment: datetime) -> None:
        self._now = moment

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


class SeededIds:
    """UUIDv7 ids from the simulated clock and a seeded random stream."""

    def __init__(self, clock: SimClock, rng: random.Random) -> None:
        self._clock = clock
        self._rng = rng

    def new_id(self) -> UUID:
        ms = int(self._clock.now().timestamp() * 1000)
        return uuid7_from(ms, self._rng.getrandbits(12), self._rng.getrandbits(62))


def signature_png(seed: int, width: int = 240, height: int = 80) -> bytes:
    """A small black-on-white PNG of a pen stroke: a stand-in for a drawn signature."""
    rng = random.Random(seed)
    pixels = [bytearray(b"\xff" * width) for _ in range(height)]
    x, y = 10.0, height / 2
    for _ in range(600):
        x += rng.uniform(0.0, 0.8)
        y += rng.uniform(-2.0, 2.0)
        y = min(max(y, 8.0), height - 8.0)
        if x >= width - 10:
            break
        for dx in (0, 1):
            for dy in (0, 1):
                pixels[int(y) + dy][int(x) + dx] = 0
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
