"""``sitesync import`` is all or nothing, whatever stops it, and says what stopped it.

A bad line anywhere (even after thousands of good ones), a full disk half-way, a store locked
by another program: the store is left exactly as it was, and each gets its own message with the
next step. No traceback reaches the person running it.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from app import bootstrap
from app.audit_trail import verify_store
from app.bootstrap import open_workspace
from app.cli import import_rows
from app.domain.errors import ConcurrentWriteError, StoreFullError
from app.services.context import ServiceContext
from app.services.fleet_import import ImportRow, import_fleet, parse_fleet_csv
from app.store.errors import concurrent_write
from tests.integration.cli.test_exit_codes import TIMEOUT

HEADER = ["customer", "site", "site_address", "unit_number"]
PASSWORD = "correct horse battery staple\n"


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _fleet(units: int) -> list[list[str]]:
    """``units`` new units, four to a site, twenty sites to a customer."""
    return [
        [f"Customer {n // 80}", f"Site {n // 4}", f"{n // 4} Long Road", f"L{n % 4 + 1}"]
        for n in range(units)
    ]


def _counts(db: Path) -> tuple[int, int, int]:
    with closing(sqlite3.connect(db)) as conn:
        events, units, sites = (
            int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("events", "elevators", "sites")
        )
    return events, units, sites


def sitesync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args, "--password-stdin"],
        input=PASSWORD,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding two units: Acme Estates, Tower One, L1 and L2."""
    db = tmp_path / "fleet.sqlite"
    first = tmp_path / "first.csv"
    tower = ["Acme Estates", "Tower One", "1 High Street"]
    first.write_bytes(_csv([[*tower, "L1"], [*tower, "L2"]]))
    result = sitesync("import", "--db", str(db), str(first))
    assert result.returncode == 0, result.stderr
    return db


def test_a_clash_after_unit_1500_leaves_nothing_written(store: Path, tmp_path: Path) -> None:
    rows = _fleet(2000)
    rows[1600] = ["Acme Estates", "Tower One", "1 High Street", "L1"]  # already in the store
    rows[1900] = ["Acme Estates", "Tower One", "1 High Street", "l2"]  # in any case
    big = tmp_path / "big.csv"
    big.write_bytes(_csv(rows))
    before = _counts(store)

    result = sitesync("import", "--db", str(store), str(big))

    assert result.returncode == 2
    assert "nothing was imported" in result.stderr
    assert "line 1602:" in result.stderr  # every clash listed, with its line number
    assert "line 1902:" in result.stderr
    assert "Traceback" not in result.stderr
    assert _counts(store) == before


async def test_a_disk_that_fills_half_way_leaves_nothing_written(store: Path) -> None:
    rows = parse_fleet_csv(_csv(_fleet(1200)))
    ws = await open_workspace(store, password=lambda: PASSWORD.strip())
    try:
        before = _counts(store)
        pages = await ws.store.page_count()
        await ws.store.limit_pages(pages + 60)  # room for a part of the fleet, not all of it
        with pytest.raises(StoreFullError) as failure:
            await import_rows(ws, rows, as_user=None)
        assert "nothing was imported" in failure.value.message
        assert failure.value.hint is not None
        assert "Free some disk space" in failure.value.hint
        assert _counts(store) == before

        await ws.store.limit_pages(None)  # space freed: the same import now goes through
        summary = await import_rows(ws, rows, as_user=None)
        assert summary.units == 1200
    finally:
        await ws.close()


def test_a_locked_store_gets_its_own_message(store: Path, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_bytes(_csv(_fleet(3)))
    before = _counts(store)
    locked = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:  # another program writing to the store, for long
        with closing(sqlite3.connect(store, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            locked.set()
            release.wait(TIMEOUT)
            conn.execute("ROLLBACK")

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(TIMEOUT)
        result = sitesync("import", "--db", str(store), str(fleet))
    finally:
        release.set()
        holder.join(TIMEOUT)
    assert result.returncode == 2
    assert "locked by another program" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "import file has" not in result.stderr
    assert _counts(store) == before


async def test_a_writer_that_committed_before_the_import_does_not_break_the_chain(
    store: Path,
) -> None:
    # The import's store cached the device's chain head; another program then appended to the
    # same chain. The import starts its transaction from what is really in the file.
    ws = await open_workspace(store, password=lambda: PASSWORD.strip())
    try:
        await import_rows(ws, parse_fleet_csv(_csv(_fleet(2))), as_user=None)  # head cached
        other = await open_workspace(store, password=lambda: PASSWORD.strip())
        try:
            await import_rows(other, parse_fleet_csv(_csv(_fleet(8)[4:])), as_user=None)
        finally:
            await other.close()
        summary = await import_rows(ws, parse_fleet_csv(_csv(_fleet(12)[8:])), as_user=None)
        assert summary.units == 4
    finally:
        await ws.close()
    assert (await verify_store(store)).events == _counts(store)[0]


async def test_another_program_writing_during_the_import_gets_its_own_message(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def met_another_writer(rows: list[ImportRow], *, ctx: ServiceContext) -> object:
        await import_fleet(rows[:2], ctx=ctx)  # a part written in the import's transaction
        raise concurrent_write(store)  # then the chain met another program's change

    monkeypatch.setattr(bootstrap, "import_fleet", met_another_writer)
    before = _counts(store)
    ws = await open_workspace(store, password=lambda: PASSWORD.strip())
    try:
        with pytest.raises(ConcurrentWriteError) as failure:
            await import_rows(ws, parse_fleet_csv(_csv(_fleet(6))), as_user=None)
    finally:
        await ws.close()
    assert failure.value.message == (
        f"Another program wrote to {store} during the import, so nothing was imported."
    )
    assert failure.value.hint is not None
    assert "close it, then try again" in failure.value.hint
    assert _counts(store) == before
    assert (await verify_store(store)).events == before[0]


def test_a_field_past_the_csv_limit_is_a_line_problem_not_a_traceback(
    store: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.csv"
    huge.write_bytes(_csv([["Acme Estates", "Tower Two", "x" * 200_000, "L1"]]))
    result = sitesync("import", "--db", str(store), str(huge))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "line 2" in result.stderr
    assert "nothing was imported" in result.stderr
