"""Use cases of deficiencies: open one by hand, move it through its statuses (never delete)."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.commands import ChangeDeficiencyStatus, OpenDeficiency
from app.domain.enums import DeficiencyStatus
from app.domain.errors import ConflictError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import DeficiencyOpened, DeficiencyStatusChanged
from app.services.common import Created, changeable_unit, must_get, run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork

ALLOWED: dict[DeficiencyStatus, frozenset[DeficiencyStatus]] = {
    DeficiencyStatus.OPEN: frozenset({DeficiencyStatus.FIXED, DeficiencyStatus.INVALID}),
    DeficiencyStatus.FIXED: frozenset({DeficiencyStatus.VERIFIED, DeficiencyStatus.OPEN}),
    DeficiencyStatus.INVALID: frozenset({DeficiencyStatus.OPEN}),
    DeficiencyStatus.VERIFIED: frozenset(),
}
"""Status moves: a fix is verified or reopened; a verified deficiency is final."""


async def open_deficiency(cmd: OpenDeficiency, *, ctx: ServiceContext) -> Created:
    """Record a deficiency found on a unit (optionally on one of its visits)."""
    deficiency_id = ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, _site = await changeable_unit(uow, cmd.elevator_id)
        if cmd.visit_id is not None:
            visit = await must_get(uow.visits, cmd.visit_id, "visit")
            if visit.elevator_id != unit.id:
                raise ValidationError("That visit was on another unit.", field="visit_id")
        return [NewEvent(deficiency_id, DeficiencyOpened(**cmd.model_dump()))]

    return Created(deficiency_id, await run(ctx, decide))


async def change_deficiency_status(cmd: ChangeDeficiencyStatus, *, ctx: ServiceContext) -> Changes:
    """Mark a deficiency fixed, verified, invalid or open again."""

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        deficiency = await must_get(uow.deficiencies, cmd.deficiency_id, "deficiency")
        if cmd.status not in ALLOWED[deficiency.status]:
            allowed = ", ".join(sorted(s.value for s in ALLOWED[deficiency.status])) or "none"
            raise ConflictError(
                f"A deficiency that is {deficiency.status.value} cannot become {cmd.status.value}.",
                hint=f"Allowed next: {allowed}.",
            )
        payload = DeficiencyStatusChanged(status=cmd.status, resolution=cmd.resolution)
        return [NewEvent(deficiency.id, payload)]

    return await run(ctx, decide)
