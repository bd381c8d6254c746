"""The payload schemas of every domain event, and the upcasters of their older versions.

Version 2 of ``site.created``/``site.updated`` adds the site's rule set; of
``elevator.registered``/``elevator.updated`` whether the unit carries passengers (and lets the
maintenance interval follow the organization's); of ``elevator.status_changed`` the time the
change took effect. Version 1 payloads read as version 2 with the defaults of that time.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from app.domain.entities import UnitDetails, UnitDetailsEdit
from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    DowntimeCause,
    ElevatorStatus,
    FaultCategory,
    IncidentChannel,
    InspectionResult,
    InspectionType,
    ItemOutcome,
    Role,
    RuleSet,
    VisitType,
)
from app.domain.events import EventPayload, JsonObject, PartialPayload, upcaster
from app.domain.settings import OperatingHours, OrganizationSettings
from app.domain.values import DecimalStr, UtcDatetime
from app.domain.work import IncidentDetailsEdit, PartUsed

# -- the organization ------------------------------------------------------------------------


class OrganizationCreated(EventPayload):
    TYPE = "organization.created"
    ENTITY = "organization"
    name: str
    time_zone: str = "UTC"
    settings: OrganizationSettings = OrganizationSettings()


class OrganizationSettingsChanged(PartialPayload):
    """An administrator changed some settings; only those given change."""

    TYPE = "organization.settings_changed"
    ENTITY = "organization"
    rule_set: RuleSet | None = None
    default_maintenance_interval_days: int | None = None
    pm_window_percent: int | None = None
    cat1_interval_months: int | None = None
    cat5_interval_months: int | None = None
    loler_passenger_interval_months: int | None = None
    loler_goods_interval_months: int | None = None
    custom_interval_months: int | None = None
    certificate_alert_days: tuple[int, ...] | None = None
    entrapment_response_target_minutes: int | None = None
    repeat_callback_window_days: int | None = None
    operating_hours: OperatingHours | None = None


# -- people and places ---------------------------------------------------------------------


class UserRegistered(EventPayload):
    TYPE = "user.registered"
    ENTITY = "user"
    email: str
    display_name: str
    role: Role


class UserUpdated(PartialPayload):
    """An administrator changed a user's name or role, or disabled or re-enabled them."""

    TYPE = "user.updated"
    ENTITY = "user"
    display_name: str | None = None
    role: Role | None = None
    active: bool | None = None


class UserPinSet(EventPayload):
    """A supervisor's or administrator's local profile got its PIN (or a new one).

    ``verifier`` is an argon2id hash of the PIN, never the PIN: switching to the profile on a
    store that is not signed in to a server asks for it. Being an event, it is signed and
    chained: editing or removing it by hand breaks the chain, which verification reports.
    """

    TYPE = "user.pin_set"
    ENTITY = "user"
    verifier: str


class CustomerCreated(EventPayload):
    TYPE = "customer.created"
    ENTITY = "customer"
    name: str
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


class CustomerUpdated(PartialPayload):
    TYPE = "customer.updated"
    ENTITY = "customer"
    name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


class SiteCreated(EventPayload):
    TYPE = "site.created"
    VERSION = 2
    ENTITY = "site"
    customer_id: UUID
    name: str
    address: str
    access_notes: str | None = None
    emergency_contacts: str | None = None
    time_zone: str = "UTC"
    rule_set: RuleSet | None = None


class SiteUpdated(PartialPayload):
    TYPE = "site.updated"
    VERSION = 2
    ENTITY = "site"
    name: str | None = None
    address: str | None = None
    access_notes: str | None = None
    emergency_contacts: str | None = None
    time_zone: str | None = None
    rule_set: RuleSet | None = None


class SiteTechnicianAssigned(EventPayload):
    TYPE = "site.technician_assigned"
    ENTITY = "site"
    technician_id: UUID
    assigned: bool = True


# -- units -----------------------------------------------------------------------------------


class ElevatorRegistered(EventPayload, UnitDetails):
    TYPE = "elevator.registered"
    VERSION = 2
    ENTITY = "elevator"
    site_id: UUID
    status: ElevatorStatus = ElevatorStatus.OPERATIONAL


class ElevatorUpdated(PartialPayload, UnitDetailsEdit):
    TYPE = "elevator.updated"
    VERSION = 2
    ENTITY = "elevator"


class ElevatorStatusChanged(EventPayload):
    TYPE = "elevator.status_changed"
    VERSION = 2
    ENTITY = "elevator"
    previous: ElevatorStatus
    new: ElevatorStatus
    reason: str
    cause: DowntimeCause | None = None
    incident_id: UUID | None = None
    effective_at: UtcDatetime | None = None
    """When the change took effect, if earlier than it was recorded (None: when recorded)."""


