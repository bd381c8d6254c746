"""Turn SQLite failures into SiteSync store errors that say what happened and what to do next."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from app.domain.errors import (
    ConcurrentWriteError,
    StoreBusyError,
    StoreCorruptedError,
    StoreError,
    StoreFullError,
)

CONCURRENT_HINT = (
    "Another SiteSync window or command may be using this store: close it, then try again."
)


def concurrent_write(path: Path) -> ConcurrentWriteError:
    """The error for a change that met another program's change to the same device chain."""
    return ConcurrentWriteError(
        f"Another program wrote to {path} at the same time, so this change was not saved. "
        "Everything saved before it is intact.",
        hint=CONCURRENT_HINT,
    )


RESTORE_HINT = (
    "Close SiteSync, then restore a backup of the store (a .backup-*.sqlite file beside it, "
    "or your own) or move the damaged file aside and re-sync this device from the server. "
    "Keep the damaged file: work not yet synced exists only there."
)


def sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind ``exc`` (itself, or the DBAPI error SQLAlchemy wrapped)."""
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return exc.orig
    return exc if isinstance(exc, sqlite3.Error) else None


def primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code (extended codes carry it in the low byte)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` is SQLITE_FULL (disk full, or the page limit reached)."""
    cause = sqlite_cause(exc)
    if cause is None:
        return False
    return primary_code(cause) == sqlite3.SQLITE_FULL or "disk is full" in str(cause)


def corrupted(path: Path, detail: str, *, hint: str = RESTORE_HINT) -> StoreCorruptedError:
    """The error for a store file that failed its checks (and was not opened or changed)."""
    return StoreCorruptedError(
        f"The local database {path} is damaged; SiteSync did not open it and left it "
        f"untouched. {detail}",
        hint=hint,
    )


def damaged_in_use(path: Path, detail: str) -> StoreCorruptedError:
    """The error for damage the full check found after the store was opened."""
    return StoreCorruptedError(
        f"The local database {path} is damaged: SiteSync's full integrity check found "
        f"problems after the store was opened. Nothing more will be saved to it. {detail}",
        hint=RESTORE_HINT,
    )


def read_error(exc: BaseException, path: Path) -> StoreError:
    """The SiteSync error for a failed read of the store at ``path`` (nothing was being saved)."""
    cause = sqlite_cause(exc)
    code = None if cause is None else primary_code(cause)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreCorruptedError(
            f"The local database {path} is damaged ({cause}); it could not be read.",
            hint="Keep the file as it is, and restore a backup of the store or re-sync.",
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusyError(
            f"The local database {path} is locked by another program; it could not be read.",
            hint="Close any other program using this store and try again.",
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        return StoreError(
            f"The local database {path} could not be opened for reading ({cause}).",
            hint="Check that the file and its folder can be read. On read-only media, a store "
            "with a -wal file beside it cannot be read in place: copy the store and its -wal "
            "file to a folder you can write to and use the copy.",
        )
    return StoreError(
        f"Reading the local database {path} failed ({cause or exc}).",
        hint="Check that the disk is connected and the file can be read, then try again.",
    )


def store_error(exc: BaseException, path: Path) -> StoreError:
    """The SiteSync error for a failed read or write of the store at ``path``."""
    cause = sqlite_cause(exc)
    if cause is None:
        return StoreError(f"The local store {path} failed: {exc}. Nothing was saved.")
    code = primary_code(cause)
    if is_disk_full(cause):
        return StoreFullError(
            f"The disk holding {path} is full, so this change was NOT saved. "
            "Everything saved before it is intact.",
            hint="Free some disk space (or move the store to a larger disk), then try again.",
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreCorruptedError(
            f"The local database {path} is damaged ({cause}); the change was not saved.",
            hint="Close SiteSync, then restore a backup of the store or re-sync this device.",
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusyError(
            f"The local database {path} is locked by another program; the change was not saved.",
            hint="Close any other copy of SiteSync using this store and try again.",
        )
    if code == sqlite3.SQLITE_CONSTRAINT and "events." in str(cause):
        # two writers appended to one device chain: same seq, or the same event twice
        return concurrent_write(path)
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(
            f"Reading or writing {path} failed ({cause}); the change was not saved.",
            hint="Check that the disk is connected and healthy, then try again.",
        )
    return StoreError(f"The local store {path} refused the operation ({cause}); nothing was saved.")
