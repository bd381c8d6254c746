"""``packaging/`` is a folder of scripts: as an importable package named ``packaging`` it would
shadow the library of that name that PyInstaller and pip import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_packaging_is_not_a_package() -> None:
    assert not list((ROOT / "packaging").rglob("__init__.py"))


def test_the_packaging_library_is_the_one_imported_from_the_project_root() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import packaging.version, sys; print(packaging.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "site-packages" in done.stdout, done.stdout
