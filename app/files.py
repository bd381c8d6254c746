"""Files written whole or not at all."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from app.domain.errors import SiteSyncError


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file, so a reader never sees half a file.

    A failed write (a full disk, a folder that cannot be written) leaves no temporary file
    behind and raises a SiteSyncError naming the file and the next step.
    """
    tmp = out.with_name(out.name + ".partial")
    try:
        with tmp.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        tmp.replace(out)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise SiteSyncError(
            f"Could not write {out}: {exc.strerror or exc}.",
            hint="Free some disk space or choose a folder you can write to, then try again.",
        ) from None
