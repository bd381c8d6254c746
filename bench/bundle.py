"""The desktop bundle: how long a clean build takes, its size on disk and what the size is made of.

    uv run python -m bench.bundle

Runs ``packaging/build.py --clean`` (PyInstaller's cache rebuilt too, as on a fresh machine),
then reads ``dist/sitesync``. The start-up of the built bundle is timed by
``bench.ui_startup --bundle``. Results go to bench/results/bundle.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, save

PARTS = {
    "Qt libraries (without ICU)": (
        "_internal/PySide6/Qt/lib/libQt6",
        "_internal/PySide6/Qt/lib/Qt",
    ),
    "ICU (Qt's Unicode data)": ("_internal/PySide6/Qt/lib/libicu",),
    "Qt plugins": ("_internal/PySide6/Qt/plugins/",),
    "PySide6 bindings": ("_internal/PySide6/", "_internal/shiboken6/"),
    "Python modules (the executable's archive)": ("sitesync",),
    "Python and its standard library": (
        "_internal/libpython",
        "_internal/python3",
        "_internal/base",
    ),
    "cryptography (Secret Service keyring)": ("_internal/cryptography",),
}


def _sizes(folder: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            sizes[path.relative_to(folder).as_posix()] = path.lstat().st_size
    return sizes


def _parts(sizes: dict[str, int]) -> dict[str, float]:
    found = dict.fromkeys([*PARTS, "everything else"], 0)
    for path, size in sizes.items():
        part = next(
            (name for name, prefixes in PARTS.items() if path.startswith(prefixes)),
            "everything else",
        )
        found[part] += size
    return {name: round(size / 1e6, 1) for name, size in found.items()}


def main() -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--clean"], cwd=ROOT, check=True
    )
    seconds = time.perf_counter() - started
    report = json.loads((ROOT / "build" / "bundle.json").read_text("utf-8"))
    sizes = _sizes(ROOT / report["bundle"])
    save(
        "bundle",
        {
            "command": "uv run python -m bench.bundle",
            "version": report["version"],
            "commit": report["commit"],
            "platform": report["platform"],
            "clean_build_s": round(seconds, 1),
            "size_mb": round(sum(sizes.values()) / 1e6, 1),
            "files": len(sizes),
            "parts_mb": _parts(sizes),
        },
    )


if __name__ == "__main__":
    main()
