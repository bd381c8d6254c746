"""Work records: visits, deficiencies, incidents (the callback log), inspections, conflicts."""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from app.domain.enums import (
    ConflictStatus,
    DeficiencySeverity,
    DeficiencyStatus,
    ElevatorStatus,
    FaultCategory,
    IncidentChannel,
    IncidentStatus,
    InspectionResult,
    InspectionType,
    ItemOutcome,
    KpiExclusion,
    VisitStatus,
    VisitType,
)
from app.domain.values import DecimalStr, DomainModel, OptionalText, UtcDatetime


class ItemResult(DomainModel):
    """The recorded result of one checklist item."""

    key: str
    outcome: ItemOutcome
    value: DecimalStr | None = None
    text: str | None = None
    photos: tuple[str, ...] = ()
    recorded_at: UtcDatetime


class PartUsed(DomainModel):
    part_number: str
    description: str | None = None
    quantity: int = 1
    serials: tuple[str, ...] = ()


class Note(DomainModel):
    text: str
    author_id: UUID
    written_at: UtcDatetime


class Photo(DomainModel):
    """A photo stored content-addressed by the SHA-256 of its bytes."""

    sha256: str
    caption: str | None = None
    item_key: str | None = None


class SignOff(DomainModel):
    """A signature (as a stored image blob) or a recorded refusal to sign."""

    name: str
    signature_sha256: str | None = None
    refused: bool = False


class Addendum(DomainModel):
    """A correction appended to a locked visit."""

    event_id: UUID
    text: str
    author_id: UUID
    written_at: UtcDatetime


UNFINISHED: Final = frozenset(
    {VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED}
)
"""Visits that still need something: starting, finishing or locking (open work)."""


class VisitSummary(DomainModel):
    """A visit's header: what the fleet figures read, without checklist, parts or sign-offs.

    The local store keeps these fields as columns, so a whole fleet's visits load without
    parsing every visit document; ``Visit`` is a summary with its full record.
    """

    id: UUID
    elevator_id: UUID
    site_id: UUID
    type: VisitType
    status: VisitStatus
    scheduled_date: date | None = None
    technician_id: UUID | None = None
    incident_id: UUID | None = None
    arrived_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    created_at: UtcDatetime

    @property
    def performed_on(self) -> date | None:
        """The day the work was done (arrival, else completion)."""
        when = self.arrived_at or self.completed_at
        return when.date() if when else None

    def summary(self) -> VisitSummary:
        """The header alone (a full ``Visit`` drops its record)."""
        if type(self) is VisitSummary:
            return self
        return VisitSummary.model_validate(
            {name: getattr(self, name) for name in VisitSummary.model_fields}
        )


class Visit(VisitSummary):
    organization_id: UUID
    template_id: str | None = None
    template_version: int | None = None
    departed_at: UtcDatetime | None = None
    results: tuple[ItemResult, ...] = ()
    parts: tuple[PartUsed, ...] = ()
    notes: tuple[Note, ...] = ()
    photos: tuple[Photo, ...] = ()
    technician_signature: SignOff | None = None
    customer_signoff: SignOff | None = None
    addenda: tuple[Addendum, ...] = ()
    locked_at: UtcDatetime | None = None
    cancel_reason: str | None = None
    updated_at: UtcDatetime

    def result(self, key: str) -> ItemResult | None:
        """The latest result recorded for item ``key``."""
        return next((r for r in self.results if r.key == key), None)


class Deficiency(DomainModel):
    id: UUID
    organization_id: UUID
    elevator_id: UUID
    visit_id: UUID | None = None
    item_key: str | None = None
    severity: DeficiencySeverity
    description: str
    status: DeficiencyStatus = DeficiencyStatus.OPEN
    due_date: date | None = None
    opened_at: UtcDatetime
    closed_at: UtcDatetime | None = None
    resolution: str | None = None


class IncidentDetailsEdit(DomainModel):
    """A change to a callback-log entry after it was logged: each field optional, only those
    given change (shared by the edit event and the edit command)."""

    reporter: OptionalText = None
    entrapment: bool | None = None
    persons_trapped: int | None = None
    release_at: UtcDatetime | None = None
    injuries: OptionalText = None
    arrived_at: UtcDatetime | None = None
    fault_code: OptionalText = None
    fault_category: FaultCategory | None = None
    root_cause: OptionalText = None
    corrective_action: OptionalText = None
    excluded_from_kpi: bool | None = None
    exclusion_reason: KpiExclusion | None = None


class Incident(DomainModel):
    """One entry of the ASME A17.1 callback log."""

    id: UUID
    organization_id: UUID
    elevator_id: UUID
    status: IncidentStatus = IncidentStatus.OPEN
    reported_at: UtcDatetime
    channel: IncidentChannel
    reporter: str | None = None
    reported_trouble: str
    unit_status_at_report: ElevatorStatus
    out_of_service: bool = False
    entrapment: bool = False
    persons_trapped: int = 0
    release_at: UtcDatetime | None = None
    injuries: str | None = None
    arrived_at: UtcDatetime | None = None
    fault_code: str | None = None
    fault_category: FaultCategory | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    out_of_service_at: UtcDatetime | None = None
    back_in_service_at: UtcDatetime | None = None
    excluded_from_kpi: bool = False
    exclusion_reason: KpiExclusion | None = None
    repeat_of: UUID | None = None
    visits_to_resolve: int = 0
    closed_at: UtcDatetime | None = None

    @property
    def countable(self) -> bool:
        """Whether the callback counts towards KPIs (not excluded as nuisance, vandalism...)."""
        return not self.excluded_from_kpi


class Inspection(DomainModel):
    id: UUID
    organization_id: UUID
    elevator_id: UUID
    type: InspectionType
    performed_on: date
    performed_by: str
    witnessed_by: str | None = None
    result: InspectionResult
    defects: tuple[str, ...] = ()
    next_due: date | None = None
    recorded_at: UtcDatetime


class ConflictRecord(DomainModel):
    """Two concurrent edits of one field; both values kept for a supervisor to review."""

    id: UUID
    organization_id: UUID
    entity_type: str
    entity_id: UUID
    field: str
    kept_value: str | None
    other_value: str | None
    kept_event_id: UUID
    other_event_id: UUID
    status: ConflictStatus = ConflictStatus.OPEN
    resolution_event_id: UUID | None = None
    created_at: UtcDatetime
