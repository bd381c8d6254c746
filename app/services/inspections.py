"""Use case of inspections and tests: record one as the inspector reported it, with the
deficiencies its defects raise (one action: the inspection and its deficiencies, or nothing).

The next due date is recorded only when the report states one (a LOLER report of thorough
examination does, for instance); otherwise compliance works it out from the interval of the
site's rule set, so a change of settings or of the site's rule set applies to every recorded
inspection. An inspection can be neither in the future nor before the unit was installed.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.commands import RecordInspection
from app.domain.compliance import INSPECTION_NAMES
from app.domain.dates import check_day_not_future, check_not_before_installation, local_date
from app.domain.events import NewEvent
from app.domain.payloads import DeficiencyOpened, InspectionRecorded
from app.services.common import Created, changeable_unit, run
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork


async def record_inspection(cmd: RecordInspection, *, ctx: ServiceContext) -> Created:
    """Record an inspection or test of an active unit; with a severity, each defect also opens
    a deficiency on the unit."""
    inspection_id = ctx.ids.new_id()
    defects = tuple(d for d in cmd.defects if d)
    raised = [ctx.ids.new_id() for _ in defects] if cmd.deficiency_severity else []

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await changeable_unit(uow, cmd.elevator_id)
        check_day_not_future(
            cmd.performed_on,
            local_date(ctx.clock.now(), site.time_zone),
            what="inspection date",
            field="performed_on",
            hint="Record an inspection once it has been done.",
        )
        check_not_before_installation(
            cmd.performed_on,
            unit.installation_date,
            what="inspection date",
            unit=unit.unit_number,
            field="performed_on",
        )
        payload = InspectionRecorded(
            elevator_id=unit.id,
            type=cmd.type,
            performed_on=cmd.performed_on,
            performed_by=cmd.performed_by,
            result=cmd.result,
            witnessed_by=cmd.witnessed_by,
            defects=defects,
            next_due=cmd.next_due,
        )
        events = [NewEvent(inspection_id, payload)]
        if cmd.deficiency_severity is not None:
            kind = INSPECTION_NAMES[cmd.type]
            events += [
                NewEvent(
                    deficiency_id,
                    DeficiencyOpened(
                        elevator_id=unit.id,
                        severity=cmd.deficiency_severity,
                        description=f"{defect} (found by the {kind} on {cmd.performed_on})",
                        due_date=cmd.deficiencies_due,
                    ),
                )
                for deficiency_id, defect in zip(raised, defects, strict=True)
            ]
        return events

    return Created(inspection_id, await run(ctx, decide))
