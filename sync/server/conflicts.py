"""Resolving a conflict record: a supervisor picks a value, which becomes a new event.

The event writes the chosen value (or status) with the entity's current heads as parents, so
it knows both conflicting events; the shared fold then marks the record resolved by it, on the
server and on every device that pulls it (``app.services.conflict_resolution``).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from app.domain.enums import ConflictStatus, Role
from app.domain.errors import ConflictError, NotFoundError
from app.domain.work import ConflictRecord
from app.services.conflict_resolution import KeepValue, keep_value
from app.services.context import ServiceContext
from sync.server.services import ServerUnits
from sync.server.store import mappings as m


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
    await keep_value(KeepValue(record.entity_type, record.entity_id, record.field, raw), ctx=ctx)
    async with units.unit() as uow:
        resolved = await uow.load(m.CONFLICTS, conflict_id)
    assert resolved is not None
    return resolved
