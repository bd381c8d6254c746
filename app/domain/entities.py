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
    RuleSet,
)
from app.domain.settings import OrganizationSettings
from app.domain.values import DecimalStr, DomainModel, OptionalText, Text, UtcDatetime


class Organization(DomainModel):
    """The tenant: its name, home time zone and settings (``organization.*`` events)."""

    id: UUID
    name: str
    time_zone: str = "UTC"
    settings: OrganizationSettings = OrganizationSettings()
    created_at: UtcDatetime
    updated_at: UtcDatetime


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
    rule_set: RuleSet | None = None
    """The site's own rule set; None follows the organization's."""
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
    maintenance_interval_days: int | None = None
    """The unit's own preventive-maintenance interval; None follows the organization's."""
    carries_passengers: bool = True
    """False for a goods-only lift (LOLER examines those every 12 months, not 6)."""


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
    """Given as None: the unit follows the organization's default interval from now on."""
    carries_passengers: bool | None = None


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
    """When the change took effect (the status holds from then until the next change)."""
    actor_id: UUID
    recorded_at: UtcDatetime | None = None
    """When the change was recorded, if later than it took effect."""


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
