"""One of every kind of event, recorded through the real recorder into a store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from app.demo.seeding import change_status, record
from app.domain import payloads as p
from app.domain.entities import Certificate
from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    DriveType,
    ElevatorStatus,
    FaultCategory,
    IncidentChannel,
    InspectionResult,
    InspectionType,
    ItemOutcome,
    Manufacturer,
    Role,
    RuleSet,
    VisitType,
)
from app.domain.work import PartUsed
from app.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class Scenario:
    """The ids of what ``record_everything`` created."""

    technician: UUID
    customer: UUID
    site: UUID
    elevator: UUID
    spare: UUID
    visit: UUID
    cancelled_visit: UUID
    deficiency: UUID
    incident: UUID
    inspection: UUID


async def record_everything(ctx: ServiceContext) -> Scenario:
    """Record every event type at least once, as a technician's year would."""
    new = ctx.ids.new_id
    tech, customer, site, unit, spare = new(), new(), new(), new(), new()
    visit, cancelled, deficiency, incident, inspection = new(), new(), new(), new(), new()
    when = ctx.clock.now()
    organization = ctx.device.organization_id
    await record(ctx, organization, p.OrganizationCreated(name="Acme Lifts", time_zone="UTC"))
    await record(
        ctx,
        organization,
        p.OrganizationSettingsChanged(rule_set=RuleSet.UK_LOLER, repeat_callback_window_days=21),
    )
    await record(
        ctx,
        tech,
        p.UserRegistered(email="t@example.com", display_name="Tess", role=Role.TECHNICIAN),
    )
    await record(ctx, customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
    await record(ctx, customer, p.CustomerUpdated(contact_phone="+44 20 7946 0000"))
    await record(ctx, site, p.SiteCreated(customer_id=customer, name="North", address="1 High St"))
    await record(ctx, site, p.SiteUpdated(access_notes="Key at reception"))
    await record(ctx, site, p.SiteTechnicianAssigned(technician_id=tech))
    certificate = Certificate(number="C-1", issued_on=date(2024, 5, 1), expires_on=date(2025, 5, 1))
    await record(
        ctx,
        unit,
        p.ElevatorRegistered(
            site_id=site,
            unit_number="L1",
            manufacturer=Manufacturer.KONE,
            drive_type=DriveType.MRL_TRACTION,
            rated_speed_mps=Decimal("1.60"),
            installation_date=date(2012, 3, 4),
            certificate=certificate,
            capacity_kg=630,
        ),
    )
    await record(ctx, spare, p.ElevatorRegistered(site_id=site, unit_number="l2"))
    await record(ctx, unit, p.ElevatorUpdated(serial_number="SN-9", floors_served=7))
    await change_status(ctx, unit, ElevatorStatus.MAINTENANCE, "monthly PM")
    await change_status(ctx, spare, ElevatorStatus.DECOMMISSIONED, "replaced")
    await record(
        ctx,
        visit,
        p.VisitScheduled(
            elevator_id=unit,
            site_id=site,
            type=VisitType.PREVENTIVE,
            scheduled_date=date(2025, 2, 1),
            technician_id=tech,
        ),
    )
    await record(
        ctx,
        visit,
        p.VisitStarted(
            elevator_id=unit,
            site_id=site,
            type=VisitType.PREVENTIVE,
            technician_id=tech,
            arrived_at=when,
            template_id="traction",
            template_version=2,
        ),
        p.VisitItemRecorded(key="brake", outcome=ItemOutcome.PASS),
        p.VisitItemRecorded(key="levelling", outcome=ItemOutcome.FAIL, value=Decimal("12.5")),
        p.VisitPartUsed(part=PartUsed(part_number="DR-1", quantity=2, serials=("a", "b"))),
        p.VisitNoteAdded(text="Door rollers worn"),
        p.VisitPhotoAttached(sha256="ab" * 32, caption="rollers", item_key="levelling"),
        p.VisitSigned(signer="technician", name="Tess"),
        p.VisitSigned(signer="customer", name="Ann", refused=True),
        p.VisitCompleted(departed_at=when + timedelta(hours=1)),
    )
    await record(ctx, visit, p.VisitLocked())
    await record(ctx, visit, p.VisitAddendumAdded(text="Parts ordered"))
    await record(
        ctx,
        cancelled,
        p.VisitScheduled(
            elevator_id=unit, site_id=site, type=VisitType.REPAIR, scheduled_date=date(2025, 3, 1)
        ),
        p.VisitCancelled(reason="Customer closed"),
    )
    await record(
        ctx,
        deficiency,
        p.DeficiencyOpened(
            elevator_id=unit,
            severity=DeficiencySeverity.DEFICIENT,
            description="Levelling out of tolerance",
            visit_id=visit,
            item_key="levelling",
            due_date=date(2025, 3, 1),
        ),
    )
    await record(ctx, deficiency, p.DeficiencyStatusChanged(status=DeficiencyStatus.FIXED))
    await record(
        ctx,
        incident,
        p.IncidentOpened(
            elevator_id=unit,
            reported_at=when,
            channel=IncidentChannel.ALARM,
            reported_trouble="Stuck between floors",
            unit_status_at_report=ElevatorStatus.MAINTENANCE,
            out_of_service=True,
            entrapment=True,
            persons_trapped=2,
        ),
    )
    await record(ctx, incident, p.IncidentUpdated(release_at=when + timedelta(minutes=35)))
    await record(
        ctx,
        incident,
        p.IncidentClosed(
            back_in_service_at=when + timedelta(hours=3),
            corrective_action="Reset",
            fault_category=FaultCategory.DOOR,
        ),
    )
    await change_status(ctx, unit, ElevatorStatus.OPERATIONAL, "back in service")
    await record(
        ctx,
        inspection,
        p.InspectionRecorded(
            elevator_id=unit,
            type=InspectionType.CAT1,
            performed_on=date(2025, 4, 2),
            performed_by="Insp. Bob",
            result=InspectionResult.PASSED_WITH_DEFECTS,
            defects=("pit light",),
            next_due=date(2026, 4, 2),
        ),
    )
    return Scenario(
        tech, customer, site, unit, spare, visit, cancelled, deficiency, incident, inspection
    )
