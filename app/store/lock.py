"""One writer per store: an OS file lock beside the store, held while it is open for writing.

The lock is the operating system's (``flock`` on POSIX, ``LockFileEx`` through ``msvcrt`` on
Windows), so it goes away with the process that holds it: a store left by a killed program is
never blocked by a stale lock. The lock file also records who holds it (process id, program and
since when), so a second program can say which one to close.

Within one process the lock is shared: opening a store a second time (a rebuild that backs the
store up and then opens it, say) counts a reference instead of refusing the process itself. The
OS lock belongs to the process, so the table of held locks is per process too.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from app.domain.errors import StoreBusyError, StoreInUseError

LOCK_SUFFIX: Final = ".lock"
_WINDOWS: Final = sys.platform == "win32"
_LOCKED_BYTE: Final = 1 << 20
"""On Windows the lock covers one byte past the holder's note, so the note stays readable."""
_NOTE_LIMIT: Final = 4096
_ATTEMPTS: Final = 10
_BUSY_ERRNOS: Final = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK})


def lock_path(db_path: Path) -> Path:
    """The lock file beside a store."""
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a store's lock, as that program wrote it into the lock file."""

    pid: int | None
    program: str
    since: str

    def describe(self) -> str:
        """``program (process 123, since ...)``, or what little is known."""
        if self.pid is None:
            return "another program (it has not said which yet)"
        since = f", since {self.since}" if self.since else ""
        return f"{self.program or 'another program'} (process {self.pid}{since})"


def this_program() -> str:
    """How the running program was started, short enough for a message."""
    args = list(sys.argv) or [""]
    first = Path(args[0]).name if args[0] not in ("", "-c", "-m") else Path(sys.executable).name
    if first == "__main__.py":
        first = "sitesync"
    text = " ".join([first, *args[1:]])
    return text if len(text) <= 200 else text[:199] + "…"


def _try_lock(fd: int) -> None:
    if _WINDOWS:
        import msvcrt

        os.lseek(fd, _LOCKED_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    if _WINDOWS:
        import msvcrt

        os.lseek(fd, _LOCKED_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined,unused-ignore]
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(fd: int) -> LockHolder:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, _NOTE_LIMIT)
    try:
        note = json.loads(raw.decode("utf-8"))
        pid = note.get("pid")
        return LockHolder(
            pid if isinstance(pid, int) else None,
            str(note.get("program", "")),
            str(note.get("since", "")),
        )
    except (ValueError, AttributeError):
        return LockHolder(None, "", "")


def _write_holder(fd: int) -> None:
    note = {
        "pid": os.getpid(),
        "program": this_program(),
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    data = json.dumps(note).encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
    except OSError:
        pass  # a full disk, say: the lock holds all the same, only its holder goes unnamed


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file ``fd`` locked (a releasing holder removes it)."""
    if _WINDOWS:
        return True  # an open file cannot be removed there
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _in_use(db_path: Path, holder: LockHolder) -> StoreInUseError:
    return StoreInUseError(
        f"{db_path} is open for writing in {holder.describe()}, so nothing was changed.",
        hint="Close SiteSync there, or wait for that command to finish, then try again. "
        "Only one program at a time writes to a store; 'sitesync audit verify' can still read it.",
    )


def _acquire(db_path: Path) -> int:
    path = lock_path(db_path)
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreBusyError(
                f"The lock file {path} cannot be opened: {exc.strerror or exc}; nothing was "
                "changed.",
                hint="Check that the folder of the store can be written, then try again.",
            ) from None
        try:
            _try_lock(fd)
        except OSError as exc:
            holder = _read_holder(fd) if exc.errno in _BUSY_ERRNOS else None
            os.close(fd)
            if holder is None:
                raise StoreBusyError(
                    f"The lock file {path} cannot be locked: {exc.strerror or exc}; nothing was "
                    "changed.",
                    hint="Keep stores on a local disk (network drives may not support locks).",
                ) from None
            raise _in_use(db_path, holder) from None
        if _same_file(fd, path):
            _write_holder(fd)
            return fd
        _unlock(fd)  # its holder removed it while releasing: lock the new one instead
        os.close(fd)
    raise StoreBusyError(
        f"The lock of {db_path} kept changing hands; nothing was changed.",
        hint="Another program is opening and closing this store: close it, then try again.",
    )


@dataclass(slots=True)
class _Held:
    fd: int
    count: int


_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


class StoreLock:
    """This process's hold on a store's write lock; ``release`` it once."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    def release(self) -> None:
        """Give the hold back; the OS lock goes when the last hold in this process does."""
        if self._released:
            return
        self._released = True
        with _HELD_GUARD:
            held = _HELD[self.db_path]
            held.count -= 1
            if held.count:
                return
            del _HELD[self.db_path]
            if not _WINDOWS:
                # removed while still locked, so nobody can lock this file after it is gone
                lock_path(self.db_path).unlink(missing_ok=True)
            try:
                _unlock(held.fd)
            finally:
                os.close(held.fd)


def _key(db_path: Path) -> Path:
    return Path(os.path.realpath(db_path.parent)) / db_path.name


def acquire_store_lock(db_path: Path) -> StoreLock:
    """Take the write lock of the store at ``db_path`` (blocking; a few system calls).

    Raises StoreInUseError naming the program that holds it elsewhere, StoreBusyError when the
    lock file cannot be used at all.
    """
    key = _key(Path(db_path))
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held.count += 1
        else:
            _HELD[key] = _Held(_acquire(key), 1)
    return StoreLock(key)


def holds_store_lock(db_path: Path) -> bool:
    """Whether this process holds the write lock of the store at ``db_path``."""
    with _HELD_GUARD:
        return _key(Path(db_path)) in _HELD
