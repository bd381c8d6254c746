"""One writer per store: a second program is refused with the holder's name and writes nothing;
a killed holder never leaves a lock behind. Real processes, real files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.errors import StoreInUseError
from app.main import main
from app.store import open_store
from app.store.lock import acquire_store_lock, holds_store_lock, lock_path

HOLDER = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from app.store import open_store

    async def hold() -> None:
        store = await open_store(Path(sys.argv[1]))
        print("holding", flush=True)
        await asyncio.sleep(120)
        await store.close()

    asyncio.run(hold())
""")

CSV = "customer,site,site_address,unit_number\nAcme,Tower,1 Main St,L1\n"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("lock") / "demo.sqlite"
    argv = ["demo", "--db", str(db), "--units", "3", "--months", "1", "--as-of", "2026-11-26"]
    assert main(argv) == 0
    return db


@pytest.fixture
def store_file(demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store (and its key file) for one test."""
    target = tmp_path / "store.sqlite"
    with sqlite3.connect(demo_store) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    for extra in demo_store.parent.glob(demo_store.name + ".*"):
        if extra.is_file():
            name = extra.name.replace(demo_store.name, target.name)
            (tmp_path / name).write_bytes(extra.read_bytes())
    return target


def _holder(db: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "holding\n", line + process.stderr.read() if process.stderr else ""
    return process


@pytest.fixture
def held(store_file: Path) -> Iterator[subprocess.Popen[str]]:
    process = _holder(store_file)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _sitesync(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _events(db: Path) -> int:
    with sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def test_a_second_writer_is_refused_naming_the_holder(
    store_file: Path, held: subprocess.Popen[str], tmp_path: Path
) -> None:
    csv = tmp_path / "fleet.csv"
    csv.write_text(CSV, "utf-8")
    before = _events(store_file)
    done = _sitesync("import", "--db", str(store_file), str(csv))
    assert done.returncode == 2, done.stderr
    assert f"process {held.pid}" in done.stderr
    assert "python" in done.stderr  # the holder's program, as it was started
    assert "nothing was changed" in done.stderr
    assert "next step: Close SiteSync there" in done.stderr
    assert _events(store_file) == before

    rebuilt = _sitesync("store", "rebuild", "--db", str(store_file))
    assert rebuilt.returncode == 2, rebuilt.stderr
    assert f"process {held.pid}" in rebuilt.stderr
    assert not list(tmp_path.glob("*.backup-*")), "the refused rebuild took a backup"

    for command in (["sync"], ["demo", "--units", "3", "--months", "1"]):
        refused = _sitesync(*command, "--db", str(store_file))
        assert refused.returncode == 2, (command, refused.stderr)
        assert f"process {held.pid}" in refused.stderr, command
    assert _events(store_file) == before


def test_read_only_verification_needs_no_lock(
    store_file: Path, held: subprocess.Popen[str]
) -> None:
    done = _sitesync("audit", "verify", "--db", str(store_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Chain intact")


def test_a_killed_holder_leaves_no_lock(
    store_file: Path, held: subprocess.Popen[str], tmp_path: Path
) -> None:
    assert lock_path(store_file).exists()
    os.kill(held.pid, signal.SIGKILL)
    held.wait(timeout=30)
    assert lock_path(store_file).exists()  # the file stays; the OS lock went with the process
    csv = tmp_path / "fleet.csv"
    csv.write_text(CSV, "utf-8")
    before = _events(store_file)
    done = _sitesync("import", "--db", str(store_file), str(csv))
    assert done.returncode == 0, done.stderr
    assert _events(store_file) > before
    assert not lock_path(store_file).exists()  # a clean close removes it


def test_a_second_opener_is_refused_until_the_first_dies(store_file: Path) -> None:
    first = _holder(store_file)
    try:
        second = subprocess.run(
            [sys.executable, "-c", HOLDER, str(store_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode != 0
        assert f"process {first.pid}" in second.stderr
    finally:
        first.kill()
        first.wait(timeout=30)
    after = _holder(store_file)  # the first one's lock is gone with it
    after.kill()
    after.wait(timeout=30)


async def test_one_process_shares_its_own_lock(store_file: Path) -> None:
    store = await open_store(store_file)
    again = await open_store(store_file)
    assert holds_store_lock(store_file)
    await again.close()
    assert holds_store_lock(store_file)
    assert lock_path(store_file).exists()
    await store.close()
    assert not holds_store_lock(store_file)
    assert not lock_path(store_file).exists()


async def test_a_missing_store_takes_no_lock(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="There is no SiteSync store"):
        await open_store(tmp_path / "absent" / "store.sqlite")
    assert not (tmp_path / "absent").exists()


def test_a_lock_held_elsewhere_is_reported_by_the_lock_itself(
    store_file: Path, held: subprocess.Popen[str]
) -> None:
    with pytest.raises(StoreInUseError, match=f"process {held.pid}") as caught:
        acquire_store_lock(store_file)
    assert caught.value.hint is not None
    assert not holds_store_lock(store_file)
