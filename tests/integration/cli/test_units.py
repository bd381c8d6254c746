"""``sitesync units`` lists units with their ids; an export names a folder that does not exist."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.audit.bundle import verify_bundle
from app.main import main
from tests.integration.cli.test_exit_codes import AS_OF, sitesync


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("units") / "demo.sqlite"
    args = ["demo", "--db", str(db), "--units", "4", "--months", "1", "--seed", "3"]
    assert main([*args, "--as-of", AS_OF]) == 0
    return db


def _stored_units(db: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT s.name, e.unit_number, e.id FROM elevators e JOIN sites s ON s.id = e.site_id"
        ).fetchall()
    return {(str(site), str(number), str(unit)) for site, number, unit in rows}


def test_units_lists_every_unit_with_its_id_and_the_id_exports(
    demo_db: Path, tmp_path: Path
) -> None:
    result = sitesync("units", "--db", str(demo_db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Site", "Unit", "Id", "Status"]
    stored = _stored_units(demo_db)
    assert len(stored) == 4
    for site, number, unit in stored:
        line = next(line for line in lines if unit in line)
        assert line.startswith(site)
        assert f"  {number}  " in line
        assert line.rstrip().endswith(("operational", "degraded", "out of service", "maintenance"))
    assert lines[-1].startswith("4 units.")
    unit = next(iter(stored))[2]
    out = tmp_path / "bundle.json"
    exported = sitesync("audit", "export", "--db", str(demo_db), "--unit", unit, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert verify_bundle(out.read_bytes()).subject["entity_id"] == unit


def test_units_of_one_site_in_any_case(demo_db: Path) -> None:
    site = sorted(_stored_units(demo_db))[0][0]
    result = sitesync("units", "--db", str(demo_db), "--site", site.upper())
    assert result.returncode == 0, result.stderr
    expected = {unit for name, _n, unit in _stored_units(demo_db) if name == site}
    listed = {line.split("  ")[0].strip() for line in result.stdout.splitlines()[1:-1]}
    assert listed == {site}
    assert all(unit in result.stdout for unit in expected)


def test_an_unknown_site_names_the_sites_and_exits_2(demo_db: Path) -> None:
    result = sitesync("units", "--db", str(demo_db), "--site", "Nowhere House")
    assert result.returncode == 2
    assert "No units at a site named 'Nowhere House'" in result.stderr
    for site, _number, _unit in _stored_units(demo_db):
        assert site in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_store_exits_2(tmp_path: Path) -> None:
    result = sitesync("units", "--db", str(tmp_path / "missing.sqlite"))
    assert result.returncode == 2
    assert f"There is no store at {tmp_path / 'missing.sqlite'}" in result.stderr
    assert "next step: Give the store with --db PATH" in result.stderr


def test_a_store_without_units_says_how_to_add_them(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "no-units.sqlite"
    shutil.copy(demo_db, db)
    with sqlite3.connect(db) as conn:  # the listing reads the projections only
        conn.execute("DELETE FROM elevators")
    result = sitesync("units", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"No units in {db} yet; add them in the app or with")


def test_an_export_to_a_missing_folder_names_it_and_exits_2(demo_db: Path, tmp_path: Path) -> None:
    unit = next(iter(_stored_units(demo_db)))[2]
    out = tmp_path / "not-there" / "bundle.json"
    result = sitesync("audit", "export", "--db", str(demo_db), "--unit", unit, "--out", str(out))
    assert result.returncode == 2
    assert f"The folder {out.parent} does not exist" in result.stderr
    assert "next step: Create the folder or choose an existing one" in result.stderr
    assert not out.parent.exists()
