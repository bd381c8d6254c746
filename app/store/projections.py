"""Projection tables: what the UI lists, filters, sorts and joins on, plus the full model as JSON.

Each row keeps the complete pydantic model in ``doc`` (``model_dump_json``); repositories rebuild
the model from it, so the typed columns exist only for queries and indexes and never have to
round-trip every field. Ids are UUID text, enums their values, dates ISO text, timestamps
canonical UTC text (``UtcTimestamp``). No foreign keys: projections are a cache folded from
events that may arrive in any order through sync; the event log is the source of truth.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.schema import CODE, ID, Base, UtcTimestamp


class OrganizationRow(Base):
    """The organization this store belongs to, with its settings (in ``doc``)."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    doc: Mapped[str] = mapped_column(Text)


class RejectionRow(Base):
    """An event of the log the reducers refused: kept there, applied to nothing."""

    __tablename__ = "rejected_events"

    event_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[str] = mapped_column(String(ID))
    type: Mapped[str] = mapped_column(String(CODE * 2))
    doc: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A user (technician, supervisor, administrator)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    email: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(CODE))
    active: Mapped[bool]
    doc: Mapped[str] = mapped_column(Text)


class CustomerRow(Base):
    """A customer (building owner or manager)."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, index=True)
    """``name`` trimmed and case-folded, for the case-insensitive lookup."""
    doc: Mapped[str] = mapped_column(Text)


class SiteRow(Base):
    """A building with units; its customer is ``customer_id``."""

    __tablename__ = "sites"
    __table_args__ = (Index(None, "customer_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(ID))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    """``name`` trimmed and case-folded, for the case-insensitive lookup."""
    doc: Mapped[str] = mapped_column(Text)


class ElevatorRow(Base):
    """A unit; its customer is found through its site."""

    __tablename__ = "elevators"
    __table_args__ = (Index(None, "site_id", "unit_key"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(ID))
    unit_number: Mapped[str] = mapped_column(Text)
    unit_key: Mapped[str] = mapped_column(Text)
    """``unit_number`` case-folded, for the case-insensitive per-site lookup."""
    serial_number: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(CODE), index=True)
    manufacturer: Mapped[str] = mapped_column(String(CODE))
    drive_type: Mapped[str] = mapped_column(String(CODE))
    installation_date: Mapped[date | None]
    certificate_expires_on: Mapped[date | None] = mapped_column(index=True)
    maintenance_interval_days: Mapped[int | None]
    status_since: Mapped[datetime] = mapped_column(UtcTimestamp)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    doc: Mapped[str] = mapped_column(Text)


class StatusChangeRow(Base):
    """One entry of a unit's effective-dated status history."""

    __tablename__ = "status_history"
    __table_args__ = (Index(None, "elevator_id", "changed_at"),)

    # rowid: insertion order breaks ties between changes stamped with the same time
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(ID), unique=True)
    elevator_id: Mapped[str] = mapped_column(String(ID))
    previous: Mapped[str | None] = mapped_column(String(CODE))
    new: Mapped[str] = mapped_column(String(CODE))
    cause: Mapped[str | None] = mapped_column(String(CODE))
    incident_id: Mapped[str | None] = mapped_column(String(ID))
    changed_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    actor_id: Mapped[str] = mapped_column(String(ID))
    doc: Mapped[str] = mapped_column(Text)


class VisitRow(Base):
    """A maintenance visit (work order)."""

    __tablename__ = "visits"
    __table_args__ = (
        Index(None, "elevator_id", "created_at"),
        Index(None, "status", "scheduled_date"),
        Index(None, "technician_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    elevator_id: Mapped[str] = mapped_column(String(ID))
    site_id: Mapped[str] = mapped_column(String(ID), index=True)
    type: Mapped[str] = mapped_column(String(CODE))
    status: Mapped[str] = mapped_column(String(CODE))
    scheduled_date: Mapped[date | None]
    technician_id: Mapped[str | None] = mapped_column(String(ID))
    incident_id: Mapped[str | None] = mapped_column(String(ID))
    arrived_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    completed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    doc: Mapped[str] = mapped_column(Text)


class DeficiencyRow(Base):
    """A deficiency found on a unit."""

    __tablename__ = "deficiencies"
    __table_args__ = (
        Index(None, "elevator_id", "opened_at"),
        Index(None, "status", "severity"),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    elevator_id: Mapped[str] = mapped_column(String(ID))
    visit_id: Mapped[str | None] = mapped_column(String(ID))
    severity: Mapped[str] = mapped_column(String(CODE))
    status: Mapped[str] = mapped_column(String(CODE))
    due_date: Mapped[date | None]
    opened_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    closed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    doc: Mapped[str] = mapped_column(Text)


class IncidentRow(Base):
    """An entry of the callback log."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index(None, "elevator_id", "reported_at"),
        Index(None, "status", "reported_at"),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    elevator_id: Mapped[str] = mapped_column(String(ID))
    status: Mapped[str] = mapped_column(String(CODE))
    reported_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    channel: Mapped[str] = mapped_column(String(CODE))
    entrapment: Mapped[bool]
    out_of_service: Mapped[bool]
    fault_category: Mapped[str | None] = mapped_column(String(CODE))
    excluded_from_kpi: Mapped[bool]
    release_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    back_in_service_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    closed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp)
    doc: Mapped[str] = mapped_column(Text)


class InspectionRow(Base):
    """An inspection or test of a unit."""

    __tablename__ = "inspections"
    __table_args__ = (Index(None, "elevator_id", "performed_on"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    elevator_id: Mapped[str] = mapped_column(String(ID))
    type: Mapped[str] = mapped_column(String(CODE))
    result: Mapped[str] = mapped_column(String(CODE))
    performed_on: Mapped[date]
    next_due: Mapped[date | None] = mapped_column(index=True)
    doc: Mapped[str] = mapped_column(Text)
