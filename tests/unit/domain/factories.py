"""Small builders of domain records for the calculation tests: fixed ids, UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from app.domain.downtime import midnight_utc
from app.domain.entities import Certificate, Elevator, StatusChange
from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    DowntimeCause,
    DriveType,
    ElevatorStatus,
    IncidentChannel,
    IncidentStatus,
    InspectionResult,
    InspectionType,
    VisitStatus,
    VisitType,
)
from app.domain.work import Deficiency, Incident, Inspection, Visit

ORG = UUID(int=1)
SITE = UUID(int=2)
ACTOR = UUID(int=3)
UNIT = UUID(int=10)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
"""Start of every test period unless a test says otherwise."""


def uid(n: int) -> UUID:
    """A readable fixed UUID."""
    return UUID(int=n)


def at(days: float = 0, hours: float = 0) -> datetime:
    """``T0`` plus days and hours."""
    return T0 + timedelta(days=days, hours=hours)


def elevator(
    *,
    n: int = 10,
    registered_at: datetime | None = None,
    installation_date: date | None = None,
    certificate: Certificate | None = None,
    status: ElevatorStatus = ElevatorStatus.OPERATIONAL,
    interval_days: int | None = 30,
    drive_type: DriveType = DriveType.TRACTION,
    carries_passengers: bool = True,
) -> Elevator:
    """A unit registered at ``registered_at`` (default one year before ``T0``)."""
    registered = registered_at or at(-365)
    return Elevator(
        id=uid(n),
        organization_id=ORG,
        site_id=SITE,
        unit_number=f"E{n}",
        installation_date=installation_date,
        certificate=certificate,
        maintenance_interval_days=interval_days,
        drive_type=drive_type,
        carries_passengers=carries_passengers,
        status=status,
        status_since=registered,
        registered_at=registered,
        updated_at=registered,
    )


def certificate(issued_on: date, expires_on: date) -> Certificate:
    """A certificate of operation."""
    return Certificate(number="C-1", issued_on=issued_on, expires_on=expires_on)


def change(
    when: datetime,
    new: ElevatorStatus,
    *,
    cause: DowntimeCause | None = None,
    previous: ElevatorStatus | None = None,
    unit: UUID = UNIT,
) -> StatusChange:
    """A status-history row."""
    return StatusChange(
        event_id=uid(int(when.timestamp())),
        elevator_id=unit,
        previous=previous,
        new=new,
        reason="test",
        cause=cause,
        changed_at=when,
        actor_id=ACTOR,
    )


def visit(
    when: datetime | date,
    *,
    kind: VisitType = VisitType.PREVENTIVE,
    status: VisitStatus = VisitStatus.COMPLETED,
    unit: UUID = UNIT,
) -> Visit:
    """A visit whose technician arrived at ``when`` (a date means 09:00 that day)."""
    arrived = when if isinstance(when, datetime) else midnight_utc(when) + timedelta(hours=9)
    return Visit(
        id=uid(500),
        organization_id=ORG,
        elevator_id=unit,
        site_id=SITE,
        type=kind,
        status=status,
        arrived_at=arrived,
        completed_at=arrived + timedelta(hours=1) if status is VisitStatus.COMPLETED else None,
        created_at=arrived,
        updated_at=arrived,
    )


def incident(
    reported_at: datetime,
    *,
    arrived_after_min: float | None = None,
    excluded: bool = False,
    entrapment: bool = False,
    released_after_min: float | None = None,
    closed: bool = False,
    visits_to_resolve: int = 0,
    channel: IncidentChannel = IncidentChannel.PHONE,
    unit: UUID = UNIT,
) -> Incident:
    """A callback reported at ``reported_at``; arrival/release given in minutes after it."""

    def after(minutes: float | None) -> datetime | None:
        return None if minutes is None else reported_at + timedelta(minutes=minutes)

    return Incident(
        id=uid(700),
        organization_id=ORG,
        elevator_id=unit,
        status=IncidentStatus.CLOSED if closed else IncidentStatus.OPEN,
        reported_at=reported_at,
        channel=channel,
        reported_trouble="stuck",
        unit_status_at_report=ElevatorStatus.OPERATIONAL,
        entrapment=entrapment,
        persons_trapped=1 if entrapment else 0,
        release_at=after(released_after_min),
        arrived_at=after(arrived_after_min),
        excluded_from_kpi=excluded,
        visits_to_resolve=visits_to_resolve,
        closed_at=reported_at + timedelta(days=1) if closed else None,
    )


def inspection(
    kind: InspectionType,
    performed_on: date,
    *,
    result: InspectionResult = InspectionResult.PASSED,
    next_due: date | None = None,
    unit: UUID = UNIT,
) -> Inspection:
    """An inspection or test performed on ``performed_on``."""
    return Inspection(
        id=uid(900),
        organization_id=ORG,
        elevator_id=unit,
        type=kind,
        performed_on=performed_on,
        performed_by="Inspector",
        result=result,
        next_due=next_due,
        recorded_at=midnight_utc(performed_on),
    )


def deficiency(
    severity: DeficiencySeverity,
    *,
    status: DeficiencyStatus = DeficiencyStatus.OPEN,
    unit: UUID = UNIT,
) -> Deficiency:
    """A deficiency found at ``T0``."""
    return Deficiency(
        id=uid(800),
        organization_id=ORG,
        elevator_id=unit,
        severity=severity,
        description="door gib worn",
        status=status,
        opened_at=T0,
    )


def worked_example_history() -> list[StatusChange]:
    """10 h planned maintenance; outages of 3 h (with a second report inside it) and 5 h."""
    return [
        change(at(2), ElevatorStatus.MAINTENANCE, cause=DowntimeCause.PLANNED),
        change(at(2, 10), ElevatorStatus.OPERATIONAL),
        change(at(5), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.INCIDENT),
        # A second incident reported an hour later, while the unit was already down: its 2 h
        # (01:00-03:00) overlap the first outage, so they merge into one 3 h outage.
        change(at(5, 1), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.INCIDENT),
        change(at(5, 3), ElevatorStatus.OPERATIONAL),
        change(at(10), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.OTHER),
        change(at(10, 5), ElevatorStatus.OPERATIONAL),
    ]
