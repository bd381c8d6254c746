"""The payload schemas of every domain event (version 1)."""

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
    VisitType,
)
from app.domain.events import EventPayload, PartialPayload
from app.domain.values import DecimalStr, UtcDatetime
from app.domain.work import IncidentDetailsEdit, PartUsed

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
    ENTITY = "site"
    customer_id: UUID
    name: str
    address: str
    access_notes: str | None = None
    emergency_contacts: str | None = None
    time_zone: str = "UTC"


class SiteUpdated(PartialPayload):
    TYPE = "site.updated"
    ENTITY = "site"
    name: str | None = None
    address: str | None = None
    access_notes: str | None = None
    emergency_contacts: str | None = None
    time_zone: str | None = None


class SiteTechnicianAssigned(EventPayload):
    TYPE = "site.technician_assigned"
    ENTITY = "site"
    technician_id: UUID
    assigned: bool = True


# -- units -----------------------------------------------------------------------------------


class ElevatorRegistered(EventPayload, UnitDetails):
    TYPE = "elevator.registered"
    ENTITY = "elevator"
    site_id: UUID
    status: ElevatorStatus = ElevatorStatus.OPERATIONAL


class ElevatorUpdated(PartialPayload, UnitDetailsEdit):
    TYPE = "elevator.updated"
    ENTITY = "elevator"


class ElevatorStatusChanged(EventPayload):
    TYPE = "elevator.status_changed"
    ENTITY = "elevator"
    previous: ElevatorStatus
    new: ElevatorStatus
    reason: str
    cause: DowntimeCause | None = None
    incident_id: UUID | None = None


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
