"""Content-addressed files for photos, signatures and documents (``ports.BlobStore``).

A blob lives at ``<root>/ab/cdef...`` named by the SHA-256 of its bytes. Writes go to a temporary
file that is flushed to disk and then renamed into place, so a blob file is always complete;
reads check the hash, so a damaged file is reported rather than shown. A blob being downloaded
grows in ``<root>/.partial/`` chunk by chunk, so a download cut off resumes where it stopped;
it becomes a blob only once the whole of it matches its name. Disk work runs in a worker
thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Final

from app.domain.errors import StoreCorruptedError, StoreError, StoreFullError, ValidationError
from app.store.files import fsync_directory

_SHA256: Final = re.compile(r"[0-9a-f]{64}")


class FileBlobStore:
    """Blobs as files under ``root``, sharded by the first two hex digits of their hash.

    ``durable=False`` skips the fsyncs (a file is still complete or absent after a crash of
    the program, but may be lost with the machine's power): for generated demo data only.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable

    def path_of(self, sha256: str) -> Path:
        """Where the blob with this hash is (or would be) stored."""
        if not _SHA256.fullmatch(sha256):
            raise ValidationError(f"{sha256!r} is not a SHA-256 in lowercase hex.", field="sha256")
        return self.root / sha256[:2] / sha256[2:]

    async def put(self, data: bytes) -> str:
        """Store ``data`` (once, however often it is put) and return its SHA-256."""
        return await asyncio.to_thread(self._put, bytes(data))

    async def get(self, sha256: str) -> bytes | None:
        """The blob's bytes, None if it is not here; StoreCorruptedError if it is damaged."""
        return await asyncio.to_thread(self._get, sha256)

    def _put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_of(digest)
        if target.exists() and self._read_verified(target, digest) is not None:
            return digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    file.flush()
                    if self.durable:
                        os.fsync(file.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            if self.durable:
                fsync_directory(target.parent)
        except OSError as exc:
            raise self._save_failed(exc) from exc
        return digest

    def _save_failed(self, exc: OSError) -> StoreError:
        if exc.errno == errno.ENOSPC:
            return StoreFullError(
                f"The disk holding {self.root} is full, so the photo or signature was NOT "
                "saved. Everything saved before it is intact.",
                hint="Free some disk space, then try again.",
            )
        return StoreError(f"Could not save a blob in {self.root}: {exc}.")

    # -- downloads --------------------------------------------------------------------------

    def partial_of(self, sha256: str) -> Path:
        """Where the downloaded part of the blob with this hash is kept until it is whole."""
        return self.path_of(sha256).parent.parent / ".partial" / sha256

    async def downloaded(self, sha256: str) -> int:
        """Bytes of the blob received so far by an unfinished download (0: none)."""
        return await asyncio.to_thread(self._downloaded, sha256)

    async def receive(self, sha256: str, start: int, data: bytes) -> int:
        """Write ``data`` at ``start`` of the download (anything after it dropped); the bytes
        now received. Fewer than ``start`` when the part before it is gone: nothing is written,
        and the download goes on from there."""
        return await asyncio.to_thread(self._receive, sha256, start, bytes(data))

    async def finish_download(self, sha256: str) -> bool:
        """Store the downloaded blob if it matches its name; either way the part is gone.

        False: the bytes did not match, and the download starts again from the first byte.
        """
        return await asyncio.to_thread(self._finish_download, sha256)

    def _downloaded(self, sha256: str) -> int:
        try:
            return self.partial_of(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def _receive(self, sha256: str, start: int, data: bytes) -> int:
        path = self.partial_of(sha256)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("r+b" if path.exists() else "wb") as file:
                file.truncate(min(start, os.fstat(file.fileno()).st_size))
                file.seek(0, os.SEEK_END)
                if file.tell() != start:
                    return file.tell()
                file.write(data)
                file.flush()
                if self.durable:
                    os.fsync(file.fileno())
                return file.tell()
        except OSError as exc:
            raise self._save_failed(exc) from exc

    def _finish_download(self, sha256: str) -> bool:
        path = self.partial_of(sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc}.") from exc
        whole = hashlib.sha256(data).hexdigest() == sha256
        if whole:
            self._put(data)
        path.unlink(missing_ok=True)
        return whole

    def _get(self, sha256: str) -> bytes | None:
        path = self.path_of(sha256)
        try:
            data = self._read_verified(path, sha256)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"Could not read {path}: {exc}.") from exc
        if data is None:
            raise StoreCorruptedError(
                f"The stored file {path} is damaged: its content no longer matches its hash.",
                hint="Sync again to fetch it from the server, or restore it from a backup.",
            )
        return data

    @staticmethod
    def _read_verified(path: Path, sha256: str) -> bytes | None:
        data = path.read_bytes()
        return data if hashlib.sha256(data).hexdigest() == sha256 else None
