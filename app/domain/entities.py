"""Fleet entities: organizations, people, customers, sites, units and checklist templates."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from app.domain.enums import (
    DowntimeCause,
    DriveType,
    ElevatorStatus,
    ItemKind,
    Manufacturer,
    Role,
)
from app.domain.values import DecimalStr, DomainModel, OptionalText, Text, UtcDatetime


class ComplianceSettings(DomainModel):
    """Compliance intervals an organization may configure (DOMAIN.md defaults)."""

    default_maintenance_interval_days: int = 30
    pm_window_fraction: float = 0.10
    cat1_interval_months: int = 12
    cat5_interval_months: int = 60
    loler_interval_months: int = 6
    certificate_alert_days: tuple[int, ...] = (60, 30)
    entrapment_response_target_minutes: int = 60
    repeat_callback_window_days: int = 30


class Organization(DomainModel):
    id: UUID
    name: str
    time_zone: str = "UTC"
    settings: ComplianceSettings = ComplianceSettings()


class User(DomainModel):
    id: UUID
    organization_id: UUID
    email: str
    display_name: str
    role: Role
    active: bool = True
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Customer(DomainModel):
    id: UUID
    organization_id: UUID
    name: str
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Site(DomainModel):
    id: UUID
    organization_id: UUID
    customer_id: UUID
    name: str
    address: str
    access_notes: str | None = None
    emergency_contacts: str | None = None
    time_zone: str = "UTC"
    assigned_technicians: tuple[UUID, ...] = ()
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Certificate(DomainModel):
    """Certificate of operation issued by the authority having jurisdiction."""

    number: str
    issued_on: date
    expires_on: date


class UnitDetails(DomainModel):
    """What describes a unit: the one list of its fields, shared by the unit itself, the event
    that registers it and the command that asks for that."""

    unit_number: Text
    serial_number: OptionalText = None
    conveyance_id: OptionalText = None
    manufacturer: Manufacturer = Manufacturer.OTHER
    model: OptionalText = None
    drive_type: DriveType = DriveType.TRACTION
    capacity_kg: int | None = None
    rated_speed_mps: DecimalStr | None = None
    floors_served: int | None = None
    installation_date: date | None = None
    design_life_years: int | None = None
    certificate: Certificate | None = None
    maintenance_interval_days: int = 30


class UnitDetailsEdit(DomainModel):
    """A change to a unit's details: the fields of :class:`UnitDetails`, each optional; only
    those given change (shared by the edit event and the edit command)."""

    unit_number: Text | None = None
    serial_number: OptionalText = None
    conveyance_id: OptionalText = None
    manufacturer: Manufacturer | None = None
    model: OptionalText = None
    drive_type: DriveType | None = None
    capacity_kg: int | None = None
    rated_speed_mps: DecimalStr | None = None
    floors_served: int | None = None
    installation_date: date | None = None
    design_life_years: int | None = None
    certificate: Certificate | None = None
    maintenance_interval_days: int | None = None


class Elevator(UnitDetails):
    """A unit (elevator or lift): its details, where it is and its current status."""

    id: UUID
    organization_id: UUID
    site_id: UUID
    status: ElevatorStatus = ElevatorStatus.OPERATIONAL
    status_since: UtcDatetime
    status_reason: str | None = None
    downtime_cause: DowntimeCause | None = None
    registered_at: UtcDatetime
    updated_at: UtcDatetime

    @property
    def active(self) -> bool:
        """True unless the unit is decommissioned (soft-deleted)."""
        return self.status is not ElevatorStatus.DECOMMISSIONED


class StatusChange(DomainModel):
    """One row of a unit's effective-dated status history."""

    event_id: UUID
    elevator_id: UUID
    previous: ElevatorStatus | None
    new: ElevatorStatus
    reason: str
    cause: DowntimeCause | None = None
    incident_id: UUID | None = None
    changed_at: UtcDatetime
    actor_id: UUID


class ChecklistItem(DomainModel):
    """One line of a checklist template."""

    key: str
    label: str
    section: str = "General"
    kind: ItemKind = ItemKind.PASS_FAIL
    mandatory: bool = True
    unit: str | None = None
    min_value: DecimalStr | None = None
    max_value: DecimalStr | None = None


class ChecklistTemplate(DomainModel):
    """A versioned checklist; visits record the template id and version they used."""

    template_id: str
    version: int = Field(ge=1)
    name: str
    drive_types: tuple[DriveType, ...]
    items: tuple[ChecklistItem, ...]

    def item(self, key: str) -> ChecklistItem | None:
        """The item with ``key``, if the template has one."""
        return next((i for i in self.items if i.key == key), None)
