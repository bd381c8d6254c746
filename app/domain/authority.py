"""What only an administrator may record, whoever's device it comes from.

The services refuse such a request from anyone else before anything is recorded. The server
applies the same rule to pushed events, which a modified or outdated app could have recorded:
such an event is kept in the ledger, marked rejected with the reason, and applied to nothing.
"""

from __future__ import annotations

from app.domain.events import EventPayload
from app.domain.payloads import (
    OrganizationCreated,
    OrganizationSettingsChanged,
    SiteCreated,
    SiteUpdated,
)


def administrators_only(payload: EventPayload) -> str | None:
    """Why only an administrator may record ``payload``, or None when anyone may."""
    if isinstance(payload, OrganizationCreated | OrganizationSettingsChanged):
        return "Only an administrator can change the organization's settings."
    if (isinstance(payload, SiteCreated) and payload.rule_set is not None) or (
        isinstance(payload, SiteUpdated) and "rule_set" in payload.model_fields_set
    ):
        return "Only an administrator can set the rule set a site follows."
    return None
