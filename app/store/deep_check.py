"""The deep check: fold the whole log again and compare the result with the stored projections.

Projections are a cache of the log; if one was edited, or a bug wrote a wrong one, the screens
show something the signed events do not say. The check never touches the store itself: it
copies it (SQLite's online backup, so the app may keep working), rebuilds the copy's
projections from its log with the fold every rebuild uses, and compares the two table by
table, naming the first record that differs. The copy lives in a temporary folder and is
removed afterwards; it needs as much free space as the store.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.domain.errors import StoreError
from app.store.database import open_store
from app.store.errors import is_disk_full, read_error
from app.store.mapping import ALL_MAPPINGS
from app.store.opening import backup, reading_uri
from app.store.schema import Base, EntityHeadRow
from app.store.snapshot_guard import refuse_if_from_snapshot

type Stage = Callable[[int, int], None]
"""Called with (stages done, stages) as the check copies, rebuilds and compares."""

COMPARED: Final = (
    *((mapping.table_name, mapping.key) for mapping in ALL_MAPPINGS),
    (EntityHeadRow.__tablename__, "entity_id"),
)
"""Every table the fold writes, with its key (the snapshots of derived figures are left out)."""

_SHOWN: Final = 120


@dataclass(frozen=True, slots=True)
class ProjectionDifference:
    """The first place where the stored projections and the log disagree."""

    table: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DeepCheckReport:
    """What the deep check compared, and the first difference it found (None: they agree)."""

    records: int
    difference: ProjectionDifference | None


def _columns(table: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[table].c if c.name != "position"]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _describe(conn: sqlite3.Connection, table: str, key: str, value: Any) -> str:
    columns = _columns(table)
    select = f"SELECT {', '.join(columns)} FROM {{}}.{table} WHERE {key} = ?"
    stored = conn.execute(select.format("stored"), (value,)).fetchone()
    folded = conn.execute(select.format("main"), (value,)).fetchone()
    if stored is None:
        return "the log has this record, the stored projections do not"
    if folded is None:
        return "the stored projections have this record, the log does not"
    for name, mine, theirs in zip(columns, stored, folded, strict=True):
        if mine != theirs:
            return f"column {name} is {_short(mine)} in the store, {_short(theirs)} from the log"
    return "the rows differ"


def compare(rebuilt: Path, original: Path) -> DeepCheckReport:
    """Compare the projections of ``rebuilt`` (folded from the log) with ``original``'s."""
    records = 0
    with closing(sqlite3.connect(rebuilt.absolute().as_uri(), uri=True)) as conn:
        conn.execute("ATTACH DATABASE ? AS stored", (reading_uri(original),))
        for table, key in COMPARED:
            columns = ", ".join(_columns(table))
            (count,) = conn.execute(f"SELECT count(*) FROM stored.{table}").fetchone()
            records += int(count)
            for first, second in (("stored", "main"), ("main", "stored")):
                row = conn.execute(
                    f"SELECT {key} FROM (SELECT {columns} FROM {first}.{table} EXCEPT "
                    f"SELECT {columns} FROM {second}.{table}) ORDER BY {key} LIMIT 1"
                ).fetchone()
                if row is not None:
                    detail = _describe(conn, table, key, row[0])
                    return DeepCheckReport(
                        records, ProjectionDifference(table, str(row[0]), detail)
                    )
    return DeepCheckReport(records, None)


async def deep_check(path: Path, *, progress: Stage | None = None) -> DeepCheckReport:
    """Fold the log of the store at ``path`` again and compare it with its projections.

    The store is only read; the work happens on a temporary copy.
    """

    def stage(done: int) -> None:
        if progress is not None:
            progress(done, 3)

    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="sitesync-deep-check-"))
    try:
        copy = folder / "rebuilt.sqlite"
        try:
            await asyncio.to_thread(backup, path, copy)
        except (sqlite3.Error, OSError) as exc:
            raise _copy_failed(exc, path, folder) from exc
        stage(1)
        store = await open_store(copy)
        try:
            async with store.read_db() as db:
                await refuse_if_from_snapshot(db, "comparing the projections with a refold")
            await store.rebuild_projections()
        finally:
            await store.close()
        stage(2)
        try:
            report = await asyncio.to_thread(compare, copy, path)
        except sqlite3.Error as exc:
            raise read_error(exc, path) from exc
        stage(3)
        return report
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


def _copy_failed(exc: BaseException, path: Path, folder: Path) -> StoreError:
    if isinstance(exc, OSError) or is_disk_full(exc):
        return StoreError(
            f"The deep check needs a temporary copy of {path} in {folder.parent}, which could "
            f"not be written ({exc}).",
            hint="Free as much disk space as the store takes (or set TMPDIR to a larger "
            "disk) and run the check again.",
        )
    return read_error(exc, path)
