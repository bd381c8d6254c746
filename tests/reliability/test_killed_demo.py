"""A ``sitesync demo`` killed half-way leaves a store that says it is unfinished."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from app.bootstrap import open_workspace
from app.domain.errors import IncompleteStoreError

TIMEOUT = 120


def _events(db: Path) -> int:
    try:
        uri = db.absolute().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.1)) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_demo_killed_half_way_is_unfinished_when_opened_or_verified(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.sqlite"
    args = ["demo", "--db", str(db), "--units", "200", "--months", "24", "--as-of", "2026-11-26"]
    build = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while _events(db) == 0 and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert build.poll() is None, "the build ended before it could be killed half-way"
        build.send_signal(signal.SIGKILL)  # no chance to clean up
    finally:
        build.wait(TIMEOUT)
    assert _events(db) > 0  # committed work is there...

    with pytest.raises(IncompleteStoreError) as opened:  # ...but the store says it is partial
        asyncio.run(open_workspace(db))
    assert "unfinished demo store" in opened.value.message
    assert opened.value.hint is not None
    assert "rebuild" in opened.value.hint

    verified = subprocess.run(
        [sys.executable, "-m", "app", "audit", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr  # what it holds is intact
    assert "unfinished demo store" in verified.stdout
