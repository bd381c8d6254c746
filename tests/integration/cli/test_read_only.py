"""Verify and export work on an auditor's copy: read-only media or a write-protected file.

Read-only media are simulated with a read-only bind mount in a private mount namespace
(``unshare``), which refuses writes even to root; where the machine does not allow that, the
test is skipped and says so.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import main
from tests.integration.cli.test_exit_codes import AS_OF, TIMEOUT


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "true"], capture_output=True, timeout=TIMEOUT, check=False
    )
    return probe.returncode == 0


needs_mount_namespace = pytest.mark.skipif(
    sys.platform != "linux" or not _unshare_works(),
    reason="read-only media are simulated with 'unshare -rm', which this machine does not allow",
)
needs_ordinary_user = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root can write to a write-protected file, so the protection proves nothing",
)


@pytest.fixture(scope="module")
def auditor_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with its key file, alone in a folder."""
    db = tmp_path_factory.mktemp("auditor") / "evidence.sqlite"
    args = ["demo", "--db", str(db), "--units", "2", "--months", "1", "--seed", "3"]
    assert main([*args, "--as-of", AS_OF]) == 0
    shutil.rmtree(db.with_name(db.name + ".blobs"), ignore_errors=True)
    return db


def _unit(db: Path) -> str:
    uri = db.absolute().as_uri() + "?mode=ro&immutable=1"
    with sqlite3.connect(uri, uri=True) as conn:
        (unit,) = conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 1").fetchone()
    return str(unit)


def _on_read_only_media(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sitesync ARGS`` while ``folder`` is mounted read-only."""
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    command = ["unshare", "-rm", "sh", "-c", script, "sh", str(folder)]
    return subprocess.run(
        [*command, sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@needs_mount_namespace
def test_verify_and_export_work_on_read_only_media(auditor_copy: Path, tmp_path: Path) -> None:
    before = _snapshot(auditor_copy.parent)
    verified = _on_read_only_media(
        auditor_copy.parent, "audit", "verify", "--db", str(auditor_copy)
    )
    assert verified.returncode == 0, verified.stderr
    assert "Chain intact" in verified.stdout
    out = tmp_path / "unit.json"
    exported = _on_read_only_media(
        auditor_copy.parent,
        *("audit", "export", "--db", str(auditor_copy)),
        *("--unit", _unit(auditor_copy), "--out", str(out)),
    )
    assert exported.returncode == 0, exported.stderr
    assert main(["audit", "verify", "--bundle", str(out)]) == 0
    assert _snapshot(auditor_copy.parent) == before  # nothing written, nothing created beside it


@needs_mount_namespace
def test_a_store_that_cannot_be_read_there_says_why_not_that_nothing_was_saved(
    auditor_copy: Path, tmp_path: Path
) -> None:
    # a store copied while open: its last commits are still in the -wal, which SQLite cannot
    # read on read-only media without creating a shared-memory file beside it
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / auditor_copy.name
    shutil.copy(auditor_copy, db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("INSERT INTO store_meta (key, value) VALUES ('note', 'in the wal')")
        conn.commit()
        shutil.copy(db, folder / "db.copy")
        shutil.copy(db.with_name(db.name + "-wal"), folder / "wal.copy")
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    (folder / "db.copy").rename(db)
    (folder / "wal.copy").rename(db.with_name(db.name + "-wal"))

    result = _on_read_only_media(folder, "audit", "verify", "--db", str(db))

    assert result.returncode == 2
    assert "saved" not in result.stderr
    assert "damaged" not in result.stderr
    assert "copy the store and its -wal file" in result.stderr


@needs_ordinary_user
def test_verify_and_export_work_on_a_write_protected_store(
    auditor_copy: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "protected"
    folder.mkdir()
    db = folder / auditor_copy.name
    for source in auditor_copy.parent.iterdir():
        if source.is_file():
            shutil.copy(source, folder / source.name)
    for path in (*folder.iterdir(), folder):
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | (stat.S_IXUSR if path.is_dir() else 0))
    try:
        assert main(["audit", "verify", "--db", str(db)]) == 0
        out = tmp_path / "unit.json"
        args = ["audit", "export", "--db", str(db), "--unit", _unit(db), "--out", str(out)]
        assert main(args) == 0
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_path_that_is_not_a_store_file_is_a_read_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--db", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not a SiteSync store" in err
    assert "saved" not in err
