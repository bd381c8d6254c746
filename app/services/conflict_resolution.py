"""Resolving a conflict record: the value a supervisor keeps becomes a new event.

The event writes the chosen value (or status) with the entity's current heads as parents, so
it knows both conflicting events; the shared fold then marks the record resolved by it, on the
server and on every device that pulls it. The server (its review API) and the desktop app
(the Sync page) both resolve through here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from pydantic import ValidationError as PydanticValidationError

from app.domain import payloads as p
from app.domain.entities import Elevator
from app.domain.enums import DeficiencyStatus, ElevatorStatus, Role
from app.domain.errors import NotFoundError, ValidationError
from app.domain.events import EventPayload, NewEvent
from app.domain.fold import STATUS_FIELD
from app.services.common import run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork
from app.services.recorder import repository_for

EDITS: Final[dict[str, type[EventPayload]]] = {
    "customer": p.CustomerUpdated,
    "site": p.SiteUpdated,
    "elevator": p.ElevatorUpdated,
    "incident": p.IncidentUpdated,
    "user": p.UserUpdated,
}
RESOLVED_REASON: Final = "Conflict resolved by a supervisor"


@dataclass(frozen=True, slots=True)
class KeepValue:
    """Write ``value`` (JSON text, as the conflict record keeps it) to one field of a record."""

    entity_type: str
    entity_id: UUID
    field: str
    value: str | None


def resolution_payload(entity_type: str, field: str, current: Any, value: Any) -> EventPayload:
    """The event payload that writes ``value`` to ``field`` of ``current``."""
    if field == STATUS_FIELD and entity_type == "elevator":
        assert isinstance(current, Elevator)
        return p.ElevatorStatusChanged(
            previous=current.status, new=ElevatorStatus(value), reason=RESOLVED_REASON
        )
    if field == STATUS_FIELD and entity_type == "deficiency":
        return p.DeficiencyStatusChanged(status=DeficiencyStatus(value))
    edit = EDITS.get(entity_type)
    if edit is None:
        raise ValidationError(f"Conflicts on {entity_type} records cannot be resolved here.")
    return edit.model_validate({field: value})


async def keep_value(choice: KeepValue, *, ctx: ServiceContext) -> Changes:
    """Write the kept value as a new event (supervisors and administrators only)."""
    ctx.actor.require(Role.SUPERVISOR, Role.ADMIN)
    value = None if choice.value is None else json.loads(choice.value)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        current = await repository_for(uow, choice.entity_type).get(choice.entity_id)
        if current is None:
            raise NotFoundError(f"The {choice.entity_type} of this conflict was not found.")
        try:
            payload = resolution_payload(choice.entity_type, choice.field, current, value)
        except (PydanticValidationError, ValueError) as exc:
            raise ValidationError(f"The chosen value cannot be written again: {exc}") from exc
        return [NewEvent(choice.entity_id, payload)]

    return await run(ctx, decide)
