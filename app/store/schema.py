"""SQLite schema of the event log and its bookkeeping: typed ORM rows and the naming convention.

The projection tables live in ``app.store.projections``; both share ``Base.metadata``, which is
what the Alembic migrations must match (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    DDL,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.audit.envelope import format_timestamp

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID: Final = 36
"""Length of a UUID in its canonical text form (ids are stored as text, as they are signed)."""
HASH: Final = 64
"""Length of a hex SHA-256."""
TIMESTAMP: Final = 27
"""Length of ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
CODE: Final = 40
"""Length of an enum value or an event type."""


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as canonical text: sortable, exact, no time zone loss."""

    impl = String(TIMESTAMP)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else format_timestamp(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every local-store row."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EventRow(Base):
    """One sealed event: key columns for lookups plus the exact signed bytes.

    Lean on purpose (a store reaches a million rows and every command appends one): the payload
    and ``entity_parents`` are only in ``canonical``, which is never re-serialized.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq"),
        Index(None, "entity_id", "position"),
    )

    # INTEGER PRIMARY KEY is SQLite's rowid: local insertion order at no extra cost. Events are
    # never deleted, so plain rowids never repeat and AUTOINCREMENT's bookkeeping is not needed.
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(ID), unique=True)
    device_id: Mapped[str] = mapped_column(String(ID))
    device_seq: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(String(HASH))
    hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    entity_type: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[str] = mapped_column(String(ID))
    type: Mapped[str] = mapped_column(String(CODE * 2))
    type_version: Mapped[int]
    occurred_at: Mapped[str] = mapped_column(String(TIMESTAMP))
    actor_id: Mapped[str] = mapped_column(String(ID))


class DeviceHeadRow(Base):
    """The newest event of each device chain, kept by a trigger on ``events`` (see below)."""

    __tablename__ = "device_heads"

    device_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    device_seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(HASH))


class EntityHeadRow(Base):
    """The hashes of an entity's latest events: the ``entity_parents`` of its next event."""

    __tablename__ = "entity_heads"

    entity_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    hashes: Mapped[str] = mapped_column(Text)
    """A JSON list of hex hashes, sorted."""


class DeviceRow(Base):
    """A device public key this store knows (its own and those of devices it synced with)."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    organization_id: Mapped[str] = mapped_column(String(ID))
    label: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    is_local: Mapped[bool] = mapped_column(default=False)


class StoreMetaRow(Base):
    """Facts about the store itself: organization, local device, key storage mode."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SnapshotRow(Base):
    """Derived data saved under a name (``ports.SnapshotStore``), e.g. the fleet's figures.

    A cache: what it was derived from is recorded inside ``data`` by whoever saved it, and a
    rebuild of the projections empties the table.
    """

    __tablename__ = "snapshots"

    name: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    saved_at: Mapped[datetime] = mapped_column(UtcTimestamp)


DEVICE_HEAD_TRIGGER: Final = """\
CREATE TRIGGER trg_events_device_head AFTER INSERT ON events
BEGIN
    INSERT INTO device_heads (device_id, device_seq, hash)
    VALUES (NEW.device_id, NEW.device_seq, NEW.hash)
    ON CONFLICT (device_id) DO UPDATE
    SET device_seq = excluded.device_seq, hash = excluded.hash
    WHERE excluded.device_seq > device_heads.device_seq;
END"""
"""Moves a device's head onto each event inserted for it (never backwards).

In the database rather than in Python so the head can never disagree with the log, whoever
inserts events, and so a command pays no extra round trip for it. Migration 0001 creates it
with this exact text and a test checks the migrated database has it: SQLite drops a table's
triggers with the table, so a batch migration that rebuilds ``events`` must create it again.
"""

# (DDL() has no type annotations in SQLAlchemy)
event.listen(EventRow.__table__, "after_create", DDL(DEVICE_HEAD_TRIGGER))  # type: ignore[no-untyped-call]
