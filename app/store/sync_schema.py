"""SQLite schema of the sync state: the account a store is joined to, and what sync knows.

- ``sync_account``: at most one row, the server, organization, user and device the store is
  joined to, and the pinned server ledger key (checkpoints are verified against it).
- ``sync_state``: at most one row, the pull cursor, the last verified checkpoint, the last
  successful sync, the current problem and its next step, and the estimated clock offset.
- ``sync_events``: the ledger's answer for each event this store holds that reached the ledger
  (its own pushed events and those pulled), or the server's refusal of one of its own events.
  A local event without a row (or refused) is pending.
- ``sync_conflicts``: conflict records, with both values, until a later event resolves them.
- ``sync_bases``: entities as the bootstrap snapshot showed them (the fold starts there).
- ``sync_snapshot_heads``: where each other device's chain stood in that snapshot (its earlier
  events are not in the store, so verification starts its chain there).
- ``sync_blobs``: blobs the queue has moved (the rest are still to move).
- ``sync_runs``: a log of sync runs (start, end, outcome, counts, problem).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.schema import CODE, HASH, ID, Base, UtcTimestamp

SINGLETON: Final = 1
"""The primary key of the one row of ``sync_account`` and ``sync_state``."""


class PushStatus(StrEnum):
    """What became of an event at the server (``pending`` is the absence of an answer)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    """Already in the ledger when sent again (its stored result was accepted)."""
    CONFLICT = "conflict"
    """Accepted, with conflict records."""
    REJECTED = "rejected"
    """Kept in the ledger, not applied; the reason says why (needs attention)."""
    REFUSED = "refused"
    """The server would not take it into the ledger (integrity); still unsent (needs attention)."""


NEEDS_ATTENTION: Final = (PushStatus.REJECTED.value, PushStatus.REFUSED.value)


class SyncAccountRow(Base):
    """The server account this store is joined to."""

    __tablename__ = "sync_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(Text)
    organization_id: Mapped[str] = mapped_column(String(ID))
    user_id: Mapped[str] = mapped_column(String(ID))
    email: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(String(ID))
    ledger_origin: Mapped[str] = mapped_column(Text)
    """The checkpoint origin line the server signs (C2SP)."""
    ledger_key_name: Mapped[str] = mapped_column(Text)
    ledger_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    """The pinned Ed25519 key checkpoints must be signed with."""
    joined_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class SyncStateRow(Base):
    """Where sync stands: cursor, verified checkpoint, last success, current problem."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    """The ledger index up to which entries are folded into this store (a tree size)."""
    checkpoint_size: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint_root: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    checkpoint_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The signed note of the last verified checkpoint, as the server sent it."""
    frontier: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """The roots of the perfect subtrees of the verified tree at ``cursor``, largest first
    (32 bytes each): pulled entries are appended to it and must rebuild a signed root."""
    last_success_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    problem_hint: Mapped[str | None] = mapped_column(Text, nullable=True)
    problem_kind: Mapped[str | None] = mapped_column(String(CODE), nullable=True)
    """``transient``, ``auth``, ``update``, ``permanent`` or ``integrity`` (stops sync)."""
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Server clock minus this device's clock at the last sync (positive: device behind)."""


class SyncEventRow(Base):
    """The server's answer for one event (own or pulled)."""

    __tablename__ = "sync_events"
    __table_args__ = (Index(None, "status"), Index(None, "ledger_index", unique=True))

    event_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    status: Mapped[str] = mapped_column(String(CODE))
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class SyncConflictRow(Base):
    """Two concurrent writes of one field: the kept value (later in ledger order) and the other."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index(None, "entity_id"),)

    conflict_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[str] = mapped_column(String(ID))
    field: Mapped[str] = mapped_column(String(CODE * 2))
    kept_value: Mapped[str] = mapped_column(Text)
    """JSON of the value in force."""
    other_value: Mapped[str] = mapped_column(Text)
    """JSON of the value that lost."""
    kept_event_id: Mapped[str] = mapped_column(String(ID))
    other_event_id: Mapped[str] = mapped_column(String(ID))
    kept_hash: Mapped[str] = mapped_column(String(HASH))
    other_hash: Mapped[str] = mapped_column(String(HASH))
    resolved_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    """The event that resolved it (None: open, shown for review)."""
    recorded_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class SyncBaseRow(Base):
    """An entity as the snapshot a store was bootstrapped from showed it.

    Its earlier events are not in the store, so folding the entity again starts from here.
    """

    __tablename__ = "sync_bases"

    entity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(CODE))
    doc: Mapped[str] = mapped_column(Text)
    heads: Mapped[str] = mapped_column(Text)
    """A JSON list of the entity's head hashes at the snapshot."""
    state: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Its whole fold state at the snapshot (``fold.EntityState`` JSON: heads, the last writer
    of each field, open conflicts); None in a store joined before it was kept (heads only)."""


class SyncSnapshotHeadRow(Base):
    """A device's chain head as the bootstrap snapshot stated it.

    The device's events up to here came only through the snapshot; verification starts its
    chain at this position, and its next event in the store must link to this hash.
    """

    __tablename__ = "sync_snapshot_heads"

    device_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    device_seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(HASH))
    ledger_index: Mapped[int] = mapped_column(Integer)
    """The ledger index the snapshot showed (its ``at``)."""


class SyncBlobRow(Base):
    """A blob (photo, signature) the blob queue moved: uploaded to or fetched from the server."""

    __tablename__ = "sync_blobs"

    sha256: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    direction: Mapped[str] = mapped_column(String(CODE))
    """``up`` or ``down``."""
    done_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class SyncRunRow(Base):
    """One sync run."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    finished_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    outcome: Mapped[str] = mapped_column(String(CODE))
    """``ok``, ``failed`` (retry later) or ``stopped`` (needs a person)."""
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
