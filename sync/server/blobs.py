"""Content-addressed blobs (photos, signatures, documents) in PostgreSQL, uploaded resumably.

``PUT /api/v1/blobs/{sha256}`` with the whole file stores it once its SHA-256 matches the name.
A larger file goes in chunks, each with ``Content-Range: bytes START-END/TOTAL``; a chunk must
start where the received bytes end (``GET .../status`` says where), so an interrupted upload
resumes. When the last chunk arrives the parts are joined and checked against the name.
``GET`` serves a blob whole or, with ``Range: bytes=START-``, from where an interrupted
download stopped.
Blobs live in the database, so every server process serves every blob.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from sync.protocol import BlobStatus
from sync.server.db.engine import transaction
from sync.server.errors import ApiError, not_found
from sync.server.state import ServerState

SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_RANGE: Final = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_WANTED: Final = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")


def check_name(sha256: str) -> None:
    if not SHA256.fullmatch(sha256):
        raise ApiError(
            422, "VALIDATION_ERROR", "A blob is named by its SHA-256 in 64 lowercase hex digits."
        )


def _mismatch() -> ApiError:
    return ApiError(
        422,
        "HASH_MISMATCH",
        "The uploaded bytes do not hash to the blob's name; nothing was kept.",
        hint="Upload the file again from the start.",
    )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "TOO_LARGE", f"A blob is at most {limit} bytes.")


async def _received(conn: asyncpg.Connection, sha256: str) -> tuple[int, int | None]:
    row = await conn.fetchrow(
        "SELECT coalesce(sum(length(data)), 0) AS received, max(total) AS total "
        "FROM blob_chunks WHERE sha256 = $1",
        sha256,
    )
    return int(row["received"]), (None if row["total"] is None else int(row["total"]))


async def status(state: ServerState, org: UUID, sha256: str) -> BlobStatus:
    """How much of a blob the server has."""
    check_name(sha256)
    async with transaction(state.engine, org) as conn:
        size = await conn.fetchval("SELECT size FROM blobs WHERE sha256 = $1", sha256)
        if size is not None:
            return BlobStatus(sha256=sha256, size=size, received=size, complete=True)
        received, total = await _received(conn, sha256)
    return BlobStatus(sha256=sha256, size=total, received=received, complete=False)


async def put(
    state: ServerState, org: UUID, sha256: str, data: bytes, content_range: str | None
) -> tuple[BlobStatus, bool]:
    """Store a whole blob or one chunk; (status, created) where created means newly complete."""
    check_name(sha256)
    limit = state.settings.max_blob_bytes
    async with transaction(state.engine, org) as conn:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", sha256)
        size = await conn.fetchval("SELECT size FROM blobs WHERE sha256 = $1", sha256)
        if size is not None:
            return BlobStatus(sha256=sha256, size=size, received=size, complete=True), False
        if content_range is None:
            if len(data) > limit:
                raise _too_large(limit)
            if hashlib.sha256(data).hexdigest() != sha256:
                raise _mismatch()
            await _store(conn, org, sha256, data)
            return BlobStatus(
                sha256=sha256, size=len(data), received=len(data), complete=True
            ), True
        start, end, total = _parse_range(content_range, len(data))
        if total > limit:
            raise _too_large(limit)
        received, known_total = await _received(conn, sha256)
        if (known_total is not None and known_total != total) or start != received:
            raise ApiError(
                416,
                "RANGE_NOT_EXPECTED",
                f"The server has {received} bytes of this blob; send the chunk starting there.",
                hint=f"Resume with Content-Range: bytes {received}-.../{known_total or total}.",
            )
        if end + 1 > total:
            raise ApiError(416, "RANGE_NOT_EXPECTED", "The chunk ends past the blob's total size.")
        await conn.execute(
            'INSERT INTO blob_chunks (organization_id, sha256, "offset", total, data) '
            "VALUES ($1, $2, $3, $4, $5)",
            org,
            sha256,
            start,
            total,
            data,
        )
        if end + 1 < total:
            return BlobStatus(sha256=sha256, size=total, received=end + 1, complete=False), False
        parts = await conn.fetch(
            'SELECT data FROM blob_chunks WHERE sha256 = $1 ORDER BY "offset"', sha256
        )
        whole = b"".join(bytes(p[0]) for p in parts)
        await conn.execute("DELETE FROM blob_chunks WHERE sha256 = $1", sha256)
        if hashlib.sha256(whole).hexdigest() != sha256:
            mismatch = True
        else:
            mismatch = False
            await _store(conn, org, sha256, whole)
    if mismatch:  # the chunks are gone (committed): the upload starts again
        raise _mismatch()
    return BlobStatus(sha256=sha256, size=total, received=total, complete=True), True


def _parse_range(header: str, length: int) -> tuple[int, int, int]:
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise ApiError(422, "VALIDATION_ERROR", "Content-Range must read 'bytes START-END/TOTAL'.")
    start, end, total = (int(g) for g in match.groups())
    if end < start or end - start + 1 != length:
        raise ApiError(
            422, "VALIDATION_ERROR", "Content-Range does not match the length of the body."
        )
    return start, end, total


async def _store(conn: asyncpg.Connection, org: UUID, sha256: str, data: bytes) -> None:
    await conn.execute(
        "INSERT INTO blobs (organization_id, sha256, size, data) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        org,
        sha256,
        len(data),
        data,
    )


async def get(state: ServerState, org: UUID, sha256: str, wanted: str | None = None) -> BlobRange:
    """A complete blob's bytes, or the part a ``Range`` header asks for (see ``wanted_range``)."""
    check_name(sha256)
    async with transaction(state.engine, org) as conn:
        size = await conn.fetchval("SELECT size FROM blobs WHERE sha256 = $1", sha256)
        if size is None:
            raise not_found("blob")
        span = wanted_range(wanted, size)
        if span is None:
            data = await conn.fetchval("SELECT data FROM blobs WHERE sha256 = $1", sha256)
            return BlobRange(bytes(data), 0, size, partial=False)
        start, end = span
        data = await conn.fetchval(
            "SELECT substring(data FROM $2 FOR $3) FROM blobs WHERE sha256 = $1",
            sha256,
            start + 1,
            end - start + 1,
        )
    return BlobRange(bytes(data), start, size, partial=True)


@dataclass(frozen=True, slots=True)
class BlobRange:
    """Bytes of a blob from ``start``; ``partial`` when a range was asked for and served."""

    data: bytes
    start: int
    total: int
    partial: bool

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.start + len(self.data) - 1}/{self.total}"


def wanted_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte a ``Range`` header asks for; None for the whole blob.

    One range of bytes is served (``bytes=START-``, ``bytes=START-END``, ``bytes=-LAST``), an
    end past the blob clamped to it. A header that is not one such range is ignored, as HTTP
    allows, and the whole blob is sent. A range that starts past the end answers 416 with the
    blob's size, so a client holding more than the blob knows to start again.
    """
    if header is None:
        return None
    match = _WANTED.fullmatch(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last LAST bytes
        if int(last) == 0:
            raise _unsatisfiable(size)
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, size - 1 if not last else min(int(last), size - 1)


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        416,
        "RANGE_NOT_SATISFIABLE",
        f"The blob has {size} bytes; the range asked for starts past its end.",
        hint="Fetch the blob again from its first byte.",
        headers={"Content-Range": f"bytes */{size}"},
    )
