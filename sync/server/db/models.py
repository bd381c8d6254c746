"""The server's PostgreSQL schema as typed ORM rows (Alembic's migrations must match them).

Tenant tables carry ``organization_id`` first in their primary key and in every unique
constraint (the rule that lets them be distributed by organization later); row-level security
on them is created by the migrations and checked by the catalog tests. ``TENANT_TABLES`` and
``GLOBAL_TABLES`` name every table: a new table must be put in one of them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = DateTime(timezone=True)
NOW = text("now()")


class Base(DeclarativeBase):
    """Base of every server row."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        uuid.UUID: Uuid(as_uuid=True),
        datetime: Timestamp,
        str: Text(),
        bytes: LargeBinary(),
        int: Integer(),
        bool: Boolean(),
        dict[str, Any]: JSONB(),
    }


def _org_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["organization_id"], ["organizations.organization_id"])


# -- organizations, people, sign-in --------------------------------------------------------------


class OrganizationRow(Base):
    __tablename__ = "organizations"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)


class AccountRow(Base):
    """Sign-in data of a user (the user's profile itself is a projection of events)."""

    __tablename__ = "accounts"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "user_id"),
        UniqueConstraint("organization_id", "email_key"),
        _org_fk("accounts"),
    )

    organization_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    email: Mapped[str]
    email_key: Mapped[str]
    password_hash: Mapped[str]
    role: Mapped[str]
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
    disabled_at: Mapped[datetime | None]


class LoginDirectoryRow(Base):
    """Which organization an e-mail address signs in to (global; read through functions only)."""

    __tablename__ = "login_directory"

    email_key: Mapped[str] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]


class OrganizationDirectoryRow(Base):
    """Organization names, for the admin commands (global; read through functions only)."""

    __tablename__ = "organization_directory"

    name_key: Mapped[str] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID]


class RateLimitRow(Base):
    """Sign-in attempts per bucket (a hashed account or address) in the current window."""

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(primary_key=True)
    window_start: Mapped[datetime]
    attempts: Mapped[int]


class RefreshTokenRow(Base):
    """One refresh token (stored as its SHA-256); tokens of one sign-in share a family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "token_hash"),
        Index(None, "organization_id", "family_id"),
        Index(None, "organization_id", "user_id"),
        _org_fk("refresh_tokens"),
    )

    organization_id: Mapped[uuid.UUID]
    token_hash: Mapped[str]
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    issued_at: Mapped[datetime]
    family_expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class DeviceRow(Base):
    """A registered device key and the head of its chain in the ledger."""

    __tablename__ = "devices"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "device_id"),
        Index(None, "organization_id", "user_id"),
        _org_fk("devices"),
    )

    organization_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    public_key: Mapped[bytes]
    label: Mapped[str] = mapped_column(server_default="")
    app_version: Mapped[str] = mapped_column(server_default="")
    registered_at: Mapped[datetime] = mapped_column(server_default=NOW)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    head_seq: Mapped[int] = mapped_column(server_default="0")
    head_hash: Mapped[str | None]
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)


class AlarmRow(Base):
    """Something an administrator must look at (a forked device chain, for one)."""

    __tablename__ = "alarms"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "alarm_id"), _org_fk("alarms"))

    organization_id: Mapped[uuid.UUID]
    alarm_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    device_id: Mapped[uuid.UUID | None]
    detail: Mapped[str]
    raised_at: Mapped[datetime] = mapped_column(server_default=NOW)


# -- ledger --------------------------------------------------------------------------------------


class LedgerHeadRow(Base):
    """The sequencer row: locked FOR UPDATE by every append, so ledger order is commit order."""

    __tablename__ = "ledger_heads"
    __table_args__ = (PrimaryKeyConstraint("organization_id"), _org_fk("ledger_heads"))

    organization_id: Mapped[uuid.UUID]
    size: Mapped[int] = mapped_column(BigInteger, server_default="0")
    subtree_roots: Mapped[list[bytes]] = mapped_column(
        ARRAY(LargeBinary), server_default=text("'{}'")
    )
    """The compact Merkle tree state (roots of the perfect subtrees, largest first)."""


class LedgerNodeRow(Base):
    """A perfect subtree's hash: level L, index i covers leaves ``i*2**L .. (i+1)*2**L - 1``."""

    __tablename__ = "ledger_nodes"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "level", "node_index"),)

    organization_id: Mapped[uuid.UUID]
    level: Mapped[int] = mapped_column(SmallInteger)
    node_index: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes]


class CheckpointRow(Base):
    """Every signed checkpoint, by tree size."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "tree_size"),
        _org_fk("checkpoints"),
    )

    organization_id: Mapped[uuid.UUID]
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes]
    note: Mapped[str]
    signed_at: Mapped[datetime] = mapped_column(server_default=NOW)


class CosignatureRow(Base):
    """A checkpoint a device verified and cosigned (C2SP cosignature/v1): witnesses' evidence."""

    __tablename__ = "cosignatures"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "device_id", "tree_size"),
        _org_fk("cosignatures"),
    )

    organization_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes]
    note: Mapped[str]
    """The server's signed note with the device's cosignature line, as the device sent it."""
    cosigned_at: Mapped[int] = mapped_column(BigInteger)
    """The cosignature's timestamp (POSIX seconds, the device's clock)."""
    received_at: Mapped[datetime] = mapped_column(server_default=NOW)


