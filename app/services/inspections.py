"""Use case of inspections and tests: record one, with its next due date."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

from app.domain.commands import RecordInspection
from app.domain.entities import ComplianceSettings
from app.domain.enums import InspectionType
from app.domain.errors import ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import InspectionRecorded
from app.domain.site_time import local_time
from app.services.common import Created, changeable_unit, run
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_interval_months(kind: InspectionType, settings: ComplianceSettings) -> int | None:
    """Months until the next inspection of this type is due (None: no follow-up)."""
    return {
        InspectionType.PERIODIC: 12,
        InspectionType.CAT1: settings.cat1_interval_months,
        InspectionType.CAT5: settings.cat5_interval_months,
        InspectionType.LOLER: settings.loler_interval_months,
        InspectionType.ACCEPTANCE: None,
    }[kind]


async def record_inspection(
    cmd: RecordInspection, *, ctx: ServiceContext, settings: ComplianceSettings | None = None
) -> Created:
    """Record an inspection or test; the next due date defaults from the type's interval."""
    inspection_id = ctx.ids.new_id()
    rules = settings or ComplianceSettings()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        unit, site = await changeable_unit(uow, cmd.elevator_id)
        today = date.fromisoformat(local_time(ctx.clock.now(), site.time_zone, with_date=True)[:10])
        if cmd.performed_on > today:
            raise ValidationError(
                f"The inspection date {cmd.performed_on} is in the future.",
                field="performed_on",
                hint="Record an inspection once it has been done.",
            )
        next_due = cmd.next_due
        months = default_interval_months(cmd.type, rules)
        if next_due is None and months is not None:
            next_due = add_months(cmd.performed_on, months)
        payload = InspectionRecorded(
            elevator_id=unit.id,
            type=cmd.type,
            performed_on=cmd.performed_on,
            performed_by=cmd.performed_by,
            result=cmd.result,
            witnessed_by=cmd.witnessed_by,
            defects=tuple(d for d in cmd.defects if d),
            next_due=next_due,
        )
        return [NewEvent(inspection_id, payload)]

    return Created(inspection_id, await run(ctx, decide))
