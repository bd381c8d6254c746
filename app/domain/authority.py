"""What a role may record, whoever's device it comes from.

The services refuse a request outside its author's role before anything is recorded. The
server applies the same rules to pushed events, which a modified or outdated app could have
recorded: such an event is kept in the ledger, marked rejected with the reason, and applied
to nothing. People, their roles and PINs, the organization's settings and a site's rule set
are for administrators (a supervisor may also register a technician or a supervisor);
decommissioning a unit is for supervisors and administrators. Anyone may enter customers,
sites and units, as in the app.
"""

from __future__ import annotations

from app.domain.enums import ElevatorStatus, Role
from app.domain.events import EventPayload
from app.domain.payloads import (
    ElevatorStatusChanged,
    OrganizationCreated,
    OrganizationSettingsChanged,
    SiteCreated,
    SiteUpdated,
    UserPinSet,
    UserRegistered,
    UserUpdated,
)


def refusal(payload: EventPayload, role: Role) -> str | None:
    """Why someone of ``role`` may not record ``payload``, or None when they may."""
    if role is Role.ADMIN:
        return None
    if isinstance(payload, OrganizationCreated | OrganizationSettingsChanged):
        return "Only an administrator can change the organization's settings."
    if (isinstance(payload, SiteCreated) and payload.rule_set is not None) or (
        isinstance(payload, SiteUpdated) and "rule_set" in payload.model_fields_set
    ):
        return "Only an administrator can set the rule set a site follows."
    if isinstance(payload, UserRegistered) and (
        role is not Role.SUPERVISOR or payload.role is Role.ADMIN
    ):
        return (
            "Only an administrator or a supervisor can register people, and only an "
            "administrator can register an administrator."
        )
    if isinstance(payload, UserUpdated | UserPinSet):
        return "Only an administrator can change a person's role, name, access or PIN."
    if (
        isinstance(payload, ElevatorStatusChanged)
        and payload.new is ElevatorStatus.DECOMMISSIONED
        and role is Role.TECHNICIAN
    ):
        return "Only a supervisor or administrator can decommission a unit."
    return None
