"""Which SiteSync this is: the version stamped into a built bundle, else the installed one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

BUILD_INFO: Final = Path(__file__).with_name("build-info.json")
"""Written by ``packaging/build.py`` into the bundle beside this module; absent elsewhere."""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The version, and for a built bundle the commit and time it was built from."""

    version: str
    commit: str = ""
    built_at: str = ""

    def describe(self) -> str:
        """One line, e.g. ``SiteSync 0.1.0 (bundle built 2026-11-26T10:00Z from abc1234)``."""
        if not self.built_at:
            return f"SiteSync {self.version}"
        source = f" from {self.commit}" if self.commit else ""
        return f"SiteSync {self.version} (bundle built {self.built_at}{source})"


def build_info() -> BuildInfo:
    """The stamp of a built bundle, else the version of the installed distribution."""
    try:
        stamp = json.loads(BUILD_INFO.read_text("utf-8"))
        return BuildInfo(str(stamp["version"]), str(stamp["commit"]), str(stamp["built_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        return BuildInfo(metadata.version("sitesync"))
    except metadata.PackageNotFoundError:
        return BuildInfo("unknown")


def version() -> str:
    """SiteSync's version number, e.g. ``0.1.0``."""
    return build_info().version
