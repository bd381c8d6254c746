"""A unit's month of work in the demo: preventive visits, callbacks, tests, status changes."""

from __future__ import annotations

import contextlib
import heapq
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from app.demo.callbacks import callback
from app.demo.crew import Crew
from app.demo.fleet import UnitPlan
from app.domain.commands import (
    ChangeDeficiencyStatus,
    ChangeElevatorStatus,
    RecordInspection,
    RecordVisit,
)
from app.domain.enums import (
    DeficiencyStatus,
    DowntimeCause,
    DriveType,
    ElevatorStatus,
    InspectionResult,
    InspectionType,
    VisitType,
)
from app.domain.errors import ConflictError
from app.domain.work import PartUsed
from app.services.context import ServiceContext
from app.services.deficiencies import change_deficiency_status
from app.services.elevators import change_elevator_status
from app.services.inspections import record_inspection
from app.services.visit_forms import record_visit

type Action = Callable[[], Awaitable[Any]]
_DRIVE_SUFFIX = {
    DriveType.TRACTION: "traction",
    DriveType.MRL_TRACTION: "mrl",
    DriveType.HYDRAULIC: "hydraulic",
}
MAINTENANCE_INTERVAL_DAYS = 30
"""Every demo unit is on the default monthly preventive route."""
_SLOW = "Running at reduced speed pending a new encoder"


