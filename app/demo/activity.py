"""A unit's month of work in the demo: preventive visits, callbacks, tests, status changes.

Tests follow the unit's rule set: ASME A17.1 units get a Category 1 test each year in the month
they were installed and a Category 5 test every five years; UK LOLER lifts a thorough
examination every 6 months (12 for goods-only lifts). Nothing is dated before the unit was
installed: a unit too new for its first test has its acceptance inspection on record instead.
"""

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
from app.domain.downtime import add_months
from app.domain.enums import (
    DeficiencyStatus,
    DowntimeCause,
    DriveType,
    ElevatorStatus,
    InspectionResult,
    InspectionType,
    RuleSet,
    VisitType,
)
from app.domain.errors import ConflictError, ValidationError
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
_INSPECTOR = "R. Hughes, Allied Lift Inspections"
_LOLER_EXAMINER = "D. Patel, Severn Engineering Inspection"
_SLOW = "Running at reduced speed pending a new encoder"


class Activity:
    """Plans each unit's work and runs it in time order through a queue of timed actions."""

    def __init__(self, crew: Crew, rng: random.Random, start: datetime, as_of: date) -> None:
        self.crew = crew
        self.rng = rng
        self.start = start
        self.as_of = as_of
        self.end = datetime.combine(as_of, time(0), UTC)
        """The history ends as the as-of day begins: nothing is dated later than that."""
        self._queue: list[tuple[datetime, int, Action]] = []
        self._next_pm: dict[UUID, datetime] = {}
        self._order = 0

    def later(self, when: datetime, action: Action) -> None:
        """Queue ``action`` at ``when`` (dropped if not before the end of the history)."""
        if when < self.end:
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
            tests = self._backfill_tests(unit, begin)
            self.later(begin + timedelta(hours=7), self._record_tests(unit_id, tech, tests))
            if unit.rule_set is RuleSet.UK_LOLER:
                last = max(day for kind, day, _ in tests)  # the examination, else acceptance
                self._plan_examinations(unit_id, unit, tech, last)
        self._plan_preventive(unit_id, unit, tech, end)
        annual = begin.month == unit.installed.month and unit.rule_set is RuleSet.ASME_A17_1
        if annual and rng.random() > 0.05:
            self.later(
                begin + timedelta(days=rng.randrange(days), hours=10),
                self._inspection(unit_id, tech, InspectionType.CAT1),
            )
        if end >= self.end and rng.random() < 0.05:  # still open on the as-of day
            reported = self.end - timedelta(hours=rng.randint(2, 30), minutes=rng.randrange(60))
            callback(self, unit_id, tech, reported, resolve=False)
        for _ in range(self._poisson(unit.reliability / 12)):
            when = begin + timedelta(
                days=rng.randrange(days), hours=rng.randint(0, 23), minutes=rng.randrange(60)
            )
            callback(self, unit_id, tech, when)
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
            # noticed on site, recorded an hour later with the time it started
            recorded = when + timedelta(hours=1)
            self.later(recorded, self._status(unit_id, ElevatorStatus.DEGRADED, _SLOW, since=when))
            self.later(
                when + timedelta(days=rng.randint(1, 6)),
                self._status(unit_id, ElevatorStatus.OPERATIONAL, "Encoder replaced; normal speed"),
            )

    def _plan_preventive(
        self, unit_id: UUID, unit: UnitPlan, tech: ServiceContext, end: datetime
    ) -> None:
        """Preventive visits on the unit's PM calendar (every interval from one interval after
        its registration day): mostly within a couple of days of the due date, a few late, a few
        missed; the route keeps its rhythm after them, as a maintenance contract's visits do."""
        rng = self.rng
        interval = timedelta(days=unit.pm_interval_days)
        due = self._next_pm.get(unit_id) or datetime.combine(unit.first_pm_due, time(0), UTC)
        while due < end:
            roll = rng.random()
            if roll >= 0.03:  # 3% missed: nobody comes until the next due date
                slip = rng.randint(5, 12) if roll < 0.08 else rng.randint(-2, 2)
                when = due.replace(hour=rng.randint(8, 15), minute=rng.choice((0, 15, 30, 45)))
                when += timedelta(days=slip)
                annual = when.month == unit.installed.month
                self.later(when, self._pm_visit(unit_id, unit, tech, when, annual))
            due += interval
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
            lock=(self.as_of - when.date()).days > 14,  # locked after a fortnight's review
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

    def _status(
        self, unit_id: UUID, status: ElevatorStatus, reason: str, *, since: datetime | None = None
    ) -> Action:
        cause = DowntimeCause.PLANNED if status is ElevatorStatus.MAINTENANCE else None
        cmd = ChangeElevatorStatus(
            elevator_id=unit_id, status=status, reason=reason, cause=cause, effective_at=since
        )

        async def act() -> None:
            # An incident may have moved the unit meanwhile; a supervisor would skip the change.
            with contextlib.suppress(ConflictError, ValidationError):
                await change_elevator_status(cmd, ctx=self.crew.supervisor)

        return act

    def _inspection(
        self,
        unit_id: UUID,
        tech: ServiceContext,
        kind: InspectionType,
        on: date | None = None,
        *,
        by: str = _INSPECTOR,
    ) -> Action:
        async def act() -> None:
            performed = on or self.crew.clock.now().date()
            flawed = kind is not InspectionType.ACCEPTANCE and self.rng.random() < 0.1
            result = InspectionResult.PASSED_WITH_DEFECTS if flawed else InspectionResult.PASSED
            cmd = RecordInspection(
                elevator_id=unit_id,
                type=kind,
                performed_on=performed,
                performed_by=by,
                witnessed_by=tech.actor.name,
                result=result,
                defects=("Pit light lens cracked",) if flawed else (),
            )
            await record_inspection(cmd, ctx=tech)

        return act

    def _backfill_tests(
        self, unit: UnitPlan, begin: datetime
    ) -> list[tuple[InspectionType, date, str]]:
        """The tests done before the demo's history starts (from the paper files), none before
        the unit was installed: a unit too new for its first test shows its acceptance
        inspection instead."""
        start, installed = begin.date(), unit.installed
        done: list[tuple[InspectionType, date, str]] = []
        accepted = False
        if unit.rule_set is RuleSet.UK_LOLER:
            months = 6 if unit.carries_passengers else 12
            last = add_months(start, -months) + timedelta(days=self.rng.randint(10, 60))
            if last > installed:
                done.append((InspectionType.LOLER, last, _LOLER_EXAMINER))
            else:
                accepted = True
        else:
            anniversary = date(
                start.year - (1 if start.month <= installed.month else 0),
                installed.month,
                min(installed.day, 28),
            )
            if add_months(installed, 12) <= anniversary:
                done.append((InspectionType.CAT1, anniversary, _INSPECTOR))
            else:
                accepted = True
            # five-yearly tests spread over the last five years; a few units are overdue
            overdue = self.rng.random() < 0.05
            last_cat5 = start - timedelta(
                days=self.rng.randint(1500, 1700) if overdue else self.rng.randint(60, 1400)
            )
            if add_months(installed, 60) <= last_cat5:
                done.append((InspectionType.CAT5, last_cat5, _INSPECTOR))
            else:
                accepted = True
        if accepted:
            done.insert(0, (InspectionType.ACCEPTANCE, installed, _INSPECTOR))
        return done

    def _record_tests(
        self, unit_id: UUID, tech: ServiceContext, tests: list[tuple[InspectionType, date, str]]
    ) -> Action:
        async def act() -> None:
            for kind, day, by in tests:
                await self._inspection(unit_id, tech, kind, day, by=by)()

        return act

    def _plan_examinations(
        self, unit_id: UUID, unit: UnitPlan, tech: ServiceContext, last: date
    ) -> None:
        """LOLER thorough examinations through the history, every 6 months (12 for goods
        only) from the last one, a few days either side; now and then one is missed."""
        rng = self.rng
        months = 6 if unit.carries_passengers else 12
        due = add_months(last, months)
        while due <= self.as_of:
            when = datetime.combine(due, time(10), UTC) + timedelta(days=rng.randint(-10, 3))
            if rng.random() > 0.08:
                kind = InspectionType.LOLER
                self.later(when, self._inspection(unit_id, tech, kind, by=_LOLER_EXAMINER))
                due = add_months(when.date(), months)
            else:
                due = add_months(due, months)
