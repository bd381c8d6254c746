"""Enumerations of the elevator-maintenance domain."""

from enum import StrEnum


class Role(StrEnum):
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ElevatorStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"
    DECOMMISSIONED = "decommissioned"


class DowntimeCause(StrEnum):
    """Why a unit left service: planned work or an incident (unplanned)."""

    PLANNED = "planned"
    INCIDENT = "incident"
    OTHER = "other"


class Manufacturer(StrEnum):
    KONE = "KONE"
    OTIS = "Otis"
    SCHINDLER = "Schindler"
    TK_ELEVATOR = "TK Elevator"
    MITSUBISHI = "Mitsubishi"
    FUJITEC = "Fujitec"
    OTHER = "other"


class DriveType(StrEnum):
    TRACTION = "traction"
    HYDRAULIC = "hydraulic"
    MRL_TRACTION = "mrl_traction"


class ItemKind(StrEnum):
    PASS_FAIL = "pass_fail"
    READING = "reading"
    TEXT = "text"
    PHOTO = "photo"


class ItemOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"


class VisitType(StrEnum):
    PREVENTIVE = "preventive"
    CALLBACK = "callback"
    REPAIR = "repair"
    INSPECTION = "inspection"
    TEST = "test"


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    LOCKED = "locked"
    CANCELLED = "cancelled"


class DeficiencySeverity(StrEnum):
    INOPERABLE = "inoperable"
    DEFICIENT = "deficient"
    ADVISORY = "advisory"


class DeficiencyStatus(StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    VERIFIED = "verified"
    INVALID = "invalid"


class IncidentChannel(StrEnum):
    PHONE = "phone"
    ALARM = "alarm"
    MONITORING = "monitoring"
    TECHNICIAN_FOUND = "technician_found"


class FaultCategory(StrEnum):
    DOOR = "door"
    DRIVE = "drive"
    CONTROLLER = "controller"
    LEVELLING = "levelling"
    BRAKE = "brake"
    POWER = "power"
    VANDALISM = "vandalism"
    MISUSE = "misuse"
    BUILDING = "building"
    OTHER = "other"


class KpiExclusion(StrEnum):
    NUISANCE = "nuisance"
    VANDALISM = "vandalism"
    MISUSE = "misuse"
    BUILDING_POWER = "building_power"


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InspectionType(StrEnum):
    PERIODIC = "periodic"
    CAT1 = "cat1_annual"
    CAT5 = "cat5_five_yearly"
    LOLER = "loler_thorough_examination"
    ACCEPTANCE = "acceptance"


class InspectionResult(StrEnum):
    PASSED = "passed"
    PASSED_WITH_DEFECTS = "passed_with_defects"
    FAILED = "failed"


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class RuleSet(StrEnum):
    """The inspection regime a site follows (see ``app.domain.settings``)."""

    ASME_A17_1 = "asme_a17_1"
    UK_LOLER = "uk_loler"
    CUSTOM = "custom"
