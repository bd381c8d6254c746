"""``sitesync --version`` and ``sitesync --self-check`` from the source tree (the bundle test
runs the same from dist/)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("store", "signed event", "checkpoint", "window", "versions", "keyring")


def run_sitesync(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m app ARGS`` in a clean environment whose data and settings live in ``home``."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "C.UTF-8",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean,
        timeout=120,
        check=False,
    )


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def test_version_prints_the_project_version(tmp_path: Path) -> None:
    done = run_sitesync("--version", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"SiteSync {project_version()}"


def test_self_check_passes_every_step_and_leaves_nothing_behind(tmp_path: Path) -> None:
    done = run_sitesync("--self-check", home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for step in STEPS:
        assert any(line.strip().startswith(f"ok     {step}:") for line in lines), done.stdout
    assert "signatures" in done.stdout
    assert "inclusion proof of the newest event verified" in done.stdout
    assert "signed in with the supervisor's PIN; main window painted" in done.stdout
    assert "Dashboard with 2 charts" in done.stdout
    assert f"SQLite {__import__('sqlite3').sqlite_version}" in done.stdout
    assert lines[-1] == "self-check passed: 6 steps"
    assert not any(tmp_path.rglob("*.sqlite")), "the self-check wrote a store outside its folder"


def test_a_failed_step_is_named_and_exits_1(tmp_path: Path) -> None:
    done = run_sitesync(
        "--self-check", home=tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.missing.Keyring"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED keyring: No module named 'keyring.backends.missing'" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("self-check FAILED (keyring)")
    assert "Traceback" not in done.stdout + done.stderr
