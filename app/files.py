"""Files written whole or not at all."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from app.domain.errors import SiteSyncError


def check_folder(out: Path) -> None:
    """Raise a SiteSyncError naming the folder when ``out`` cannot go where it is asked to.

    Called before slow work (verifying a chain, building a bundle) so that a mistyped folder
    is reported at once, and again by ``write_atomically`` in case the folder went away.
    """
    folder = out.parent
    if not folder.exists():
        raise SiteSyncError(
            f"The folder {folder} does not exist, so {out.name} cannot be written there.",
            hint="Create the folder or choose an existing one, then export again.",
        )
    if not folder.is_dir():
        raise SiteSyncError(
            f"{folder} is a file, not a folder, so {out.name} cannot be written there.",
            hint="Choose a folder to write the file into, then export again.",
        )


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file, so a reader never sees half a file.

    A failed write (a full disk, a folder that cannot be written or does not exist) leaves no
    temporary file behind and raises a SiteSyncError naming the file and the next step.
    """
    check_folder(out)
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
