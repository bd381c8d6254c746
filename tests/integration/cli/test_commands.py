"""The headless commands end to end on real SQLite files, as an administrator runs them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import main

AS_OF = "2026-11-26"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    assert (
        main(
            [
                "demo",
                "--db",
                str(db),
                "--units",
                "12",
                "--months",
                "3",
                "--seed",
                "11",
                "--as-of",
                AS_OF,
            ]
        )
        == 0
    )
    return db


def _copy(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.sqlite"
    with sqlite3.connect(db) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    for extra in db.parent.glob(db.name + ".*"):
        if extra.is_file():
            (tmp_path / extra.name.replace(db.name, target.name)).write_bytes(extra.read_bytes())
    return target


def test_demo_is_deterministic_for_a_seed(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.sqlite"
    assert (
        main(
            [
                "demo",
                "--db",
                str(again),
                "--units",
                "12",
                "--months",
                "3",
                "--seed",
                "11",
                "--as-of",
                AS_OF,
            ]
        )
        == 0
    )
    query = "SELECT hash FROM events ORDER BY position"
    with sqlite3.connect(demo_db) as a, sqlite3.connect(again) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_verify_intact_store_prints_a_summary(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert "Chain intact" in out
    assert "head hash:" in out
    assert main(["audit", "verify", "--db", str(demo_db), "--links-only"]) == 0


def test_verify_names_the_first_bad_event_and_rule(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(demo_db, tmp_path)
    with sqlite3.connect(db) as conn:
        position, canonical = conn.execute(
            "SELECT position, canonical FROM events WHERE type = 'elevator.status_changed' "
            "ORDER BY position LIMIT 1"
        ).fetchone()
        edited = bytes(canonical).replace(b'"reason":"', b'"reason":"(edited) ', 1)
        conn.execute("UPDATE events SET canonical = ? WHERE position = ?", (edited, position))
    assert main(["audit", "verify", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"#{position}" in err
    assert "rule broken: event-hash" in err


def test_verify_detects_removed_newest_events(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(demo_db, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM events WHERE position = (SELECT max(position) FROM events)")
    assert main(["audit", "verify", "--db", str(db), "--links-only"]) == 1
    assert "rule broken: device-head-mismatch" in capsys.readouterr().err


def test_export_bundle_verifies_alone_and_detects_tampering(demo_db: Path, tmp_path: Path) -> None:
    with sqlite3.connect(demo_db) as conn:
        (unit_id,) = conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 1").fetchone()
    bundle = tmp_path / "unit.json"
    assert (
        main(
            ["audit", "export", "--db", str(demo_db), "--unit", str(unit_id), "--out", str(bundle)]
        )
        == 0
    )
    assert main(["audit", "verify", "--bundle", str(bundle)]) == 0
    doc = json.loads(bundle.read_text("utf-8"))
    assert len(doc["events"]) > 3
    doc["events"][1]["canonical"] = doc["events"][1]["canonical"].replace('"', '"x', 1)
    bundle.write_text(json.dumps(doc), "utf-8")
    assert main(["audit", "verify", "--bundle", str(bundle)]) == 1


def _export(db: Path, unit_id: str, out: Path) -> list[str]:
    assert main(["audit", "export", "--db", str(db), "--unit", unit_id, "--out", str(out)]) == 0
    return [event["event_id"] for event in json.loads(out.read_text("utf-8"))["events"]]


def test_export_picks_the_record_from_signed_bodies_not_from_side_columns(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(demo_db) as conn:
        unit_id, other_id = (
            str(row[0]) for row in conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 2")
        )
    honest = _export(demo_db, unit_id, tmp_path / "honest.json")
    db = _copy(demo_db, tmp_path)
    with sqlite3.connect(db) as conn:  # the unit's events "move" to another unit in the columns
        conn.execute(
            "UPDATE events SET entity_id = ?, type = 'site.updated' WHERE entity_id = ?",
            (other_id, unit_id),
        )
    assert _export(db, unit_id, tmp_path / "edited.json") == honest
    assert main(["audit", "verify", "--bundle", str(tmp_path / "edited.json")]) == 0
    out = capsys.readouterr().out
    assert "Bundle intact" in out
    assert "not provable from the bundle alone" in out


def test_export_of_an_unknown_unit_is_a_clear_error(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "audit",
            "export",
            "--db",
            str(demo_db),
            "--unit",
            "not-a-uuid",
            "--out",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 2
    assert "is not a unit id" in capsys.readouterr().err


GOOD_CSV = """customer,site,site_address,unit_number,manufacturer,drive_type,capacity_kg
Acme Estates,Tower One,1 High Street,L1,KONE,traction,630
Acme Estates,Tower One,1 High Street,L2,Otis,mrl_traction,800
Bay Hotels,Bay Hotel,2 Sea Road,P1,Schindler,hydraulic,1000
"""


def _run_import(db: Path, csv_file: Path, *options: str) -> subprocess.CompletedProcess[str]:
    # a separate process, as an administrator would run it; the password comes on stdin
    # because CI machines have no OS keyring
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "import",
            "--db",
            str(db),
            str(csv_file),
            "--password-stdin",
            *options,
        ],
        input="correct horse battery staple\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_creates_a_store_and_the_fleet(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(GOOD_CSV, "utf-8")
    db = tmp_path / "fleet.sqlite"
    result = _run_import(db, csv_file)
    assert result.returncode == 0, result.stderr
    assert "Imported 3 units; created 2 customers and 2 sites" in result.stdout
    assert "The new store's administrator has no PIN yet" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM elevators").fetchone() == (3,)
    assert _run_verify(db).returncode == 0


def test_a_new_store_made_by_import_follows_the_rules_asked_for(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(GOOD_CSV, "utf-8")
    db = tmp_path / "uk.sqlite"
    result = _run_import(db, csv_file, "--rules", "loler")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        (doc,) = conn.execute("SELECT doc FROM organizations").fetchone()
    assert json.loads(doc)["settings"]["rule_set"] == "uk_loler"

    again = _run_import(db, csv_file, "--rules", "asme")
    assert again.returncode == 2
    assert f"{db} already exists" in again.stderr
    assert "changes the store's rules in Settings" in again.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM elevators").fetchone() == (3,)


def _run_verify(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "audit", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_names_with_control_characters_or_line_breaks_are_line_problems(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(
        "customer,site,site_address,unit_number\n"
        'Acme,"Tower\nOne",1 High Street,L1\n'
        "Acme,Tower Two,2 High Street,L1\x00\n"
        f"Acme,Tower Three,3 High Street,{'L' * 41}\n",
        "utf-8",
    )
    result = _run_import(tmp_path / "fleet.sqlite", csv_file)
    assert result.returncode == 2
    assert "column 'site': Name must fit on one line" in result.stderr
    assert "column 'unit_number': Unit number contains a control character" in result.stderr
    assert "at most 40 characters" in result.stderr


def test_a_new_store_refuses_a_short_password(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(GOOD_CSV, "utf-8")
    db = tmp_path / "f.sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "app", "import", "--db", str(db), str(csv_file), "--password-stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "keyring" in result.stdout:  # pragma: no cover - a machine with an OS keyring
        pytest.skip("this machine has an OS keyring: no password is asked for")
    assert result.returncode == 2
    assert "at least 10 characters" in result.stderr


def test_bad_import_reports_every_line_and_writes_nothing(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(GOOD_CSV, "utf-8")
    db = tmp_path / "fleet.sqlite"
    assert _run_import(db, csv_file).returncode == 0
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        GOOD_CSV.splitlines()[0] + "\nAcme Estates,Tower One,1 High Street,L9,KONE,"
        "traction,630\nAcme Estates,Tower One,1 High Street,,Otis,jet,-5\n",
        "utf-8",
    )
    result = _run_import(db, bad)
    assert result.returncode == 2
    assert "line 3, column 'unit_number': is required but empty" in result.stderr
    assert "line 3, column 'drive_type'" in result.stderr
    assert "nothing was imported" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == before


def test_import_of_a_unit_that_already_exists_rolls_back_the_whole_file(tmp_path: Path) -> None:
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(GOOD_CSV, "utf-8")
    db = tmp_path / "fleet.sqlite"
    assert _run_import(db, csv_file).returncode == 0
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()
    again = tmp_path / "again.csv"
    again.write_text(
        GOOD_CSV.splitlines()[0]
        + "\nNew Customer,New Site,3 New Road,N1,,,\n"
        + GOOD_CSV.splitlines()[1]
        + "\n",
        "utf-8",
    )
    result = _run_import(db, again)
    assert result.returncode == 2
    assert "line 3:" in result.stderr
    assert "already exists" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == before
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (2,)
