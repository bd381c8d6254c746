"""Edits an outsider can make to a store file with plain SQLite, one per verification rule.

Each tamper takes an open ``sqlite3`` connection to a copy of a demo store and breaks it the
way its rule describes. ``TAMPERS`` lists them with the rule a full verification must name and
the rule a link-only verification names (None when links alone cannot see the edit).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from app.audit import Ed25519Signer, EventBody, genesis_hash, seal
from app.store.eventlog import event_row
from app.store.write_behind import EVENT_COLUMNS

type Tamper = Callable[[sqlite3.Connection], None]


def _middle(conn: sqlite3.Connection) -> int:
    (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
    (position,) = conn.execute(
        "SELECT position FROM events ORDER BY position LIMIT 1 OFFSET ?", (count // 2,)
    ).fetchone()
    return int(position)


def _canonical(conn: sqlite3.Connection, position: int) -> bytes:
    (canonical,) = conn.execute(
        "SELECT canonical FROM events WHERE position = ?", (position,)
    ).fetchone()
    return bytes(canonical)


def _set(conn: sqlite3.Connection, position: int, column: str, value: object) -> None:
    conn.execute(f"UPDATE events SET {column} = ? WHERE position = ?", (value, position))


def edit_payload(conn: sqlite3.Connection) -> None:
    """A canonical payload edit that stays canonical (the bytes no longer match the hash)."""
    position = _middle(conn)
    body = json.loads(_canonical(conn, position))
    moment = body["occurred_at"]
    body["occurred_at"] = moment[:-2] + ("8" if moment[-2] == "9" else "9") + "Z"
    edited = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _set(conn, position, "canonical", edited.encode())


def flip_signature(conn: sqlite3.Connection) -> None:
    position = _middle(conn)
    (signature,) = conn.execute(
        "SELECT signature FROM events WHERE position = ?", (position,)
    ).fetchone()
    _set(conn, position, "signature", bytes([signature[0] ^ 1]) + bytes(signature[1:]))


def non_canonical_bytes(conn: sqlite3.Connection) -> None:
    position = _middle(conn)
    body = json.loads(_canonical(conn, position))
    _set(conn, position, "canonical", json.dumps(body, sort_keys=True).encode())


def not_utf8(conn: sqlite3.Connection) -> None:
    _set(conn, _middle(conn), "canonical", b'{"event_id":"\xff"}')


def edit_hash_column(conn: sqlite3.Connection) -> None:
    _set(conn, _middle(conn), "hash", "0" * 64)


def edit_prev_hash_column(conn: sqlite3.Connection) -> None:
    _set(conn, _middle(conn), "prev_hash", "1" * 64)


def delete_middle_event(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM events WHERE position = ?", (_middle(conn),))


def delete_newest_event(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM events WHERE position = (SELECT max(position) FROM events)")


def swap_positions(conn: sqlite3.Connection) -> None:
    """Two neighbouring events change places in the log (a reordering)."""
    first = _middle(conn)
    (second,) = conn.execute(
        "SELECT min(position) FROM events WHERE position > ?", (first,)
    ).fetchone()
    conn.execute("UPDATE events SET position = -1 WHERE position = ?", (first,))
    conn.execute("UPDATE events SET position = ? WHERE position = ?", (first, second))
    conn.execute("UPDATE events SET position = ? WHERE position = -1", (second,))


def _other_entity(conn: sqlite3.Connection, position: int) -> str:
    (entity,) = conn.execute(
        "SELECT entity_id FROM events WHERE entity_id != "
        "(SELECT entity_id FROM events WHERE position = ?) LIMIT 1",
        (position,),
    ).fetchone()
    return str(entity)


def edit_entity_id_column(conn: sqlite3.Connection) -> None:
    """The event moves to another record in the column queries read (not in its signed bytes)."""
    position = _middle(conn)
    _set(conn, position, "entity_id", _other_entity(conn, position))


def edit_type_column(conn: sqlite3.Connection) -> None:
    """The column names another type than the signed bytes (whatever the event's own type)."""
    position = _middle(conn)
    (current,) = conn.execute("SELECT type FROM events WHERE position = ?", (position,)).fetchone()
    other = "visit.signed" if current == "visit.note_added" else "visit.note_added"
    _set(conn, position, "type", other)


def edit_occurred_at_column(conn: sqlite3.Connection) -> None:
    _set(conn, _middle(conn), "occurred_at", "2001-01-01T00:00:00.000000Z")


def splice_another_organization(conn: sqlite3.Connection) -> None:
    """A valid chain of three events by a device of another organization, key registered."""
    signer = Ed25519Signer(b"\x09" * 32)
    device, organization = (
        "0190a1b2-0000-7000-8000-00000000d0d0",
        "0190a1b2-0000-7000-8000-0000000000ff",
    )
    (template,) = conn.execute("SELECT canonical FROM events ORDER BY position LIMIT 1").fetchone()
    body = EventBody.from_json(json.loads(template))
    prev = genesis_hash(device)
    for seq in (1, 2, 3):
        sealed = seal(
            replace(
                body,
                event_id=f"0190a1b2-0000-7000-8000-{seq:012x}",
                organization_id=organization,
                device_id=device,
                device_seq=seq,
                prev_hash=prev,
            ),
            signer,
        )
        conn.execute(
            f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * 13)})",
            event_row(sealed),
        )
        prev = sealed.hash
    conn.execute(
        "INSERT INTO devices (device_id, public_key, organization_id, label, created_at, "
        "is_local) VALUES (?, ?, ?, '', '2026-01-01T00:00:00.000000Z', 0)",
        (device, signer.public_key, organization),
    )


def forget_organization(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM store_meta WHERE key = 'organization_id'")


def forget_device_key(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM devices")


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    tamper: Tamper
    full_rule: str
    links_rule: str | None


SEQ, LINK, HEAD = "device-seq-contiguous", "prev-hash-link", "device-head-mismatch"

TAMPERS: tuple[Case, ...] = (
    Case("payload edited", edit_payload, "event-hash", None),
    Case("signature flipped", flip_signature, "signature", None),
    Case("bytes not canonical", non_canonical_bytes, "non-canonical-bytes", None),
    Case("bytes not UTF-8", not_utf8, "utf8", None),
    Case("hash column edited", edit_hash_column, "event-hash", LINK),
    Case("prev_hash column edited", edit_prev_hash_column, "stored-fields-mismatch", LINK),
    Case("middle event deleted", delete_middle_event, SEQ, SEQ),
    Case("newest event deleted", delete_newest_event, HEAD, HEAD),
    Case("events reordered", swap_positions, SEQ, SEQ),
    Case("device key forgotten", forget_device_key, "unknown-device", None),
    Case("another organization spliced in", splice_another_organization, "organization", None),
    Case("organization forgotten", forget_organization, "organization", None),
    Case("entity_id column edited", edit_entity_id_column, "stored-fields-mismatch", None),
    Case("type column edited", edit_type_column, "stored-fields-mismatch", None),
    Case("occurred_at column edited", edit_occurred_at_column, "stored-fields-mismatch", None),
)


def tampered_copy(source: Path, target: Path, tamper: Tamper) -> Path:
    """Copy the store at ``source`` (with its key file) to ``target`` and apply ``tamper``."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
    for extra in source.parent.glob(source.name + ".*"):
        if extra.is_file():
            extra_target = target.with_name(extra.name.replace(source.name, target.name))
            extra_target.write_bytes(extra.read_bytes())
    with closing(sqlite3.connect(target)) as conn:
        with conn:
            tamper(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return target
