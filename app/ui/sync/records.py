"""Names for the records sync talks about ("Unit 4 at Harbour House", "Callback on unit 4")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.ui.format import label, when

KINDS = {"elevator": "Unit", "visit": "Visit", "incident": "Callback"}
"""The records a technician or supervisor cares about, by entity type."""


@dataclass(frozen=True, slots=True)
class RecordName:
    """A record as a person recognises it, and the unit it belongs to (to open it)."""

    entity_type: str
    entity_id: UUID
    kind: str
    title: str
    elevator_id: UUID | None = None


async def _unit_title(uow: UnitOfWork, elevator_id: UUID, cache: dict[UUID, str]) -> str:
    if elevator_id not in cache:
        unit = await uow.elevators.get(elevator_id)
        if unit is None:
            cache[elevator_id] = f"unit {str(elevator_id)[:8]}"
        else:
            site = await uow.sites.get(unit.site_id)
            where = f" at {site.name}" if site is not None else ""
            cache[elevator_id] = f"unit {unit.unit_number}{where}"
    return cache[elevator_id]


async def _name(uow: UnitOfWork, kind: str, entity_id: UUID, units: dict[UUID, str]) -> RecordName:
    if kind == "elevator":
        title = await _unit_title(uow, entity_id, units)
        return RecordName(kind, entity_id, "Unit", title[:1].upper() + title[1:], entity_id)
    if kind == "visit":
        visit = await uow.visits.get(entity_id)
        if visit is not None:
            unit = await _unit_title(uow, visit.elevator_id, units)
            date = visit.scheduled_date.isoformat() if visit.scheduled_date else ""
            title = f"{label(visit.type)} visit on {unit} {date}".rstrip()
            return RecordName(kind, entity_id, "Visit", title, visit.elevator_id)
    if kind == "incident":
        incident = await uow.incidents.get(entity_id)
        if incident is not None:
            unit = await _unit_title(uow, incident.elevator_id, units)
            title = f"Callback on {unit}, {when(incident.reported_at)}"
            return RecordName(kind, entity_id, "Callback", title, incident.elevator_id)
    title = f"{label(kind)} {str(entity_id)[:8]}"
    return RecordName(kind, entity_id, KINDS.get(kind, label(kind)), title)


async def name_records(
    unit_of_work: UnitOfWorkFactory, records: Iterable[tuple[str, str]], *, only_known: bool
) -> list[RecordName]:
    """Names of ``records`` (entity type, id), in order, without repeats.

    ``only_known`` keeps units, visits and callbacks and leaves out other record types.
    """
    seen: dict[tuple[str, UUID], None] = {}
    for kind, entity_id in records:
        if only_known and kind not in KINDS:
            continue
        seen.setdefault((kind, UUID(str(entity_id))))
    units: dict[UUID, str] = {}
    async with unit_of_work() as uow:
        return [await _name(uow, kind, entity_id, units) for kind, entity_id in seen]
