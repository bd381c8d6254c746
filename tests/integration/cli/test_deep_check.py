"""``audit verify --deep`` folds the log again and names the first projection that differs;
``store rebuild`` backs the store up, then rebuilds the projections from the log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.audit.errors import AuditError, Rule
from app.bootstrap import open_workspace
from app.main import main
from tests.integration.cli.tampering import edit_payload, tampered_copy
from tests.integration.cli.test_exit_codes import AS_OF


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("deep") / "demo.sqlite"
    args = ["demo", "--db", str(db), "--units", "4", "--months", "2", "--seed", "9"]
    assert main([*args, "--as-of", AS_OF]) == 0
    return db


def _first_unit(conn: sqlite3.Connection) -> str:
    (unit,) = conn.execute("SELECT id FROM elevators ORDER BY id LIMIT 1").fetchone()
    return str(unit)


def decommission_in_projection(conn: sqlite3.Connection) -> None:
    """The unit's row says decommissioned; no signed event says so."""
    unit = _first_unit(conn)
    (doc,) = conn.execute("SELECT doc FROM elevators WHERE id = ?", (unit,)).fetchone()
    edited = json.loads(doc) | {"status": "decommissioned"}
    conn.execute(
        "UPDATE elevators SET doc = ?, status = 'decommissioned' WHERE id = ?",
        (json.dumps(edited), unit),
    )


def delete_a_visit(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM visits WHERE id = (SELECT min(id) FROM visits)")


def test_an_intact_store_passes_the_deep_check(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--db", str(demo_db), "--deep"]) == 0
    out = capsys.readouterr().out
    assert "Chain intact" in out
    assert "Projections match the log" in out


def test_an_edited_projection_is_named_by_the_deep_check_only(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tampered_copy(demo_db, tmp_path / "edited.sqlite", decommission_in_projection)
    with sqlite3.connect(db) as conn:
        unit = _first_unit(conn)
    assert main(["audit", "verify", "--db", str(db)]) == 0  # the chain itself is intact
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(db), "--deep"]) == 1
    err = capsys.readouterr().err
    assert "rule broken: projection-mismatch" in err
    assert f"elevators {unit}" in err
    assert "'decommissioned'" in err


def test_a_missing_projection_row_is_named(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tampered_copy(demo_db, tmp_path / "missing.sqlite", delete_a_visit)
    assert main(["audit", "verify", "--db", str(db), "--deep"]) == 1
    err = capsys.readouterr().err
    assert "visits" in err
    assert "the log has this record, the stored projections do not" in err


def test_rebuild_backs_up_first_then_puts_the_projections_right(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tampered_copy(demo_db, tmp_path / "edited.sqlite", decommission_in_projection)
    assert main(["store", "rebuild", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith("Backup taken first: ")]
    backup = Path(line.removeprefix("Backup taken first: "))
    assert backup.parent == db.parent
    assert backup.name.startswith("edited.sqlite.backup-before-rebuild-")
    assert main(["audit", "verify", "--db", str(db), "--deep"]) == 0
    with sqlite3.connect(backup) as conn:  # the backup is the store as it was
        (edited,) = conn.execute(
            "SELECT count(*) FROM elevators WHERE status = 'decommissioned'"
        ).fetchone()
    assert edited == 1


def test_rebuild_refuses_a_store_whose_chain_fails(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tampered_copy(demo_db, tmp_path / "broken.sqlite", edit_payload)
    before = db.read_bytes()
    assert main(["store", "rebuild", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "was not rebuilt" in err
    assert "rule broken: event-hash" in err
    assert db.read_bytes() == before
    assert not list(db.parent.glob("*.backup-*"))


async def test_the_apps_deep_check_compares_the_open_store(demo_db: Path, tmp_path: Path) -> None:
    db = tampered_copy(demo_db, tmp_path / "edited.sqlite", decommission_in_projection)
    ws = await open_workspace(db)
    try:
        with pytest.raises(AuditError) as caught:
            await ws.deep_check(lambda _done, _total: None)
    finally:
        await ws.close()
    assert caught.value.rule == Rule.PROJECTION_MISMATCH
    assert "elevators" in caught.value.message
    intact = await open_workspace(demo_db)
    try:
        assert (await intact.deep_check(lambda _done, _total: None)).events > 0
    finally:
        await intact.close()
