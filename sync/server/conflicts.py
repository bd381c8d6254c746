"""Resolving a conflict record: a supervisor picks a value, which becomes a new event.

The event writes the chosen value (or status) with the entity's current heads as parents, so
it knows both conflicting events; the shared fold then marks the record resolved by it, on the
server and on every device that pulls it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import ValidationError as PydanticValidationError

from app.domain import payloads as p
from app.domain.entities import Elevator
from app.domain.enums import ConflictStatus, DeficiencyStatus, ElevatorStatus, Role
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.events import EventPayload, NewEvent
from app.domain.fold import STATUS_FIELD
from app.domain.work import ConflictRecord
from app.services.common import run
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork
from app.services.recorder import repository_for
from sync.server.services import ServerUnits
from sync.server.store import mappings as m

EDITS: Final[dict[str, type[EventPayload]]] = {
    "customer": p.CustomerUpdated,
    "site": p.SiteUpdated,
    "elevator": p.ElevatorUpdated,
    "incident": p.IncidentUpdated,
    "user": p.UserUpdated,
}


def _payload(record: ConflictRecord, current: Any, value: Any) -> EventPayload:
    if record.field == STATUS_FIELD and record.entity_type == "elevator":
        assert isinstance(current, Elevator)
        return p.ElevatorStatusChanged(
            previous=current.status,
            new=ElevatorStatus(value),
            reason="Conflict resolved by a supervisor",
        )
    if record.field == STATUS_FIELD and record.entity_type == "deficiency":
        return p.DeficiencyStatusChanged(status=DeficiencyStatus(value))
    edit = EDITS.get(record.entity_type)
    if edit is None:
        raise ValidationError(f"Conflicts on {record.entity_type} records cannot be resolved here.")
    return edit.model_validate({record.field: value})


async def resolve(
    conflict_id: UUID,
    choose: Literal["kept", "other"],
    *,
    ctx: ServiceContext,
    units: ServerUnits,
) -> ConflictRecord:
    """Write the chosen value as a new event that resolves the conflict."""
    ctx.actor.require(Role.SUPERVISOR, Role.ADMIN)
    async with units.unit() as uow:
        record = await uow.load(m.CONFLICTS, conflict_id)
    if record is None:
        raise NotFoundError("The conflict was not found.")
    if record.status is ConflictStatus.RESOLVED:
        raise ConflictError("This conflict was already resolved.", hint="Refresh the list.")
    raw = record.kept_value if choose == "kept" else record.other_value
    value = None if raw is None else json.loads(raw)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        current = await repository_for(uow, record.entity_type).get(record.entity_id)
        if current is None:
            raise NotFoundError(f"The {record.entity_type} of this conflict was not found.")
        try:
            payload = _payload(record, current, value)
        except (PydanticValidationError, ValueError) as exc:
            raise ValidationError(f"The chosen value cannot be written again: {exc}") from exc
        return [NewEvent(record.entity_id, payload)]

    await run(ctx, decide)
    async with units.unit() as uow:
        resolved = await uow.load(m.CONFLICTS, conflict_id)
    assert resolved is not None
    return resolved
