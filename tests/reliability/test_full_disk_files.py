"""F13 for files: a disk that fills while SiteSync creates a store or writes a key file.

A real full disk: a small tmpfs mounted in a private mount namespace (``unshare``), where the
machine allows it; otherwise the tests are skipped and say so. The command must end with a
sentence and its documented exit code, never a traceback, and leave no temporary file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

TIMEOUT = 120


def _unshare_works() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _unshare_works(),
    reason="a full disk is simulated with a tmpfs in 'unshare -rm', which this machine forbids",
)

# mount a tmpfs of $2 KiB on $1, fill all but $3 KiB of it, list it, run the command, list it
SCRIPT = """
set -e
mount -t tmpfs -o size=${2}k tmpfs "$1"
free=$(( $2 - $3 ))
dd if=/dev/zero of="$1/filler" bs=1024 count=$free 2>/dev/null || true
shift 3
set +e
"$@"
code=$?
echo "files: $(ls -A "$LISTED" | tr '\\n' ' ')" >&2
exit $code
"""


def _on_a_small_disk(
    folder: Path, size_kib: int, left_kib: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """``sitesync ARGS --db FOLDER/demo.sqlite`` while FOLDER is a nearly full disk."""
    db = folder / "demo.sqlite"
    return _run_on_a_small_disk(folder, size_kib, left_kib, *args, "--db", str(db))


def _run_on_a_small_disk(
    folder: Path, size_kib: int, left_kib: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """``sitesync ARGS`` while FOLDER is a tmpfs of ``size_kib`` with ``left_kib`` free."""
    mount = ["unshare", "-rm", "sh", "-c", SCRIPT, "sh", str(folder)]
    return subprocess.run(
        [*mount, str(size_kib), str(left_kib), sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "LISTED": str(folder)},
    )


def _files(result: subprocess.CompletedProcess[str]) -> set[str]:
    line = next(line for line in result.stderr.splitlines() if line.startswith("files: "))
    return set(line.removeprefix("files: ").split())


def test_demo_on_a_full_disk_says_so_and_leaves_no_temporary_key_file(tmp_path: Path) -> None:
    result = _on_a_small_disk(tmp_path, 512, 0, "demo", "--units", "2", "--months", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "the disk is full" in result.stderr
    assert _files(result) == {"filler"}  # no 0-byte temporary file, no half store


def test_demo_whose_store_does_not_fit_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    result = _on_a_small_disk(tmp_path, 512, 48, "demo", "--units", "2", "--months", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "The disk filled up" in result.stderr
    assert _files(result) == {"filler"}


def test_demo_that_fills_the_disk_while_generating_says_so_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    result = _on_a_small_disk(tmp_path, 2048, 900, "demo", "--units", "40", "--months", "6")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "The disk filled up while the demo store" in result.stderr
    assert "nothing was left behind" in result.stderr
    assert _files(result) == {"filler"}


def test_an_export_to_a_full_disk_says_so_and_leaves_no_partial_file(tmp_path: Path) -> None:
    db = tmp_path / "store" / "demo.sqlite"
    db.parent.mkdir()
    args = ["demo", "--db", str(db), "--units", "2", "--months", "1", "--as-of", "2026-11-26"]
    built = subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, timeout=TIMEOUT, check=False
    )
    assert built.returncode == 0
    with closing(sqlite3.connect(db)) as conn:
        (unit,) = conn.execute("SELECT id FROM elevators LIMIT 1").fetchone()
    media = tmp_path / "media"
    media.mkdir()
    out = media / "unit.json"
    export = ["audit", "export", "--db", str(db), "--unit", str(unit), "--out", str(out)]
    result = _run_on_a_small_disk(media, 256, 0, *export)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Could not write {out}" in result.stderr
    assert _files(result) == {"filler"}
