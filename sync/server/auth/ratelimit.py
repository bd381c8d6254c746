"""Sign-in attempt limits kept in PostgreSQL, so every server process counts the same.

A bucket (a hashed account or client address) allows ``limit`` attempts per fixed window;
the attempt is counted before the password is hashed, so guessing costs the server nothing
once the limit is reached.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

import asyncpg

_COUNT = """
INSERT INTO rate_limits (bucket, window_start, attempts) VALUES ($1, $2, 1)
ON CONFLICT (bucket) DO UPDATE SET
    attempts = CASE WHEN rate_limits.window_start <= $2 - $3::interval
                    THEN 1 ELSE rate_limits.attempts + 1 END,
    window_start = CASE WHEN rate_limits.window_start <= $2 - $3::interval
                        THEN $2 ELSE rate_limits.window_start END
RETURNING attempts, window_start
"""


def bucket(kind: str, key: str) -> str:
    """A bucket name that does not reveal the account or address."""
    return f"{kind}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


async def count_attempt(
    conn: asyncpg.Connection, name: str, *, limit: int, window: timedelta, now: datetime
) -> int | None:
    """Count one attempt; None while within the limit, else seconds until the window ends."""
    row = await conn.fetchrow(_COUNT, name, now, window)
    attempts: int = row["attempts"]
    if attempts <= limit:
        return None
    started: datetime = row["window_start"]
    remaining = (started + window - now).total_seconds()
    return max(1, math.ceil(remaining))


async def reset(conn: asyncpg.Connection, name: str) -> None:
    """Forget a bucket's attempts (after a successful sign-in)."""
    await conn.execute("DELETE FROM rate_limits WHERE bucket = $1", name)


async def forget_old(conn: asyncpg.Connection, *, window: timedelta, now: datetime) -> None:
    """Drop up to 100 buckets whose window ended long ago (keeps the table small)."""
    await conn.execute(
        "DELETE FROM rate_limits WHERE bucket IN (SELECT bucket FROM rate_limits "
        "WHERE window_start < $1 LIMIT 100)",
        now - 2 * window,
    )