@upcaster(SiteCreated.TYPE, 1)
@upcaster(SiteUpdated.TYPE, 1)
@upcaster(ElevatorUpdated.TYPE, 1)
@upcaster(ElevatorStatusChanged.TYPE, 1)
def _fields_added(data: JsonObject) -> JsonObject:
    """Version 2 only added optional fields: a version 1 payload is read unchanged."""
    return data


@upcaster(ElevatorRegistered.TYPE, 1)
def _unit_v1(data: JsonObject) -> JsonObject:
    """A version 1 unit carried passengers and had its own interval (30 days by default)."""
    return {"maintenance_interval_days": 30, **data}


# -- visits ----------------------------------------------------------------------------------


class VisitScheduled(EventPayload):
    TYPE = "visit.scheduled"
    ENTITY = "visit"
    elevator_id: UUID
    site_id: UUID
    type: VisitType
    scheduled_date: date
    technician_id: UUID | None = None


class VisitStarted(EventPayload):
    TYPE = "visit.started"
    ENTITY = "visit"
    elevator_id: UUID
    site_id: UUID
    type: VisitType
    technician_id: UUID
    arrived_at: UtcDatetime
    template_id: str | None = None
    template_version: int | None = None
    incident_id: UUID | None = None


class VisitItemRecorded(EventPayload):
    TYPE = "visit.item_recorded"
    ENTITY = "visit"
    key: str
    outcome: ItemOutcome
    value: DecimalStr | None = None
    text: str | None = None
    photos: tuple[str, ...] = ()


class VisitPartUsed(EventPayload):
    TYPE = "visit.part_used"
    ENTITY = "visit"
    part: PartUsed


class VisitNoteAdded(EventPayload):
    TYPE = "visit.note_added"
    ENTITY = "visit"
    text: str


class VisitPhotoAttached(EventPayload):
    TYPE = "visit.photo_attached"
    ENTITY = "visit"
    sha256: str
    caption: str | None = None
    item_key: str | None = None


class VisitSigned(EventPayload):
    TYPE = "visit.signed"
    ENTITY = "visit"
    signer: Literal["technician", "customer"]
    name: str
    signature_sha256: str | None = None
    refused: bool = False


class VisitCompleted(EventPayload):
    TYPE = "visit.completed"
    ENTITY = "visit"
    departed_at: UtcDatetime


class VisitLocked(EventPayload):
    TYPE = "visit.locked"
    ENTITY = "visit"


class VisitCancelled(EventPayload):
    TYPE = "visit.cancelled"
    ENTITY = "visit"
    reason: str


class VisitAddendumAdded(EventPayload):
    TYPE = "visit.addendum_added"
    ENTITY = "visit"
    text: str


# -- deficiencies, incidents, inspections ----------------------------------------------------


class DeficiencyOpened(EventPayload):
    TYPE = "deficiency.opened"
    ENTITY = "deficiency"
    elevator_id: UUID
    severity: DeficiencySeverity
    description: str
    visit_id: UUID | None = None
    item_key: str | None = None
    due_date: date | None = None


class DeficiencyStatusChanged(EventPayload):
    TYPE = "deficiency.status_changed"
    ENTITY = "deficiency"
    status: DeficiencyStatus
    resolution: str | None = None


class IncidentOpened(EventPayload):
    TYPE = "incident.opened"
    ENTITY = "incident"
    elevator_id: UUID
    reported_at: UtcDatetime
    channel: IncidentChannel
    reported_trouble: str
    unit_status_at_report: ElevatorStatus
    reporter: str | None = None
    out_of_service: bool = False
    entrapment: bool = False
    persons_trapped: int = 0
    injuries: str | None = None
    repeat_of: UUID | None = None


class IncidentUpdated(PartialPayload, IncidentDetailsEdit):
    TYPE = "incident.updated"
    ENTITY = "incident"


class IncidentClosed(EventPayload):
    TYPE = "incident.closed"
    ENTITY = "incident"
    back_in_service_at: UtcDatetime | None = None
    corrective_action: str | None = None
    fault_code: str | None = None
    fault_category: FaultCategory | None = None
    root_cause: str | None = None
    visits_to_resolve: int = 1


class InspectionRecorded(EventPayload):
    TYPE = "inspection.recorded"
    ENTITY = "inspection"
    elevator_id: UUID
    type: InspectionType
    performed_on: date
    performed_by: str
    result: InspectionResult
    witnessed_by: str | None = None
    defects: tuple[str, ...] = ()
    next_due: date | None = None
