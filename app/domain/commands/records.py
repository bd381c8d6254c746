"""Commands of deficiencies, the callback log (incidents) and inspections."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import ClassVar, Self
from uuid import UUID

from pydantic import model_validator

from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    ElevatorStatus,
    FaultCategory,
    IncidentChannel,
    InspectionResult,
    InspectionType,
    KpiExclusion,
)
from app.domain.forms import MAX_LINE, Command, FormError
from app.domain.values import OptionalText, Text, UtcDatetime
from app.domain.work import IncidentDetailsEdit


class OpenDeficiency(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"description": "Describe the deficiency."}
    elevator_id: UUID
    severity: DeficiencySeverity
    description: Text
    visit_id: UUID | None = None
    item_key: OptionalText = None
    due_date: date | None = None


class ChangeDeficiencyStatus(Command):
    deficiency_id: UUID
    status: DeficiencyStatus
    resolution: OptionalText = None

    @model_validator(mode="after")
    def _resolution(self) -> Self:
        if self.status in (DeficiencyStatus.FIXED, DeficiencyStatus.INVALID) and not (
            self.resolution
        ):
            verb = "was fixed" if self.status is DeficiencyStatus.FIXED else "is invalid"
            raise FormError(f"Say how or why the deficiency {verb}.", field="resolution")
        return self


def check_callback(
    *,
    entrapment: bool,
    persons_trapped: int,
    release_at: datetime | None,
    excluded_from_kpi: bool,
    exclusion_reason: KpiExclusion | None,
) -> None:
    """Raise a FormError unless the callback-log fields agree with each other."""
    if persons_trapped < 0:
        raise FormError("Persons trapped cannot be negative.", field="persons_trapped")
    if entrapment and persons_trapped < 1:
        raise FormError(
            "An entrapment needs the number of persons trapped (at least 1).",
            field="persons_trapped",
        )
    if persons_trapped and not entrapment:
        raise FormError("Persons trapped is set but entrapment is not ticked.", field="entrapment")
    if release_at is not None and not entrapment:
        raise FormError("A release time only applies to an entrapment.", field="release_at")
    if excluded_from_kpi and exclusion_reason is None:
        raise FormError(
            "Choose why the callback is excluded from the KPIs.", field="exclusion_reason"
        )
    if exclusion_reason is not None and not excluded_from_kpi:
        raise FormError(
            "An exclusion reason needs 'excluded from KPIs' ticked.", field="excluded_from_kpi"
        )


class OpenIncident(Command):
    """A callback-log entry (ASME A17.1): everything known when it is logged."""

    REQUIRED: ClassVar[Mapping[str, str]] = {"reported_trouble": "Describe the reported trouble."}
    ONE_LINE: ClassVar[Mapping[str, int]] = {"reporter": MAX_LINE}
    elevator_id: UUID
    reported_at: UtcDatetime | None = None
    channel: IncidentChannel
    reporter: OptionalText = None
    reported_trouble: Text
    unit_status_at_report: ElevatorStatus | None = None
    out_of_service: bool = False
    entrapment: bool = False
    persons_trapped: int = 0
    release_at: UtcDatetime | None = None
    injuries: OptionalText = None
    arrived_at: UtcDatetime | None = None
    fault_code: OptionalText = None
    fault_category: FaultCategory | None = None
    root_cause: OptionalText = None
    corrective_action: OptionalText = None
    excluded_from_kpi: bool = False
    exclusion_reason: KpiExclusion | None = None
    repeat_of: UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_callback(
            entrapment=self.entrapment,
            persons_trapped=self.persons_trapped,
            release_at=self.release_at,
            excluded_from_kpi=self.excluded_from_kpi,
            exclusion_reason=self.exclusion_reason,
        )
        return self


class UpdateIncident(Command, IncidentDetailsEdit):
    ONE_LINE: ClassVar[Mapping[str, int]] = OpenIncident.ONE_LINE
    """Only the fields given are changed; the service checks them against the stored entry."""

    incident_id: UUID


class CloseIncident(Command):
    incident_id: UUID
    back_in_service: bool
    back_in_service_at: UtcDatetime | None = None
    corrective_action: OptionalText = None
    fault_code: OptionalText = None
    fault_category: FaultCategory | None = None
    root_cause: OptionalText = None

    @model_validator(mode="after")
    def _back_in_service(self) -> Self:
        if self.back_in_service_at is not None and not self.back_in_service:
            raise FormError(
                "A back-in-service time needs 'back in service' ticked.", field="back_in_service"
            )
        return self


class RecordInspection(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"performed_by": "Who performed the inspection?"}
    ONE_LINE: ClassVar[Mapping[str, int]] = {"performed_by": MAX_LINE, "witnessed_by": MAX_LINE}
    elevator_id: UUID
    type: InspectionType
    performed_on: date
    performed_by: Text
    witnessed_by: OptionalText = None
    result: InspectionResult
    defects: tuple[Text, ...] = ()
    next_due: date | None = None
    deficiency_severity: DeficiencySeverity | None = None
    """When given, each defect also opens a deficiency of this severity, in the same action."""
    deficiencies_due: date | None = None
    """The day the deficiencies it opens must be corrected by, if the report sets one."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        defects = [d for d in self.defects if d]
        if self.deficiencies_due is not None and self.deficiency_severity is None:
            raise FormError(
                "A correct-by date applies only to the deficiencies the defects open.",
                field="deficiencies_due",
                hint="Choose a severity to open deficiencies, or clear the date.",
            )
        if self.result is InspectionResult.PASSED and defects:
            raise FormError(
                "The inspection passed but defects are listed.",
                field="result",
                hint="Choose 'passed with defects', or remove the defects.",
            )
        if self.result is not InspectionResult.PASSED and not defects:
            raise FormError("List the defects the inspector found.", field="defects")
        if self.next_due is not None and self.next_due <= self.performed_on:
            raise FormError(
                f"The next due date {self.next_due} is not after the inspection "
                f"({self.performed_on}).",
                field="next_due",
            )
        return self
