"""The clock, ids, key store and blob store fakes keep their Protocols' promises (the store
fake's are checked with the SQLite store's, in tests/contract)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes import FixedClock, MemoryBlobStore, MemoryKeyStore, SequentialIds

AT = datetime(2025, 1, 1, tzinfo=UTC)


def test_sequential_ids_are_version_7_and_increasing() -> None:
    ids = SequentialIds()
    first, second = ids.new_id(), ids.new_id()
    assert (first.version, first.variant) == (7, "specified in RFC 4122")
    assert first < second
    assert SequentialIds().new_id() == first


def test_clock_and_stores() -> None:
    clock = FixedClock(AT)
    assert clock.advance(minutes=5) == AT + timedelta(minutes=5)
    assert clock.advance(timedelta(hours=1)) == clock.now()
    keys = MemoryKeyStore()
    keys.set("device", b"seed")
    assert keys.secure
    assert keys.get("device") == b"seed"
    keys.delete("device")
    assert keys.get("device") is None


async def test_blob_store_is_content_addressed() -> None:
    blobs = MemoryBlobStore()
    digest = await blobs.put(b"abc")
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert await blobs.get(digest) == b"abc"
