"""Every command, run as its own process on a broken store, exits with its documented code.

0 success, 1 verification failed, 2 bad input or error; and it exits: nothing it opened (a
store connection's thread) may keep the process alive after the report.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit.bundle_document import MAX_BUNDLE_BYTES
from app.main import main
from tests.integration.cli.tampering import (
    TAMPERS,
    Case,
    edit_payload,
    not_utf8,
    tampered_copy,
)

AS_OF = "2026-11-26"
TIMEOUT = 60  # seconds; a command that hangs fails its test instead of the whole run


def sitesync(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sitesync ARGS`` in a new process, as an administrator would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("exit-codes") / "demo.sqlite"
    args = ["demo", "--db", str(db), "--units", "3", "--months", "1", "--seed", "5"]
    assert main([*args, "--as-of", AS_OF]) == 0
    return db


@pytest.mark.parametrize("case", TAMPERS, ids=lambda case: case.name)
def test_verify_reports_every_broken_rule_and_exits_1(
    case: Case, demo_db: Path, tmp_path: Path
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", case.tamper)
    result = sitesync("audit", "verify", "--db", str(db))
    assert result.returncode == 1, result.stderr
    assert f"rule broken: {case.full_rule}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", TAMPERS, ids=lambda case: case.name)
def test_link_only_verify_exits_with_its_documented_code(
    case: Case, demo_db: Path, tmp_path: Path
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", case.tamper)
    result = sitesync("audit", "verify", "--db", str(db), "--links-only")
    if case.links_rule is None:  # links alone cannot see this edit: they are intact
        assert result.returncode == 0, result.stderr
        assert "Chain intact (links only)" in result.stdout
    else:
        assert result.returncode == 1, result.stderr
        assert f"rule broken: {case.links_rule}" in result.stderr
    assert "Traceback" not in result.stderr


def test_deep_verify_and_rebuild_of_a_broken_store_exit_1(demo_db: Path, tmp_path: Path) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    deep = sitesync("audit", "verify", "--db", str(db), "--deep")
    assert deep.returncode == 1, deep.stderr
    assert "rule broken: event-hash" in deep.stderr
    rebuild = sitesync("store", "rebuild", "--db", str(db))
    assert rebuild.returncode == 1, rebuild.stderr
    assert "was not rebuilt" in rebuild.stderr


def _a_unit(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        (unit,) = conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 1").fetchone()
    return str(unit)


def test_export_from_a_broken_store_exits_and_its_bundle_fails(
    demo_db: Path, tmp_path: Path
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    out = tmp_path / "unit.json"
    unit = _a_unit(db)
    exported = sitesync("audit", "export", "--db", str(db), "--unit", unit, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    checked = sitesync("audit", "verify", "--bundle", str(out))
    assert checked.returncode in (0, 1), checked.stderr
    assert "Traceback" not in checked.stderr


def test_export_from_a_store_whose_log_cannot_be_read_exits_1(
    demo_db: Path, tmp_path: Path
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", not_utf8)
    out = tmp_path / "unit.json"
    result = sitesync("audit", "export", "--db", str(db), "--unit", _a_unit(db), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "rule broken: utf8" in result.stderr
    assert not out.exists()


def test_import_into_a_broken_store_exits(demo_db: Path, tmp_path: Path) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "customer,site,site_address,unit_number\nNew Estates,New House,1 New Road,L1\n", "utf-8"
    )
    result = sitesync("import", "--db", str(db), str(fleet))
    assert result.returncode == 0, result.stderr
    assert "Imported 1 unit;" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "said"),
    [
        (["units"], None, 0, "3 units."),
        (["status"], None, 0, "not joined to a server"),
        (["sync"], None, 2, "is a demo store: it never syncs"),
        (["sync", "--password-stdin"], "a password 123\n", 2, "is a demo store: it never syncs"),
        (["logout", "--password-stdin"], "a password 123\n", 0, "nothing to do"),
        (
            [
                "login",
                "--server",
                "http://127.0.0.1:9",
                "--email",
                "a@b.example",
                "--password-stdin",
            ],
            "a password 123\n",
            2,
            "Could not reach the server",
        ),
    ],
    ids=["units", "status", "sync", "sync-password", "logout", "login-unreachable"],
)
def test_the_account_and_listing_commands_on_a_broken_store_exit(
    args: list[str], stdin: str | None, code: int, said: str, demo_db: Path, tmp_path: Path
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    result = sitesync(*args, "--db", str(db), stdin=stdin)
    assert result.returncode == code, result.stdout + result.stderr
    assert said in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_demo_over_an_existing_store_exits_2(demo_db: Path, tmp_path: Path) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    result = sitesync("demo", "--db", str(db), "--units", "2")
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_store_and_bad_bundle_exit_2(tmp_path: Path) -> None:
    missing = sitesync("audit", "verify", "--db", str(tmp_path / "nowhere.sqlite"))
    assert missing.returncode == 2
    assert "There is no SiteSync store" in missing.stderr
    bundle = tmp_path / "bundle.json"
    bundle.write_text("{not json", "utf-8")
    bad = sitesync("audit", "verify", "--bundle", str(bundle))
    assert bad.returncode == 1
    assert "rule broken: bundle-format" in bad.stderr


def test_a_bundle_file_past_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    bundle = tmp_path / "huge.json"
    with bundle.open("wb") as file:
        file.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: costs no disk
    result = sitesync("audit", "verify", "--bundle", str(bundle))
    assert result.returncode == 1
    assert "rule broken: bundle-limit" in result.stderr


def test_what_came_from_outside_is_printed_without_terminal_escapes(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "customer,site,site_address,unit_number,manufacturer\n"
        "Acme,Tower,1 Road,L1,\x1b]0;owned\x07\x1b[2J\n",
        "utf-8",
    )
    result = sitesync("import", "--db", str(tmp_path / "new.sqlite"), str(fleet), stdin="")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert "\\u001b]0;owned" in result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_fault_is_one_sentence_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug: bool,
) -> None:
    async def broken(_args: object) -> int:
        raise RuntimeError("a fault of the program itself")

    monkeypatch.setattr("app.cli.units_command", broken)
    if debug:
        monkeypatch.setenv("SITESYNC_DEBUG", "1")
    else:
        monkeypatch.delenv("SITESYNC_DEBUG", raising=False)

    assert main(["units", "--db", str(tmp_path / "any.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "SiteSync stopped on an unexpected problem" in err
    assert "a fault of the program itself" in err
    assert "SITESYNC_DEBUG=1" in err  # the next step
    assert ("Traceback" in err) is debug  # the details only when asked for


def test_a_folder_given_as_the_store_is_named_as_a_folder(tmp_path: Path) -> None:
    result = sitesync("units", "--db", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path} is a folder, not a SiteSync store" in result.stderr
    assert "next step: Give the store's file instead" in result.stderr
