"""F18: a migration that fails or is killed midway never leaves a half-migrated store.

The next start either completes the migration or fails clearly, and a backup of the old store
was taken before anything changed. The broken and slow migrations are test-only revisions in a
temporary directory added to the store's version locations.
"""

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

from app.demo.seeding import seed_events
from app.domain.errors import MigrationError
from app.store import migrate, open_store
from app.store.opening import check_file

ROOT = Path(__file__).resolve().parents[2]

MIGRATION = """
import time
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("elevators") as batch:
        batch.add_column(sa.Column("tag", sa.Text(), nullable=True))
    op.execute("UPDATE elevators SET tag = 'half'")
    {ending}


def downgrade() -> None:
    with op.batch_alter_table("elevators") as batch:
        batch.drop_column("tag")
    op.drop_table("widgets")
"""
FAIL = 'raise RuntimeError("the migration broke midway")'
HANG = 'open({marker!r}, "w").close()\n    time.sleep(60)'
FINISH = "pass"


def write_revision(directory: Path, ending: str, after: str) -> None:
    directory.mkdir(exist_ok=True)
    text = MIGRATION.format(head=after, ending=ending)
    (directory / "9001_test_only.py").write_text(text)


def schema(path: Path) -> tuple[str | None, set[str], set[str], int]:
    """Revision, tables, elevator columns and event count of a store file."""
    with closing(sqlite3.connect(path)) as db:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in db.execute("PRAGMA table_info(elevators)")}
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    return revision, tables, columns, events


def make_store(path: Path) -> None:
    async def fill() -> None:
        store = await open_store(path, create=True)
        try:
            await seed_events(store, events=150, units=10)
        finally:
            await store.close()

    asyncio.run(fill())


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.backup-*.sqlite"))


def test_a_failing_migration_leaves_the_old_schema_and_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.sqlite"
    make_store(path)
    old = schema(path)
    head = migrate.head_revision()
    extra = tmp_path / "versions"
    write_revision(extra, FAIL, head)
    monkeypatch.setattr(migrate, "VERSION_LOCATIONS", [*migrate.VERSION_LOCATIONS, extra])
    monkeypatch.setattr(migrate, "SCHEMA_HEAD", "9001")

    with pytest.raises(MigrationError, match="the migration broke midway") as failed:
        asyncio.run(open_store(path))
    [backup] = backups(path)
    assert backup.name.startswith(f"store.sqlite.backup-{head}-to-9001-")
    assert str(backup) in failed.value.message
    assert "left at its previous schema" in failed.value.message
    assert schema(path) == old  # not half-migrated: no widgets table, no tag column
    assert check_file(backup).revision == head  # the backup is a sound store of the old data
    assert schema(backup) == old

    # the next start fails again, just as clearly, and the store is still the old one
    with pytest.raises(MigrationError, match="the migration broke midway"):
        asyncio.run(open_store(path))
    assert schema(path) == old

    # with the migration fixed, the next start completes it
    write_revision(extra, FINISH, head)
    store = asyncio.run(open_store(path))
    asyncio.run(store.close())
    revision, tables, columns, events = schema(path)
    assert (revision, events) == ("9001", old[3])
    assert "widgets" in tables
    assert "tag" in columns


def test_a_migration_killed_midway_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    make_store(path)
    old = schema(path)
    marker = tmp_path / "migrating"
    extra = tmp_path / "versions"
    write_revision(extra, HANG.format(marker=str(marker)), migrate.head_revision())
    script = (
        "import asyncio, sys; from pathlib import Path; from app.store import migrate, open_store\n"
        "migrate.VERSION_LOCATIONS.append(Path(sys.argv[2])); migrate.SCHEMA_HEAD = '9001'\n"
        "asyncio.run(open_store(Path(sys.argv[1])))"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(path), str(extra)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():  # the migration has changed the schema and now hangs
            assert child.poll() is None, "the migrating process ended early"
            assert time.monotonic() < deadline, "the migration never started"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)

    assert len(backups(path)) == 1
    store = asyncio.run(open_store(path))  # this version does not know 9001: opens as it was
    asyncio.run(store.close())
    assert schema(path) == old
