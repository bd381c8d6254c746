"""Bring a store file to the point where it can be opened: created, checked, backed up, migrated.

Blocking work, run in a worker thread by ``open_store``.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing, suppress
from pathlib import Path

from app.domain.errors import MigrationError, StoreError, StoreFullError
from app.store import migrate
from app.store.errors import corrupted, is_disk_full
from app.store.files import fsync_directory, fsync_file
from app.store.opening import (
    FileCheck,
    backup,
    backup_name,
    check_file,
    create_file,
    wal_path,
)


def missing_store(path: Path) -> StoreError:
    """The error for opening a store that does not exist."""
    return StoreError(
        f"There is no SiteSync store at {path}.",
        hint="Check the path, or create a new store there.",
    )


def prepare_file(path: Path, create: bool, *, full_check: bool = True) -> FileCheck:
    """Make ``path`` a checked store at the current schema, or raise saying why it is not.

    Without ``full_check`` only the quick check runs (``check_file``), unless the schema has to
    be updated: a store is always fully checked before it is backed up and migrated.
    """
    if not path.exists():
        if not create:
            raise missing_store(path)
        build_new(path)
    found = check_file(path, full=full_check)
    if found.revision not in (migrate.SCHEMA_HEAD, None) and not full_check:
        found = check_file(path, full=True)
    _migrate(path, found, create)
    return found


def _migrate(path: Path, found: FileCheck, create: bool) -> None:
    if found.revision is None:
        if not (create or found.stamped):
            raise StoreError(
                f"{path} is an empty file, not a SiteSync store; it was left untouched.",
                hint="Choose a SiteSync store file, or create a new store.",
            )
        create_file(path)
    if found.revision == migrate.SCHEMA_HEAD:
        return
    head = migrate.head_revision()
    if found.revision == head:
        return
    if found.revision is not None and not migrate.is_known(found.revision):
        raise MigrationError(
            f"{path} was written by a newer version of SiteSync (schema {found.revision}); "
            "this version cannot read it and left it untouched.",
            hint="Update SiteSync to open this store.",
        )
    target = None
    if found.revision is not None:
        target = backup_name(path, found.revision, head)
        try:
            backup(path, target)
        except (sqlite3.Error, OSError) as exc:
            raise MigrationError(
                f"Could not back up {path} before updating its schema ({exc}); "
                "nothing was changed.",
                hint="Free some disk space and start SiteSync again.",
            ) from exc
    try:
        migrate.upgrade(path)
    except Exception as exc:
        saved = f" The backup taken before the update is {target}." if target else ""
        raise MigrationError(
            f"Updating the schema of {path} from {found.revision or 'nothing'} to {head} "
            f"failed ({exc}); the file was left at its previous schema.{saved}",
            hint="Start SiteSync again to retry; if it fails again, restore the backup and "
            "report the problem.",
        ) from exc


def check_for_reading(path: Path) -> None:
    """Check a store that will only be read (never migrated nor written), or say why not."""
    if not path.exists():
        raise StoreError(
            f"There is no SiteSync store at {path}.",
            hint="Check the path to the store file.",
        )
    found = check_file(path)
    if found.revision is None:
        raise StoreError(
            f"{path} is an empty file, not a SiteSync store.",
            hint="Choose a SiteSync store file.",
        )
    if found.revision not in (migrate.SCHEMA_HEAD, migrate.head_revision()):
        newer = not migrate.is_known(found.revision)
        raise StoreError(
            f"{path} has schema {found.revision}, which this version of SiteSync "
            + ("cannot read (it is newer)." if newer else "reads only after updating it."),
            hint="Update SiteSync to read this store."
            if newer
            else "Copy the store to a folder you can write to and open the copy once with "
            "SiteSync (it updates the schema, keeping a backup), then use the copy.",
        )


def build_new(path: Path) -> None:
    """Create a complete store under a temporary name, then rename it into place.

    A crash while creating leaves only the temporary file (replaced by the next attempt),
    never an empty or half-made store under the real name; a failure (a full disk) removes
    the temporary file and says what happened.
    """
    if wal_path(path).exists():
        raise corrupted(path, f"{wal_path(path).name} exists without its database file.")
    partial = path.with_name(path.name + ".creating")
    leftovers = (partial, wal_path(partial), partial.with_name(partial.name + "-shm"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    try:
        _build(partial, path)
    except Exception as exc:  # sqlite3, SQLAlchemy or OS errors: none may leave a half store
        for leftover in leftovers:
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
        if _disk_full(exc):
            raise StoreFullError(
                f"The disk is full, so the new store {path} could not be created; nothing was "
                "left behind.",
                hint="Free some disk space (or choose a larger disk), then try again.",
            ) from exc
        if isinstance(exc, StoreError):
            raise
        raise StoreError(
            f"The new store {path} could not be created ({exc}); nothing was left behind.",
            hint="Check that the folder exists and can be written, then try again.",
        ) from exc


def _disk_full(exc: BaseException) -> bool:
    while exc is not None:
        if is_disk_full(exc) or (
            isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        ):
            return True
        if "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _build(partial: Path, path: Path) -> None:
    create_file(partial)
    migrate.upgrade(partial)
    with closing(sqlite3.connect(partial, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
    wal_path(partial).unlink(missing_ok=True)  # empty after the checkpoint and the close
    fsync_file(partial)
    os.replace(partial, path)
    fsync_directory(path.parent)
