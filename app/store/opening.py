"""Checks and backups done before a store is opened for writing (blocking; run in a thread).

Nothing here writes to an existing store: the checks use a read-only connection (which never
checkpoints a -wal into the file), so a damaged file is left exactly as it was found.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from app.domain.errors import StoreError
from app.store.errors import RESTORE_HINT, corrupted, primary_code, read_error
from app.store.files import fsync_directory, fsync_file

APPLICATION_ID: Final = int.from_bytes(b"SSyc", "big")
"""Stamped in every store's header (``PRAGMA application_id``): this file is a SiteSync store."""

LOG_TABLE: Final = "events"
"""The event log: most of a store's pages, left to the full check (see ``check_file``)."""

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_SHOWN_PROBLEMS: Final = 20


@dataclass(frozen=True, slots=True)
class FileCheck:
    """What the checks learned about a store file."""

    revision: str | None
    """The schema revision, or None for a file with no tables yet."""
    stamped: bool
    """Whether the header carries SiteSync's application id."""
    full_check_seconds: float | None = None
    """How long the full integrity check took; None when only the quick check ran."""


def wal_path(path: Path) -> Path:
    """The write-ahead log beside a store file."""
    return path.with_name(path.name + "-wal")


def read_only_uri(path: Path) -> str:
    """An SQLite URI opening ``path`` read-only (its -wal is read, never checkpointed)."""
    return path.absolute().as_uri() + "?mode=ro"


def reading_uri(path: Path) -> str:
    """An SQLite URI for reading a store that is never written here (verification, export).

    ``mode=ro`` where SQLite can keep its shared-memory file beside the store (a writable
    folder), so a store another program writes is still read consistently. On read-only media,
    or in a folder that cannot be written, ``immutable=1`` reads the file alone, which is right
    for a store nobody can be writing; a store there with a non-empty -wal still needs
    ``mode=ro`` (its last commits are in the -wal).
    """
    wal = wal_path(path)
    folder_writable = os.access(path.parent, os.W_OK)
    if folder_writable or (wal.exists() and wal.stat().st_size > 0):
        return read_only_uri(path)
    return read_only_uri(path) + "&immutable=1"


def _checking_uri(path: Path) -> str:
    # Without a -wal (a store closed cleanly), even a read-only connection would create an
    # empty one; immutable=1 reads the file alone and creates nothing beside it.
    if wal_path(path).exists():
        return read_only_uri(path)
    return read_only_uri(path) + "&immutable=1"


def create_file(path: Path) -> None:
    """Create (or stamp an empty) store file: WAL mode, SiteSync's id, a random identity.

    The identity (``PRAGMA user_version``) is how a -wal from another store is recognised:
    SQLite's WAL format holds no link to the database it belongs to.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {1 + secrets.randbelow(2**31 - 2)}")


def _file_header(path: Path) -> tuple[int, int, bytes] | None:
    """(application id, identity, the header) as in the main file itself, ignoring any -wal."""
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return None
    identity = int.from_bytes(header[60:64], "big", signed=True)
    application = int.from_bytes(header[68:72], "big", signed=True)
    return application, identity, header


def summary(problems: list[str], pragma: str) -> str:
    """The first lines of what an SQLite check reported, for an error message."""
    lines = [line for problem in problems for line in problem.splitlines()]
    shown = "\n".join(lines[:_SHOWN_PROBLEMS])
    more = f"\n... and {len(lines) - _SHOWN_PROBLEMS} more" if len(lines) > _SHOWN_PROBLEMS else ""
    return f"PRAGMA {pragma} reported:\n{shown}{more}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quick_problems(conn: sqlite3.Connection, tables: set[str]) -> list[str]:
    """``quick_check`` of every table and its indexes except the event log (see ``check_file``)."""
    problems: list[str] = []
    for table in sorted(tables - {LOG_TABLE}):
        rows = [str(row[0]) for row in conn.execute(f"PRAGMA quick_check({_quoted(table)})")]
        if rows != ["ok"]:
            problems += rows
    return problems


def _cut_short(path: Path, header: bytes) -> str | None:
    """Why the file is shorter than its header says it is, or None when it is not."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages, valid_for = header[24:28], header[28:32], header[92:96]
    if change_counter != valid_for:  # the size field is not maintained by the last writer
        return None
    expected = int.from_bytes(pages, "big") * page_size
    actual = path.stat().st_size
    if actual >= expected:
        return None
    return (
        f"The file is {actual:,} bytes, shorter than the {expected:,} its header records: it was "
        "cut short (an interrupted copy or a full disk)."
    )


