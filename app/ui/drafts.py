"""Drafts of forms in progress, as JSON files in the data folder, so work survives a crash."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class DraftStore:
    """One JSON file per draft key, written atomically (temp file, then rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', key)}.json"

    def save(self, key: str, state: dict[str, Any]) -> None:
        """Write the draft; a failure is logged, never raised (the form stays usable)."""
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(".tmp")
            temp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(temp, path)
        except OSError:
            log.exception("could not save the draft %s", path)

    def load(self, key: str) -> dict[str, Any] | None:
        """The saved draft, or None (an unreadable draft is kept aside and ignored)."""
        path = self._path(key)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.exception("the draft %s is unreadable; it was set aside", path)
            path.replace(path.with_suffix(".broken"))
            return None
        return data if isinstance(data, dict) else None

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json")) if self.folder.exists() else []


def visit_drafts(data_dir: Path, store_key: str, profile: str) -> DraftStore:
    """The visit form drafts made in one store by one profile, in the data folder.

    A draft names units, visits and callbacks of the store it was made in (demo stores built
    from the same seed even share their ids), so it is offered only in that store, and only
    to the profile that typed it.
    """
    return DraftStore(data_dir / "drafts" / _SAFE.sub("_", store_key) / _SAFE.sub("_", profile))
