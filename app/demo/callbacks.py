"""Callbacks in the demo: reported, attended by a callback visit, closed back in service.

The call centre logs a callback a few minutes after the call, an entrapment once the people
are out (with their release time): the unit's downtime runs from the report all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from app.domain.commands import CloseIncident, OpenIncident, RecordVisit
from app.domain.enums import FaultCategory, IncidentChannel, KpiExclusion, VisitType
from app.services.context import ServiceContext
from app.services.incidents import close_incident, open_incident
from app.services.visit_forms import record_visit

if TYPE_CHECKING:
    from app.demo.activity import Action, Activity

_TROUBLE = {
    FaultCategory.DOOR: "Doors reopening repeatedly on the ground floor",
    FaultCategory.DRIVE: "Car stopped between floors, drive fault shown",
    FaultCategory.CONTROLLER: "Lift not answering landing calls",
    FaultCategory.LEVELLING: "Car stopping 3 cm below floor level",
    FaultCategory.BRAKE: "Loud clunk from the machine room on stopping",
    FaultCategory.POWER: "Lift dead after a power cut",
    FaultCategory.VANDALISM: "Car operating panel buttons damaged",
    FaultCategory.MISUSE: "Lift stuck after overloading with furniture",
    FaultCategory.BUILDING: "Fire alarm recall left lift parked at ground",
    FaultCategory.OTHER: "Unusual noise reported by a resident",
}
_EXCLUDED = {
    FaultCategory.VANDALISM: KpiExclusion.VANDALISM,
    FaultCategory.MISUSE: KpiExclusion.MISUSE,
    FaultCategory.BUILDING: KpiExclusion.BUILDING_POWER,
}
_ALARM_CHANNELS = (IncidentChannel.PHONE, IncidentChannel.ALARM, IncidentChannel.MONITORING)
_FIXED = "Fault cleared, unit tested and returned to service."
_CATEGORY_MIX = {
    FaultCategory.DOOR: 30,
    FaultCategory.DRIVE: 8,
    FaultCategory.CONTROLLER: 10,
    FaultCategory.LEVELLING: 12,
    FaultCategory.BRAKE: 4,
    FaultCategory.POWER: 6,
    FaultCategory.VANDALISM: 5,
    FaultCategory.MISUSE: 4,
    FaultCategory.BUILDING: 4,
    FaultCategory.OTHER: 5,
}


def callback(
    activity: Activity,
    unit_id: UUID,
    tech: ServiceContext,
    reported: datetime,
    *,
    resolve: bool = True,
) -> None:
    """Queue a callback reported at ``reported``: logged a little later, then attended and
    closed (unless not ``resolve``: still open at the end of the history)."""
    rng = activity.rng
    category = rng.choices(list(_CATEGORY_MIX), weights=list(_CATEGORY_MIX.values()))[0]
    entrapment = rng.random() < 0.08
    trapped = rng.randint(1, 4) if entrapment else 0
    excluded = _EXCLUDED.get(category)
    cmd = OpenIncident(
        elevator_id=unit_id,
        reported_at=reported,
        channel=rng.choice(_ALARM_CHANNELS) if entrapment else IncidentChannel.PHONE,
        reporter="Building reception",
        reported_trouble=_TROUBLE[category],
        out_of_service=entrapment or rng.random() < 0.55,
        entrapment=entrapment,
        persons_trapped=trapped,
        release_at=reported + timedelta(minutes=rng.randint(12, 70)) if entrapment else None,
        excluded_from_kpi=excluded is not None,
        exclusion_reason=excluded,
    )
    arrive = reported + timedelta(minutes=rng.randint(20, 45 if entrapment else 180))
    depart = arrive + timedelta(minutes=rng.randint(30, 200))
    codes = activity.crew.definition["fault_codes"][category.value]
    logged = cmd.release_at or reported + timedelta(minutes=rng.randint(2, 15))
    fix = _resolve(activity, unit_id, tech, arrive, depart, category, rng.choice(codes))

    async def act() -> None:
        made = await open_incident(cmd, ctx=tech)
        if resolve:
            activity.later(depart, fix(made.id))

    activity.later(logged, act)


def _resolve(
    activity: Activity,
    unit_id: UUID,
    tech: ServiceContext,
    arrive: datetime,
    depart: datetime,
    category: FaultCategory,
    code: str,
) -> Callable[[UUID], Action]:
    return lambda incident_id: _attend(
        activity, incident_id, unit_id, tech, arrive, depart, category, code
    )


def _attend(
    activity: Activity,
    incident_id: UUID,
    unit_id: UUID,
    tech: ServiceContext,
    arrive: datetime,
    depart: datetime,
    category: FaultCategory,
    code: str,
) -> Action:
    async def act() -> None:
        visit = RecordVisit(
            elevator_id=unit_id,
            type=VisitType.CALLBACK,
            incident_id=incident_id,
            arrived_at=arrive,
            departed_at=depart,
            notes=(f"Attended: {code}.",),
            lock=True,
            **activity.crew.signatures(tech),
        )
        await record_visit(
            visit, ctx=tech, templates=activity.crew.templates, blobs=activity.crew.blobs
        )
        close = CloseIncident(
            incident_id=incident_id,
            back_in_service=True,
            back_in_service_at=depart,
            fault_code=code,
            fault_category=category,
            corrective_action=_FIXED,
            root_cause=f"{category.value.title()} fault",
        )
        await close_incident(close, ctx=tech)

    return act
