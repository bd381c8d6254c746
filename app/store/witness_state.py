"""Reading and writing the witness state (``witness_schema``) inside a sync transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.audit.envelope import format_timestamp
from app.store.compiled_sql import Db


@dataclass(frozen=True, slots=True)
class WitnessValues:
    """The newest checkpoint one device cosigned."""

    device_id: str
    own: bool
    origin: str
    tree_size: int
    root_hash: bytes
    note: str
    sent: bool = False


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


async def load_witnesses(db: Db) -> list[WitnessValues]:
    """Every device's newest cosigned checkpoint this store knows (its own included)."""
    rows = await db.fetchall(
        "SELECT device_id, own, origin, tree_size, root_hash, note, sent FROM sync_witnesses "
        "ORDER BY tree_size, device_id"
    )
    return [
        WitnessValues(str(d), bool(o), str(g), int(s), bytes(r), str(n), bool(t))
        for d, o, g, s, r, n, t in rows
    ]


async def keep_witnesses(db: Db, witnesses: Iterable[WitnessValues]) -> None:
    """Keep each device's cosigned checkpoint unless a larger one of it is already kept."""
    rows = [
        (w.device_id, w.own, w.origin, w.tree_size, w.root_hash, w.note, w.sent, _now())
        for w in witnesses
    ]
    if rows:
        await db.executemany(
            "INSERT INTO sync_witnesses (device_id, own, origin, tree_size, root_hash, note, "
            "sent, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO "
            "UPDATE SET own = excluded.own, origin = excluded.origin, "
            "tree_size = excluded.tree_size, root_hash = excluded.root_hash, "
            "note = excluded.note, sent = excluded.sent, recorded_at = excluded.recorded_at "
            "WHERE excluded.tree_size > sync_witnesses.tree_size",
            rows,
        )


async def mark_sent(db: Db, device_id: str, tree_size: int) -> None:
    """The server answered the upload of this device's cosignature of ``tree_size``."""
    await db.execute(
        "UPDATE sync_witnesses SET sent = 1 WHERE device_id = ? AND tree_size = ?",
        (device_id, tree_size),
    )


async def record_fork(db: Db, detail: str, first_note: str, second_note: str) -> None:
    """Keep two checkpoints that are not one history, as evidence."""
    await db.execute(
        "INSERT INTO sync_fork_alarms (detected_at, detail, first_note, second_note) "
        "VALUES (?, ?, ?, ?)",
        (_now(), detail, first_note, second_note),
    )


async def fork_alarms(db: Db) -> list[tuple[str, str, str]]:
    """The fork alarms raised on this store: detail and both notes, oldest first."""
    rows = await db.fetchall(
        "SELECT detail, first_note, second_note FROM sync_fork_alarms ORDER BY id"
    )
    return [(str(d), str(a), str(b)) for d, a, b in rows]
