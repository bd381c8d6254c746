"""Commands about the fleet and the people: customers, sites, units, users."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, ClassVar, Final
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ValidationInfo, field_validator

from app.domain.entities import Certificate, UnitDetails, UnitDetailsEdit
from app.domain.enums import DowntimeCause, ElevatorStatus, Role, RuleSet
from app.domain.forms import MAX_LINE, MAX_UNIT_NUMBER, Command, FormError, require_text
from app.domain.values import OptionalText, Text, UtcDatetime

_POSITIVE = {
    "capacity_kg": "Capacity must be a positive number of kilograms, e.g. 630.",
    "rated_speed_mps": "Rated speed must be a positive number of metres per second, e.g. 1.6.",
    "floors_served": "Floors served must be at least 1.",
    "design_life_years": "Design life must be a positive number of years, e.g. 25.",
    "maintenance_interval_days": "Maintenance interval must be a positive number of days, e.g. 30.",
}


def _check_certificate(cert: Certificate | None) -> None:
    if cert is None:
        return
    require_text(
        cert.number,
        "The certificate number is required.",
        hint="Copy it from the certificate of operation posted in the car.",
    )
    if cert.expires_on <= cert.issued_on:
        raise FormError(
            f"The certificate expires on {cert.expires_on}, which is not after it was issued "
            f"({cert.issued_on}).",
            field="certificate.expires_on",
            hint="Check the issue and expiry dates on the certificate.",
        )


class _UnitForm(Command):
    """Checks shared by registering and editing a unit."""

    REQUIRED: ClassVar[Mapping[str, str]] = {"unit_number": "A unit number is required, e.g. 'L1'."}
    ONE_LINE: ClassVar[Mapping[str, int]] = {
        "unit_number": MAX_UNIT_NUMBER,
        "serial_number": MAX_LINE,
        "conveyance_id": MAX_LINE,
        "model": MAX_LINE,
    }

    @field_validator(*_POSITIVE, check_fields=False)
    @classmethod
    def _positive(cls, value: int | Decimal | None, info: ValidationInfo) -> int | Decimal | None:
        if value is not None and value <= 0:
            raise FormError(_POSITIVE[str(info.field_name)], field=info.field_name)
        return value

    @field_validator("certificate", check_fields=False)
    @classmethod
    def _certificate(cls, value: Certificate | None) -> Certificate | None:
        _check_certificate(value)
        return value


class RegisterElevator(_UnitForm, UnitDetails):
    site_id: UUID
    status: ElevatorStatus = ElevatorStatus.OPERATIONAL

    @field_validator("status")
    @classmethod
    def _not_decommissioned(cls, value: ElevatorStatus) -> ElevatorStatus:
        if value is ElevatorStatus.DECOMMISSIONED:
            raise FormError("A new unit cannot start decommissioned.", hint="Choose its status.")
        return value


class UpdateElevator(_UnitForm, UnitDetailsEdit):
    """Only the fields given are changed; give None to clear an optional field."""

    elevator_id: UUID


class ChangeElevatorStatus(Command):
    elevator_id: UUID
    status: ElevatorStatus
    reason: Text
    cause: DowntimeCause | None = None
    effective_at: UtcDatetime | None = None
    """When the change took effect, if before now ("effective from"); None means now."""

    @field_validator("cause")
    @classmethod
    def _no_incident_cause(cls, value: DowntimeCause | None) -> DowntimeCause | None:
        if value is DowntimeCause.INCIDENT:
            raise FormError(
                "Downtime caused by an incident is recorded by opening the incident.",
                hint="Log a callback with 'unit out of service' instead.",
            )
        return value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value or domain.startswith("."):
        raise FormError(f"'{value}' is not an e-mail address.", hint="Use name@example.com.")
    return value


def _time_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError(
            f"'{value}' is not a known time zone.", hint="Use a name like 'Europe/London'."
        ) from None
    return value


Email = Annotated[OptionalText, AfterValidator(_email)]
TimeZoneName = Annotated[OptionalText, AfterValidator(_time_zone)]


_CONTACT: Final[Mapping[str, int]] = {
    "name": MAX_LINE,
    "contact_name": MAX_LINE,
    "contact_phone": MAX_LINE,
    "contact_email": MAX_LINE,
}


class CreateCustomer(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"name": "The customer name is required."}
    ONE_LINE: ClassVar[Mapping[str, int]] = _CONTACT
    name: Text
    contact_name: OptionalText = None
    contact_phone: OptionalText = None
    contact_email: Email = None


class UpdateCustomer(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = CreateCustomer.REQUIRED
    ONE_LINE: ClassVar[Mapping[str, int]] = _CONTACT
    customer_id: UUID
    name: Text | None = None
    contact_name: OptionalText = None
    contact_phone: OptionalText = None
    contact_email: Email = None


class CreateSite(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {
        "name": "The site name is required.",
        "address": "The site address is required.",
        "time_zone": "The site's time zone is required.",
    }
    ONE_LINE: ClassVar[Mapping[str, int]] = {"name": MAX_LINE, "time_zone": MAX_LINE}
    customer_id: UUID
    name: Text
    address: Text
    access_notes: OptionalText = None
    emergency_contacts: OptionalText = None
    time_zone: TimeZoneName = "UTC"
    rule_set: RuleSet | None = None
    """None: the site follows the organization's rule set."""


class UpdateSite(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = CreateSite.REQUIRED
    ONE_LINE: ClassVar[Mapping[str, int]] = CreateSite.ONE_LINE
    site_id: UUID
    name: Text | None = None
    address: Text | None = None
    access_notes: OptionalText = None
    emergency_contacts: OptionalText = None
    time_zone: TimeZoneName = None
    rule_set: RuleSet | None = None


class AssignTechnician(Command):
    site_id: UUID
    technician_id: UUID
    assigned: bool = True


class RegisterUser(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {
        "email": "An e-mail address is required.",
        "display_name": "A name is required.",
    }
    ONE_LINE: ClassVar[Mapping[str, int]] = {"email": MAX_LINE, "display_name": MAX_LINE}
    email: Annotated[Text, AfterValidator(_email)]
    display_name: Text
    role: Role
    user_id: UUID | None = None
    """The id the server gave the user, when known; a new id otherwise."""
