"""What changed since a snapshot of the fleet's figures: the units to compute again, if few.

``FleetFigures`` asks after a few changes on the same day (a visit saved, a callback logged):
the units those events touch are computed again, not the whole fleet.
"""

from __future__ import annotations

from typing import Final, Protocol
from uuid import UUID

from app.domain.metrics import UnitRecord
from app.domain.payloads import (
    DeficiencyOpened,
    ElevatorRegistered,
    IncidentOpened,
    InspectionRecorded,
    UserRegistered,
    VisitStarted,
)
from app.services.ports import LogMark, UnitOfWork
from app.services.queries.fleet import load_unit_record
from app.services.queries.snapshot import FleetSnapshot

UPDATE_LIMIT: Final = 500
"""Entities changed since the figures at hand up to which only their units are recomputed."""


async def changed_units(
    uow: UnitOfWork, base: FleetSnapshot, mark: LogMark
) -> dict[UUID, UnitRecord | None] | None:
    """The current record of every unit whose events came after ``base`` (None: no longer
    active), or None if the whole fleet must be computed again: too many changes, a customer
    or site changed (names, the set of units), or a unit new to the fleet."""
    changed = await uow.events.changed_since(base.mark, UPDATE_LIMIT)
    if changed is None:
        return None
    repos: dict[str, _UnitRecords] = {
        VisitStarted.ENTITY: uow.visits,
        IncidentOpened.ENTITY: uow.incidents,
        DeficiencyOpened.ENTITY: uow.deficiencies,
        InspectionRecorded.ENTITY: uow.inspections,
    }
    unit_ids: set[UUID] = set()
    for kind, entity_id in changed:
        if kind == UserRegistered.ENTITY:
            continue  # people's names are not part of the figures
        if kind == ElevatorRegistered.ENTITY:
            unit_ids.add(entity_id)
            continue
        repo = repos.get(kind)
        item = await repo.get(entity_id) if repo is not None else None
        if item is None:
            return None
        unit_ids.add(item.elevator_id)
    known = {u.row.elevator_id for u in base.units}
    records: dict[UUID, UnitRecord | None] = {}
    for unit_id in unit_ids:
        unit = await uow.elevators.get(unit_id)
        if unit is None or not unit.active:
            if unit_id in known:
                records[unit_id] = None
            continue
        if unit_id not in known:
            return None
        records[unit_id] = await load_unit_record(uow, unit)
    return records


class _UnitRecords(Protocol):
    async def get(self, entity_id: UUID) -> _OfUnit | None: ...


class _OfUnit(Protocol):
    @property
    def elevator_id(self) -> UUID: ...
