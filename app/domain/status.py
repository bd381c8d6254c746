"""The elevator status machine: free movement among active states; decommissioned is final.

Two layers. ``check_status_event`` and ``check_unit_edit`` are the rules a recorded event must
meet whoever recorded it and however it arrived: the reducers apply them, so the services, a
rebuild of the projections and the fold of events pulled from the server reach the same
verdict (``EventRejected``). ``check_status_change`` is what a person's request must meet on
top: a real change, a time that is not before the unit's previous change, the right role.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.dates import CLOCK_SKEW, check_not_future
from app.domain.entities import Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus, Role
from app.domain.errors import (
    AuthorizationError,
    ConflictError,
    EventRejected,
    InvalidTransitionError,
    ValidationError,
)
from app.domain.payloads import ElevatorStatusChanged
from app.domain.site_time import local_time

DOWN_STATES = frozenset({ElevatorStatus.OUT_OF_SERVICE, ElevatorStatus.MAINTENANCE})
"""States in which a unit is not carrying passengers."""


def check_status_event(
    unit: Elevator, change: ElevatorStatusChanged, *, recorded: datetime
) -> datetime:
    """The time ``change`` takes effect; raise ``EventRejected`` if no store may apply it.

    Refused: any change of a decommissioned unit (final), a change without a reason, and a
    change that takes effect after it was recorded (beyond the clock-skew allowance).
    """
    if not unit.active:
        raise EventRejected(
            f"Unit '{unit.unit_number}' is decommissioned; its status can no longer change.",
            hint="Register a replacement unit instead (administrators only).",
        )
    if not change.reason.strip():
        raise EventRejected(
            "A status change needs a reason.", hint="Say briefly why the status changes."
        )
    effective = change.effective_at or recorded
    if effective > recorded + CLOCK_SKEW:
        raise EventRejected(
            f"The status change takes effect at {effective:%Y-%m-%d %H:%M} UTC, after it was "
            f"recorded ({recorded:%Y-%m-%d %H:%M} UTC).",
            hint="A status change can only be recorded once it has happened.",
        )
    return effective


def check_unit_edit(unit: Elevator) -> None:
    """Raise ``EventRejected`` for an edit of a decommissioned unit's details (final)."""
    if not unit.active:
        raise EventRejected(
            f"Unit '{unit.unit_number}' is decommissioned; its details can no longer change.",
            hint="Decommissioned units are kept for the record only.",
        )


def check_status_change(
    unit: Elevator,
    change: ElevatorStatusChanged,
    *,
    now: datetime,
    role: Role,
    time_zone: str,
) -> datetime:
    """The time a requested change takes effect; raise unless a person may make it now.

    On top of ``check_status_event``: the change must alter the status, or turn planned
    downtime into unplanned or back;
    only supervisors and administrators decommission; the effective time may not be in the
    future nor before the unit's previous status change.
    """
    try:  # the shared rules, the time aside: it is checked below and told in the site's time
        check_status_event(unit, change, recorded=max(now, change.effective_at or now))
    except EventRejected as exc:
        if unit.active:
            raise ValidationError(exc.message, field="reason", hint=exc.hint) from None
        raise InvalidTransitionError(exc.message, hint=exc.hint) from None
    new, cause = change.new, change.cause or default_cause(change.new)
    was = unit.downtime_cause or default_cause(unit.status)
    if new is unit.status and _planned(new, cause) == _planned(unit.status, was):
        raise InvalidTransitionError(
            f"The unit is already {new.value.replace('_', ' ')}.",
            hint="Choose a different status.",
        )
    if new is ElevatorStatus.DECOMMISSIONED and role is Role.TECHNICIAN:
        raise AuthorizationError(
            "Only a supervisor or administrator can decommission a unit.",
            hint="Ask your supervisor to decommission it.",
        )
    effective = change.effective_at or now
    check_not_future(
        effective,
        now,
        what="effective time",
        field="effective_at",
        time_zone=time_zone,
        hint="Enter when the status changed; a change cannot be recorded in advance.",
    )
    if effective < unit.status_since:
        since = local_time(unit.status_since, time_zone, with_date=True)
        raise ValidationError(
            f"The effective time {local_time(effective, time_zone, with_date=True)} is before "
            f"the unit's previous status change ({since}).",
            field="effective_at",
            hint="A change takes effect after the one before it; correct the time.",
        )
    return effective


def _planned(status: ElevatorStatus, cause: DowntimeCause | None) -> bool:
    return status is ElevatorStatus.MAINTENANCE or cause is DowntimeCause.PLANNED


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