class EventRow(Base):
    """One ledger entry: the exact signed bytes, key columns, and the outcome of applying it."""

    __tablename__ = "events"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "ledger_index"),
        UniqueConstraint("organization_id", "event_id"),
        UniqueConstraint("organization_id", "device_id", "device_seq"),
        Index(None, "organization_id", "entity_id", "ledger_index"),
    )

    organization_id: Mapped[uuid.UUID]
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    device_seq: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[uuid.UUID]
    entity_type: Mapped[str]
    entity_id: Mapped[uuid.UUID]
    type: Mapped[str]
    hash: Mapped[str]
    parents: Mapped[list[str]] = mapped_column(ARRAY(Text))
    signature: Mapped[bytes]
    canonical: Mapped[bytes]
    received_at: Mapped[str]
    """Exactly the text the ledger leaf commits to."""
    status: Mapped[str]
    reason: Mapped[str | None]


# -- projections (the same folds as on the devices) --------------------------------------------


class EntityStateRow(Base):
    """An entity's heads and the last writer of each field (the conflict-aware fold's state)."""

    __tablename__ = "entity_states"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "entity_id"),)

    organization_id: Mapped[uuid.UUID]
    entity_id: Mapped[uuid.UUID]
    entity_type: Mapped[str]
    state: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)


def _projection_args(*extra: Any) -> tuple[Any, ...]:
    return (PrimaryKeyConstraint("organization_id", "id"), *extra)


class OrganizationSettingsRow(Base):
    """The organization as its events describe it: name, time zone and settings (``doc``)."""

    __tablename__ = "organization_settings"
    __table_args__ = _projection_args()

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)


class RejectedEventRow(Base):
    """An event the shared reducers refused: kept in the ledger, applied to nothing."""

    __tablename__ = "rejected_events"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "event_id"),)

    organization_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = _projection_args()

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str]


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = _projection_args(Index(None, "organization_id", "name_key"))

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str]
    name_key: Mapped[str]


class SiteRow(Base):
    __tablename__ = "sites"
    __table_args__ = _projection_args(Index(None, "organization_id", "customer_id", "name_key"))

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[uuid.UUID]
    name: Mapped[str]
    name_key: Mapped[str]


class ElevatorRow(Base):
    __tablename__ = "elevators"
    __table_args__ = _projection_args(
        Index(None, "organization_id", "site_id", "unit_key"),
        Index(None, "organization_id", "status"),
    )

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    site_id: Mapped[uuid.UUID]
    unit_key: Mapped[str]
    status: Mapped[str]


class VisitRow(Base):
    __tablename__ = "visits"
    __table_args__ = _projection_args(
        Index(None, "organization_id", "elevator_id", "created_at"),
        Index(None, "organization_id", "status"),
    )

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    elevator_id: Mapped[uuid.UUID]
    site_id: Mapped[uuid.UUID]
    status: Mapped[str]
    created_at: Mapped[str]


class DeficiencyRow(Base):
    __tablename__ = "deficiencies"
    __table_args__ = _projection_args(Index(None, "organization_id", "elevator_id", "opened_at"))

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    elevator_id: Mapped[uuid.UUID]
    status: Mapped[str]
    opened_at: Mapped[str]


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = _projection_args(Index(None, "organization_id", "elevator_id", "reported_at"))

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    elevator_id: Mapped[uuid.UUID]
    status: Mapped[str]
    reported_at: Mapped[str]


class InspectionRow(Base):
    __tablename__ = "inspections"
    __table_args__ = _projection_args(Index(None, "organization_id", "elevator_id", "performed_on"))

    organization_id: Mapped[uuid.UUID]
    id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    elevator_id: Mapped[uuid.UUID]
    performed_on: Mapped[str]


class StatusChangeRow(Base):
    __tablename__ = "status_changes"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "event_id"),
        Index(None, "organization_id", "elevator_id", "changed_at"),
    )

    organization_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    elevator_id: Mapped[uuid.UUID]
    changed_at: Mapped[str]
    position: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    """Insertion order: changes at the same instant keep the order they were recorded in."""


class ConflictRow(Base):
    """Two concurrent writes of one field: both values kept until a supervisor resolves it."""

    __tablename__ = "conflicts"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "conflict_id"),
        Index(None, "organization_id", "entity_id"),
        Index(None, "organization_id", "kept_event_id"),
    )

    organization_id: Mapped[uuid.UUID]
    conflict_id: Mapped[uuid.UUID]
    doc: Mapped[dict[str, Any]]
    last_index: Mapped[int] = mapped_column(BigInteger)
    entity_id: Mapped[uuid.UUID]
    kept_event_id: Mapped[uuid.UUID]
    status: Mapped[str]


# -- blobs ---------------------------------------------------------------------------------------


class BlobRow(Base):
    """A complete blob, named by the SHA-256 of its bytes."""

    __tablename__ = "blobs"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "sha256"), _org_fk("blobs"))

    organization_id: Mapped[uuid.UUID]
    sha256: Mapped[str]
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)


class BlobChunkRow(Base):
    """A received part of a blob upload in progress (resumable by offset)."""

    __tablename__ = "blob_chunks"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "sha256", "offset"),)

    organization_id: Mapped[uuid.UUID]
    sha256: Mapped[str]
    offset: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes]
    received_at: Mapped[datetime] = mapped_column(server_default=NOW)


GLOBAL_TABLES: Final = frozenset({"login_directory", "organization_directory", "rate_limits"})
"""Tables without an organization: no tenant data, no row-level security."""
TENANT_TABLES: Final = frozenset(Base.metadata.tables) - GLOBAL_TABLES - {"alembic_version"}
"""Every table holding an organization's rows: RLS ENABLE + FORCE and a tenant policy."""
APPEND_ONLY_TABLES: Final = frozenset({"events", "ledger_nodes", "checkpoints", "cosignatures"})
"""The runtime role may insert and read these, never change or delete a row."""
