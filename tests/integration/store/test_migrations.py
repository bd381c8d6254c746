"""The models and the migrations agree, and the migrations go down and up again."""

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.store import migrate
from app.store.opening import APPLICATION_ID, check_file
from app.store.schema import DEVICE_HEAD_TRIGGER, Base


def differences(path: Path) -> list[object]:
    engine = migrate.migration_engine(path)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def tables(path: Path) -> set[str]:
    engine = migrate.migration_engine(path)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def triggers(path: Path) -> dict[str, str]:
    engine = migrate.migration_engine(path)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).all()
            return {str(name): str(sql) for name, sql in rows}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    migrate.upgrade(path)
    assert differences(path) == []
    assert tables(path) == set(Base.metadata.tables) | {"alembic_version"}
    # autogenerate cannot see triggers: compare them here
    assert triggers(path) == {"trg_events_device_head": DEVICE_HEAD_TRIGGER}


def test_downgrade_then_upgrade_again(tmp_path: Path) -> None:
    path = tmp_path / "roundtrip.sqlite"
    migrate.upgrade(path)
    migrate.downgrade(path, "base")
    assert tables(path) == {"alembic_version"}
    assert triggers(path) == {}
    migrate.upgrade(path)
    assert differences(path) == []
    assert list(triggers(path)) == ["trg_events_device_head"]


def test_every_revision_is_known_and_the_head_is_single() -> None:
    script = migrate.script_directory()
    assert len(script.get_heads()) == 1
    head = migrate.head_revision()
    assert migrate.is_known(head)
    assert not migrate.is_known("not-a-revision")
    assert head == migrate.SCHEMA_HEAD  # bump it with every new revision


def test_a_store_at_the_head_opens_without_loading_alembic(store_path: Path) -> None:
    from app.store import open_store

    asyncio.run(asyncio.run(open_store(store_path, create=True)).close())
    script = (
        "import asyncio, sys; from pathlib import Path; from app.store import open_store\n"
        "asyncio.run(asyncio.run(open_store(Path(sys.argv[1]))).close())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(store_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_a_new_store_is_stamped_and_at_head(store_path: Path) -> None:
    from app.store import open_store

    store = await open_store(store_path, create=True)
    await store.close()
    found = check_file(store_path)
    assert found.revision == migrate.head_revision()
    assert found.stamped
    with store_path.open("rb") as file:
        assert int.from_bytes(file.read(72)[68:72], "big") == APPLICATION_ID