class Activity:
    """Plans each unit's work and runs it in time order through a queue of timed actions."""

    def __init__(self, crew: Crew, rng: random.Random, start: datetime, as_of: date) -> None:
        self.crew = crew
        self.rng = rng
        self.start = start
        self.as_of = as_of
        self._queue: list[tuple[datetime, int, Action]] = []
        self._next_pm: dict[UUID, datetime] = {}
        self._order = 0

    def later(self, when: datetime, action: Action) -> None:
        """Queue ``action`` at ``when`` (dropped if after the demo's as-of date)."""
        if when.date() <= self.as_of:
            self._order += 1
            heapq.heappush(self._queue, (when, self._order, action))

    async def run_until(self, end: datetime) -> int:
        """Run every queued action before ``end`` in time order; returns how many ran."""
        ran = 0
        while self._queue and self._queue[0][0] < end:
            when, _, action = heapq.heappop(self._queue)
            self.crew.clock.set(when)
            await action()
            ran += 1
        return ran

    def plan_month(
        self,
        unit_id: UUID,
        unit: UnitPlan,
        tech: ServiceContext,
        window: tuple[datetime, datetime],
        first: bool,
    ) -> None:
        """Queue one unit's work for the month ``window``."""
        rng = self.rng
        begin, end = window
        days = max(1, (end - begin).days)
        if first:
            self.later(begin + timedelta(hours=7), self._backfill_tests(unit_id, unit, tech, begin))
        self._plan_preventive(unit_id, unit, tech, begin, end)
        annual = begin.month == unit.installed.month
        if annual and rng.random() > 0.05:
            self.later(
                begin + timedelta(days=rng.randrange(days), hours=10),
                self._inspection(unit_id, tech, InspectionType.CAT1),
            )
        if end.date() >= self.as_of and rng.random() < 0.05:  # still open on the as-of day
            reported = datetime.combine(self.as_of, time(0), UTC) - timedelta(
                hours=rng.randint(2, 30), minutes=rng.randrange(60)
            )
            self.later(reported, callback(self, unit_id, tech, reported, resolve=False))
        for _ in range(self._poisson(unit.reliability / 12)):
            when = begin + timedelta(
                days=rng.randrange(days), hours=rng.randint(0, 23), minutes=rng.randrange(60)
            )
            self.later(when, callback(self, unit_id, tech, when))
        if rng.random() < 0.10:
            when = begin + timedelta(days=rng.randrange(days), hours=rng.randint(7, 9))
            self.later(
                when,
                self._status(
                    unit_id, ElevatorStatus.MAINTENANCE, "Planned: door operator overhaul"
                ),
            )
            self.later(
                when + timedelta(hours=rng.randint(3, 8)),
                self._status(unit_id, ElevatorStatus.OPERATIONAL, "Planned work finished"),
            )
        if rng.random() < 0.03:
            when = begin + timedelta(days=rng.randrange(days), hours=rng.randint(9, 17))
            self.later(when, self._status(unit_id, ElevatorStatus.DEGRADED, _SLOW))
            self.later(
                when + timedelta(days=rng.randint(1, 6)),
                self._status(unit_id, ElevatorStatus.OPERATIONAL, "Encoder replaced; normal speed"),
            )

    def _plan_preventive(
        self, unit_id: UUID, unit: UnitPlan, tech: ServiceContext, begin: datetime, end: datetime
    ) -> None:
        """Preventive visits every interval from the last one: mostly on time, a few late or
        missed, as a real route runs."""
        rng = self.rng
        interval = timedelta(days=MAINTENANCE_INTERVAL_DAYS)
        due = self._next_pm.get(unit_id) or begin + timedelta(
            days=rng.randrange(interval.days), hours=rng.randint(8, 15)
        )
        while due < end:
            roll = rng.random()
            if roll < 0.03:  # missed: the route picks the unit up an interval later
                due += interval
                continue
            slip = rng.randint(5, 12) if roll < 0.08 else rng.randint(-2, 2)
            when = due.replace(hour=rng.randint(8, 15), minute=rng.choice((0, 15, 30, 45)))
            when += timedelta(days=slip)
            annual = when.month == unit.installed.month
            self.later(when, self._pm_visit(unit_id, unit, tech, when, annual))
            due = when + interval
        self._next_pm[unit_id] = due

    def _poisson(self, rate: float) -> int:
        count, threshold, product = 0, 2.718281828459045 ** (-rate), self.rng.random()
        while product > threshold:
            count += 1
            product *= self.rng.random()
        return count

    def _pm_visit(
        self, unit_id: UUID, unit: UnitPlan, tech: ServiceContext, when: datetime, annual: bool
    ) -> Action:
        kind = "annual-full" if annual else "pm-monthly"
        template = self.crew.templates.get(f"{kind}-{_DRIVE_SUFFIX[unit.drive_type]}")
        rng = self.rng
        parts = (
            (
                PartUsed(
                    part_number=rng.choice(("DOP-ROLLER-12", "LAND-LOCK-7", "GUIDE-SHOE-3")),
                    quantity=rng.randint(1, 2),
                ),
            )
            if rng.random() < 0.1
            else ()
        )
        notes = ("Customer reports the car is noisy at night.",) if rng.random() < 0.15 else ()
        cmd = RecordVisit(
            elevator_id=unit_id,
            type=VisitType.PREVENTIVE,
            template_id=template.template_id,
            template_version=template.version,
            arrived_at=when,
            departed_at=when + timedelta(minutes=rng.randint(40, 150 if annual else 90)),
            items=self.crew.answers(template.items),
            parts=parts,
            notes=notes,
            lock=(self.as_of - when.date()).days > 7,
            **self.crew.signatures(tech),
        )

        async def act() -> None:
            self.crew.clock.set(cmd.departed_at or when)  # the form is saved on departure
            made = await record_visit(
                cmd, ctx=tech, templates=self.crew.templates, blobs=self.crew.blobs
            )
            for deficiency_id in made.changes.entity_ids("deficiency"):
                fix_at = when + timedelta(days=rng.randint(2, 20), hours=2)
                self.later(fix_at, self._fix(deficiency_id, tech))

        return act

    def _fix(self, deficiency_id: UUID, tech: ServiceContext) -> Action:
        cmd = ChangeDeficiencyStatus(
            deficiency_id=deficiency_id,
            status=DeficiencyStatus.FIXED,
            resolution="Adjusted and retested; within tolerance.",
        )
        return lambda: change_deficiency_status(cmd, ctx=tech)

    def _status(self, unit_id: UUID, status: ElevatorStatus, reason: str) -> Action:
        cause = DowntimeCause.PLANNED if status is ElevatorStatus.MAINTENANCE else None
        cmd = ChangeElevatorStatus(elevator_id=unit_id, status=status, reason=reason, cause=cause)

        async def act() -> None:
            # An incident may have moved the unit meanwhile; a supervisor would skip the change.
            with contextlib.suppress(ConflictError):
                await change_elevator_status(cmd, ctx=self.crew.supervisor)

        return act

    def _inspection(
        self, unit_id: UUID, tech: ServiceContext, kind: InspectionType, on: date | None = None
    ) -> Action:
        async def act() -> None:
            performed = on or self.crew.clock.now().date()
            flawed = self.rng.random() < 0.1
            result = InspectionResult.PASSED_WITH_DEFECTS if flawed else InspectionResult.PASSED
            cmd = RecordInspection(
                elevator_id=unit_id,
                type=kind,
                performed_on=performed,
                performed_by="R. Hughes, Allied Lift Inspections",
                witnessed_by=tech.actor.name,
                result=result,
                defects=("Pit light lens cracked",) if flawed else (),
            )
            await record_inspection(cmd, ctx=tech)

        return act

    def _backfill_tests(
        self, unit_id: UUID, unit: UnitPlan, tech: ServiceContext, begin: datetime
    ) -> Action:
        """Record the tests done before the demo's history starts (from the paper files)."""
        last_cat1 = date(
            begin.year - (1 if begin.month <= unit.installed.month else 0),
            unit.installed.month,
            min(unit.installed.day, 28),
        )
        # five-yearly tests spread over the last five years; a few units are overdue
        overdue = self.rng.random() < 0.05
        last_cat5 = begin.date() - timedelta(
            days=self.rng.randint(1500, 1700) if overdue else self.rng.randint(60, 1400)
        )

        async def act() -> None:
            await self._inspection(unit_id, tech, InspectionType.CAT1, last_cat1)()
            await self._inspection(unit_id, tech, InspectionType.CAT5, last_cat5)()

        return act
