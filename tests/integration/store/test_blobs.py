"""Content-addressed blob files: atomic, deduplicated, verified on read."""

import hashlib
import os
from pathlib import Path

import pytest

from app.domain.errors import StoreCorruptedError, ValidationError
from app.services.ports import BlobStore
from app.store.blobs import FileBlobStore


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def damage(path: Path) -> None:
    path.write_bytes(b"not the photo")


async def test_put_then_get(tmp_path: Path) -> None:
    blobs: BlobStore = FileBlobStore(tmp_path / "blobs")
    photo = b"\x89PNG" + bytes(range(256)) * 40
    digest = await blobs.put(photo)
    assert digest == hashlib.sha256(photo).hexdigest()
    assert await blobs.get(digest) == photo
    assert await blobs.put(photo) == digest  # stored once
    stored = files_under(tmp_path / "blobs")
    assert stored == [tmp_path / "blobs" / digest[:2] / digest[2:]]


async def test_unknown_and_malformed_hashes(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    assert await blobs.get("0" * 64) is None
    with pytest.raises(ValidationError):
        await blobs.get("../../etc/passwd")
    with pytest.raises(ValidationError):
        await blobs.get("A" * 64)


async def test_a_damaged_blob_is_reported_and_repaired_by_a_new_put(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    digest = await blobs.put(b"signature image")
    damage(blobs.path_of(digest))
    with pytest.raises(StoreCorruptedError, match="damaged"):
        await blobs.get(digest)
    assert await blobs.put(b"signature image") == digest
    assert await blobs.get(digest) == b"signature image"


async def test_a_download_grows_chunk_by_chunk_and_becomes_a_blob_once_whole(
    tmp_path: Path,
) -> None:
    blobs = FileBlobStore(tmp_path / "blobs")
    photo = os.urandom(3000)
    digest = hashlib.sha256(photo).hexdigest()
    assert await blobs.downloaded(digest) == 0
    assert await blobs.receive(digest, 0, photo[:1000]) == 1000
    assert await blobs.receive(digest, 2000, photo[2000:]) == 1000  # a gap: nothing written
    assert await blobs.receive(digest, 1000, photo[1000:2500]) == 2500
    assert await blobs.receive(digest, 1000, photo[1000:]) == 3000  # the same part again
    assert await blobs.get(digest) is None  # not a blob until it is whole and checked
    assert await blobs.finish_download(digest)
    assert await blobs.get(digest) == photo
    assert await blobs.downloaded(digest) == 0

    await blobs.receive(digest, 0, b"not the photo")
    assert not await blobs.finish_download(digest)  # dropped: the download starts again
    assert await blobs.downloaded(digest) == 0