def check_file(path: Path, *, full: bool = True) -> FileCheck:
    """Check an existing file: SQLite's integrity check and the SiteSync header checks.

    ``full`` runs ``PRAGMA integrity_check`` over the whole file, which reads every page and
    cross-checks every index (about 6 s for a million events). Without it the check is the
    quick one a store is opened with when the full check runs in the background afterwards
    (``BackgroundCheck``): ``quick_check`` of every table but the event log (the projections
    the window shows, each page and b-tree of them), the file's length against its header,
    and the header checks; the event log is most of the file and is covered by the full check.
    """
    try:
        main_header = _file_header(path)
        started = time.perf_counter()
        with closing(sqlite3.connect(_checking_uri(path), uri=True)) as conn:
            application = int(conn.execute("PRAGMA application_id").fetchone()[0])
            identity = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                str(row[0])
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if full:
                problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
                problems = [] if problems == ["ok"] else problems
            else:
                problems = _quick_problems(conn, tables)
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = None if row is None else str(row[0])
        seconds = time.perf_counter() - started
        cut = None if main_header is None else _cut_short(path, main_header[2])
    except sqlite3.DatabaseError as exc:
        if primary_code(exc) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise read_error(exc, path) from exc  # not damaged: it cannot be opened here
        raise corrupted(path, f"SQLite cannot read it: {exc}.") from exc
    except IsADirectoryError:
        raise StoreError(
            f"{path} is a folder, not a SiteSync store.",
            hint=f"Give the store's file instead, e.g. {path / 'sitesync.sqlite'}.",
        ) from None
    except OSError as exc:
        raise StoreError(
            f"The local database {path} cannot be read: {exc.strerror or exc}.",
            hint="Check that the file exists and that you may read it.",
        ) from exc
    if problems:
        raise corrupted(path, summary(problems, "integrity_check" if full else "quick_check"))
    if cut is not None:
        raise corrupted(path, cut)
    wal = wal_path(path)
    if main_header is not None and wal.exists() and main_header[:2] != (application, identity):
        raise corrupted(
            path,
            f"The write-ahead log {wal.name} beside it belongs to another database "
            "(its header differs from the file's).",
            hint=f"If the store was copied or restored, {wal.name} is probably a leftover: "
            f"close SiteSync, move {wal.name} aside and start again. Otherwise: {RESTORE_HINT}",
        )
    stamped = application == APPLICATION_ID
    if tables and not stamped:
        raise StoreError(
            f"{path} is an SQLite database but not a SiteSync store; it was left untouched.",
            hint="Choose a SiteSync store file, or a new file name to create a store.",
        )
    return FileCheck(
        revision=revision, stamped=stamped, full_check_seconds=seconds if full else None
    )


def backup_name(path: Path, from_revision: str, to_revision: str) -> Path:
    """Where the backup taken before migrating ``path`` goes (beside it, never overwritten)."""
    return backup_path(path, f"{from_revision}-to-{to_revision}")


def backup_path(path: Path, label: str) -> Path:
    """A new backup file beside ``path``: ``<name>.backup-<label>-<UTC time>.sqlite``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{path.name}.backup-{label}-{stamp}"
    target = path.with_name(f"{base}.sqlite")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{base}-{counter}.sqlite")
    return target


def backup(path: Path, target: Path) -> None:
    """Copy the store (including its -wal) to ``target`` with SQLite's online backup API.

    The copy is written under a temporary name, flushed to disk and only then renamed, so a
    file with the backup's name is always complete.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(reading_uri(path), uri=True)) as source,
        closing(sqlite3.connect(partial)) as copy,
    ):
        source.backup(copy)
    fsync_file(partial)
    os.replace(partial, target)
    fsync_directory(target.parent)
