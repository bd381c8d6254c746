"""Durable file operations shared by backups and blobs."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a written file's content to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry (a rename into it) to the disk."""
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename itself
        return
    fsync_file(directory)
