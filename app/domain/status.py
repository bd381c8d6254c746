"""The elevator status machine: free movement among active states; decommissioned is final."""

from __future__ import annotations

from app.domain.entities import Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus, Role
from app.domain.errors import (
    AuthorizationError,
    ConflictError,
    InvalidTransitionError,
    ValidationError,
)

DOWN_STATES = frozenset({ElevatorStatus.OUT_OF_SERVICE, ElevatorStatus.MAINTENANCE})
"""States in which a unit is not carrying passengers."""


def check_transition(
    current: ElevatorStatus, new: ElevatorStatus, reason: str, *, role: Role
) -> None:
    """Raise unless ``current -> new`` is allowed for ``role`` with this reason."""
    if current is ElevatorStatus.DECOMMISSIONED:
        raise InvalidTransitionError(
            "This unit is decommissioned; its status can no longer change.",
            hint="Register a replacement unit instead (administrators only).",
        )
    if new is current:
        raise InvalidTransitionError(
            f"The unit is already {new.value.replace('_', ' ')}.",
            hint="Choose a different status.",
        )
    if not reason.strip():
        raise ValidationError(
            "A reason is required for every status change.",
            field="reason",
            hint="Say briefly why the status changes.",
        )
    if new is ElevatorStatus.DECOMMISSIONED and role is Role.TECHNICIAN:
        raise AuthorizationError(
            "Only a supervisor or administrator can decommission a unit.",
            hint="Ask your supervisor to decommission it.",
        )


def default_cause(new: ElevatorStatus) -> DowntimeCause | None:
    """The downtime cause implied by a status when none is given."""
    if new is ElevatorStatus.MAINTENANCE:
        return DowntimeCause.PLANNED
    if new is ElevatorStatus.OUT_OF_SERVICE:
        return DowntimeCause.OTHER
    return None


def ensure_in_service_record(unit: Elevator, site: Site) -> None:
    """Raise unless the unit may still change (it is not decommissioned)."""
    if not unit.active:
        raise ConflictError(
            f"Unit '{unit.unit_number}' at {site.name} is decommissioned; it can no longer change.",
            hint="Decommissioned units are kept for the record only. If it was replaced, "
            "register the replacement unit.",
        )
