"""The blob queue: photos and signatures travel on their own, after the events that name them.

An event may name a blob the other side does not have yet. Each run uploads the blobs this
device's events name and the server lacks, resuming a partial upload from the offset the
server reports, in chunks; then fetches the blobs pulled events name and this store lacks, in
chunks kept on disk as they come (a download cut off resumes from the bytes it has), checking
each against its hash. What moved is recorded (``sync_blobs``) so it is not asked
about again. A blob missing on both sides is left for a later run; it never blocks events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from app.audit.envelope import format_timestamp
from app.domain.errors import StoreCorruptedError
from app.store.blobs import FileBlobStore
from app.store.compiled_sql import Db
from app.store.database import Store
from sync.client.api import BLOB_CHUNK, SyncApi
from sync.client.errors import PermanentSyncError

BLOB_FIELDS: Final = {"visit.photo_attached": "sha256", "visit.signed": "signature_sha256"}
"""Event types that name a blob, and the payload field holding its SHA-256."""

_NAMED = (
    "SELECT e.device_id, json_extract(CAST(e.canonical AS TEXT), '$.payload.{field}') AS blob "
    "FROM events e WHERE e.type = ? AND blob IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM sync_blobs b WHERE b.sha256 = blob)"
)


@dataclass(frozen=True, slots=True)
class BlobCounts:
    uploaded: int
    downloaded: int
    missing: int
    """Blobs named by events that neither side has yet."""


async def _named(db: Db, own_device: str) -> tuple[set[str], set[str]]:
    """The blobs not moved yet: named by own events, and by others' events."""
    own: set[str] = set()
    others: set[str] = set()
    for event_type, field in BLOB_FIELDS.items():
        rows = await db.fetchall(_NAMED.format(field=field), (event_type,))
        for device, digest in rows:
            (own if str(device) == own_device else others).add(str(digest))
    return own, others


async def _done(store: Store, sha256: str, direction: str) -> None:
    async with store.sync_transaction() as db:
        await db.execute(
            "INSERT OR REPLACE INTO sync_blobs (sha256, direction, done_at) VALUES (?, ?, ?)",
            (sha256, direction, format_timestamp(datetime.now(UTC))),
        )


async def move_blobs(
    store: Store, blobs: FileBlobStore, api: SyncApi, own_device: str
) -> BlobCounts:
    """Upload and download what is due; transient failures propagate for a retry."""
    async with store.sync_transaction() as db:
        own, others = await _named(db, own_device)
    uploaded = downloaded = missing = 0
    for sha256 in sorted(own):
        data = await blobs.get(sha256)
        if data is None:
            missing += 1
            continue
        status = await api.blob_status(sha256)
        offset = status.received if not status.complete else len(data)
        while offset < len(data):
            chunk = data[offset : offset + BLOB_CHUNK]
            status = await api.put_blob_chunk(sha256, chunk, offset, len(data))
            offset = status.received if not status.complete else len(data)
        await _done(store, sha256, "up")
        uploaded += 1
    for sha256 in sorted(others):
        try:
            if await blobs.get(sha256) is not None:
                await _done(store, sha256, "down")
                continue
        except StoreCorruptedError:
            pass  # a damaged local copy: fetch it again
        if not await _download(blobs, api, sha256):
            missing += 1  # not uploaded yet, or a damaged transfer: asked for again next run
            continue
        await _done(store, sha256, "down")
        downloaded += 1
    return BlobCounts(uploaded, downloaded, missing)


async def _download(blobs: FileBlobStore, api: SyncApi, sha256: str) -> bool:
    """Fetch a blob from where an earlier download stopped and store it; False when the server
    does not have it yet or the whole did not match its name (the part is dropped then)."""
    offset = await blobs.downloaded(sha256)
    while True:
        try:
            part = await api.get_blob_part(sha256, offset, BLOB_CHUNK)
        except PermanentSyncError as exc:
            if exc.status == 404:  # its author has not uploaded it yet
                return False
            if exc.status == 416 and offset:  # more bytes here than the blob has
                offset = await blobs.receive(sha256, 0, b"")
                continue
            raise
        if part.start > offset:
            raise PermanentSyncError(
                f"The server sent bytes {part.start}- of a photo or signature when bytes "
                f"{offset}- were asked for.",
                status=206,
                code="BAD_RESPONSE",
                hint="The server may run another version of SiteSync; ask its administrator.",
            )
        offset = await blobs.receive(sha256, part.start, part.data)
        if offset >= part.total:
            return await blobs.finish_download(sha256)
