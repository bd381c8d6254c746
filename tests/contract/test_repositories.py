"""Every store's repositories answer the queries of ``app.services.ports`` alike: the same
records, in the order the Protocol names (the stores are listed in conftest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest

from app.domain.entities import Customer, Organization
from app.domain.enums import ElevatorStatus, RuleSet, VisitStatus
from app.domain.events import Rejection
from app.domain.settings import OrganizationSettings
from app.services.ports import UnitOfWork, UnitSpan
from tests.contract.conftest import Backend
from tests.contract.fleet import T0, Fleet, hours, record_fleet, uid

KINDS = ("status_history", "visits", "deficiencies", "incidents", "inspections")
"""The repositories of a unit's records, each with ``for_elevator`` and ``list_all``."""


@pytest.fixture
async def fleet(backend: Backend) -> Fleet:
    return await record_fleet(backend.context)


def ids(items: Sequence[Any]) -> list[UUID]:
    return [item.id for item in items]


async def _per_unit(uow: UnitOfWork, kind: str) -> dict[UUID, list[Any]]:
    repository = getattr(uow, kind)
    units = ids(await uow.elevators.list_all())
    found = {unit: await repository.for_elevator(unit) for unit in units}
    return {unit: items for unit, items in found.items() if items}


def _grouped(items: Sequence[Any]) -> dict[UUID, list[Any]]:
    grouped: dict[UUID, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.elevator_id, []).append(item)
    return grouped


async def test_get_gives_what_was_put_and_put_replaces_it(backend: Backend) -> None:
    acme = Customer(
        id=uid(99),
        organization_id=backend.context.device.organization_id,
        name="Acme",
        created_at=T0,
        updated_at=T0,
    )
    async with backend.units() as uow:
        assert await uow.customers.get(acme.id) is None
        await uow.customers.put(acme)
        assert await uow.customers.get(acme.id) == acme
        await uow.commit()
    renamed = acme.model_copy(update={"name": "Acme Lifts", "updated_at": hours(1)})
    async with backend.units() as uow:
        assert await uow.customers.get(acme.id) == acme
        await uow.customers.put(renamed)
        assert await uow.customers.get(acme.id) == renamed
        await uow.commit()
    async with backend.units() as uow:
        assert await uow.customers.get(acme.id) == renamed
        assert await uow.customers.find_by_name("acme lifts") == renamed


async def test_people_customers_and_sites_by_name(backend: Backend, fleet: Fleet) -> None:
    async with backend.units() as uow:
        assert ids(await uow.users.list_all()) == [fleet.ann, fleet.zoe]
        assert ids(await uow.customers.list_all()) == [fleet.acme, fleet.zenith]
        acme = await uow.customers.find_by_name(" acme OFFICES ")
        assert acme is not None
        assert acme.id == fleet.acme
        assert await uow.customers.find_by_name("Acme") is None
        assert ids(await uow.sites.list_all()) == [fleet.east, fleet.north, fleet.south]
        south = await uow.sites.find_by_name(fleet.acme, "south HALL")
        assert south is not None
        assert south.id == fleet.south
        assert await uow.sites.find_by_name(fleet.zenith, "South Hall") is None


async def test_units_by_site_and_number_and_found_by_active_number(
    backend: Backend, fleet: Fleet
) -> None:
    f = fleet
    async with backend.units() as uow:
        assert ids(await uow.elevators.list_by_site(f.north)) == [f.l1, f.l10, f.l2, f.l3]
        assert ids(await uow.elevators.list_all()) == [f.l1, f.l10, f.l2, f.l3, f.a1]
        assert ids(await uow.elevators.decommissioned()) == [f.l3]
        found = await uow.elevators.find_active_by_unit_number(f.north, " l1 ")
        assert found is not None
        assert found.id == f.l1
        assert await uow.elevators.find_active_by_unit_number(f.north, "L3") is None  # retired
        assert await uow.elevators.find_active_by_unit_number(f.south, "L1") is None
        assert await uow.elevators.list_by_site(f.east) == []


async def test_a_units_records_oldest_first_ties_in_order(backend: Backend, fleet: Fleet) -> None:
    f = fleet
    async with backend.units() as uow:
        history = await uow.status_history.for_elevator(f.l1)
        assert [(h.new, h.changed_at) for h in history] == [
            (ElevatorStatus.MAINTENANCE, hours(1)),
            (ElevatorStatus.OPERATIONAL, hours(1)),  # the same moment: in recording order
            (ElevatorStatus.DEGRADED, hours(1.5)),
        ]
        assert ids(await uow.visits.for_elevator(f.l1)) == [f.locked, f.in_progress, f.scheduled]
        assert ids(await uow.deficiencies.for_elevator(f.l1)) == [f.fixed_later, f.opened_first]
        assert ids(await uow.incidents.for_elevator(f.l1)) == [f.earlier_call, f.later_call]
        assert ids(await uow.incidents.open_for_elevator(f.l1)) == [f.later_call]
        assert ids(await uow.inspections.for_elevator(f.l1)) == [f.last_year, f.this_year]
        for kind in KINDS:
            assert await getattr(uow, kind).for_elevator(f.l2) == [], kind


async def test_unfinished_and_newest_visits(backend: Backend, fleet: Fleet) -> None:
    f = fleet
    async with backend.units() as uow:
        assert ids(await uow.visits.unfinished()) == [f.in_progress, f.scheduled, f.completed]
        assert ids(await uow.visits.newest(2)) == [f.completed, f.cancelled]
        assert ids(await uow.visits.newest(10)) == [
            f.completed,
            f.cancelled,
            f.scheduled,
            f.in_progress,
            f.locked,
        ]


async def test_whole_table_reads_come_unit_by_unit_as_each_units_own(
    backend: Backend, fleet: Fleet
) -> None:
    async with backend.units() as uow:
        for kind in KINDS:
            every = await getattr(uow, kind).list_all()
            assert _grouped(every) == await _per_unit(uow, kind), kind
            order = [str(item.elevator_id) for item in every]
            assert order == sorted(order), f"{kind}: not unit by unit"
        visits = await uow.visits.list_all()
        assert ids(visits) == [
            fleet.completed,  # of l10, whose id sorts first
            fleet.locked,
            fleet.in_progress,
            fleet.scheduled,
            fleet.cancelled,
        ]
        assert await uow.visits.summaries() == [v.summary() for v in visits]


async def test_a_span_of_units_reads_just_theirs(backend: Backend, fleet: Fleet) -> None:
    span = UnitSpan(fleet.l10, fleet.l1)
    assert fleet.l2 in span
    assert fleet.a1 not in span
    async with backend.units() as uow:
        for kind in KINDS:
            repository = getattr(uow, kind)
            every = await repository.list_all()
            assert await repository.list_all(span) == [r for r in every if r.elevator_id in span]
        summaries = await uow.visits.summaries(span)
        assert summaries == [v.summary() for v in await uow.visits.list_all(span)]
        assert {s.elevator_id for s in summaries} == {fleet.l10, fleet.l1}


async def test_a_unit_of_work_sees_its_own_changes_in_every_query(
    backend: Backend, fleet: Fleet
) -> None:
    f = fleet
    async with backend.units() as uow:
        acme = await uow.customers.get(f.acme)
        assert acme is not None
        await uow.customers.put(acme.model_copy(update={"name": "Zz Acme"}))
        assert ids(await uow.customers.list_all()) == [f.zenith, f.acme]
        assert await uow.customers.find_by_name("Acme Offices") is None

        l1 = await uow.elevators.get(f.l1)
        assert l1 is not None
        gone = l1.model_copy(update={"status": ElevatorStatus.DECOMMISSIONED})
        await uow.elevators.put(gone)
        assert await uow.elevators.find_active_by_unit_number(f.north, "L1") is None
        assert ids(await uow.elevators.decommissioned()) == [f.l1, f.l3]
        newcomer = l1.model_copy(update={"id": uid(35), "unit_number": "A0"})
        await uow.elevators.put(newcomer)
        assert ids(await uow.elevators.list_by_site(f.north)) == [
            newcomer.id,
            *ids([gone])[:1],
            f.l10,
            f.l2,
            f.l3,
        ]
        assert await uow.elevators.find_active_by_unit_number(f.north, "a0") == newcomer

        history = await uow.status_history.for_elevator(f.l1)
        again = history[-1].model_copy(update={"event_id": uid(98), "reason": "later"})
        await uow.status_history.add(again)
        assert await uow.status_history.for_elevator(f.l1) == [*history, again]

        scheduled = await uow.visits.get(f.scheduled)
        assert scheduled is not None
        dropped = scheduled.model_copy(update={"status": VisitStatus.CANCELLED})
        await uow.visits.put(dropped)
        assert f.scheduled not in ids(await uow.visits.unfinished())
        assert dropped in await uow.visits.for_elevator(f.l1)
        assert dropped.summary() in await uow.visits.summaries()
        span = UnitSpan(f.l1, f.a1)
        in_span = await uow.visits.list_all(span)
        assert ids(in_span) == [f.locked, f.in_progress, f.scheduled, f.cancelled]
        assert dropped in in_span
        assert await uow.visits.summaries(span) == [v.summary() for v in in_span]
        # leaving without commit forgets all of it
    async with backend.units() as uow:
        assert await uow.customers.find_by_name("Acme Offices") == acme
        assert ids(await uow.elevators.list_by_site(f.north)) == [f.l1, f.l10, f.l2, f.l3]
        assert await uow.status_history.for_elevator(f.l1) == history
        assert f.scheduled in ids(await uow.visits.unfinished())


def test_the_fleet_orders_are_not_the_recording_orders(fleet: Fleet) -> None:
    """The data hold traps: what comes first by the Protocol's order was not recorded first."""
    recorded = list(dict.fromkeys(event.entity_id for event in fleet.events))
    for earlier, later in (
        (fleet.ann, fleet.zoe),
        (fleet.l1, fleet.l2),
        (fleet.in_progress, fleet.scheduled),
        (fleet.fixed_later, fleet.opened_first),
        (fleet.earlier_call, fleet.later_call),
        (fleet.last_year, fleet.this_year),
    ):
        assert recorded.index(earlier) > recorded.index(later)


async def test_the_organization_on_record_and_the_rejected_events(backend: Backend) -> None:
    """A store keeps its organization (with its settings) and marks rejected events, each once
    (a rejection is derived, folded again on a rebuild), listed in event order."""
    ctx = backend.context
    organization = Organization(
        id=ctx.device.organization_id,
        name="Acme Lifts",
        settings=OrganizationSettings(rule_set=RuleSet.UK_LOLER),
        created_at=T0,
        updated_at=T0,
    )

    def rejection(n: int) -> Rejection:
        return Rejection(
            event_id=uid(300 + n),
            entity_type="elevator",
            entity_id=uid(1),
            type="elevator.updated",
            reason="Unit 'L1' is decommissioned; its details can no longer change.",
            occurred_at=hours(n),
            actor_id=ctx.actor.user_id,
            device_id=ctx.device.device_id,
        )

    async with backend.units() as uow:
        assert await uow.organizations.list_all() == []
        assert await uow.rejections.list_all() == []
        await uow.organizations.put(organization)
        for n in (2, 1, 2):  # marking one twice keeps one mark
            await uow.rejections.add(rejection(n))
        assert await uow.organizations.list_all() == [organization]  # its own staged work
        assert await uow.rejections.list_all() == [rejection(1), rejection(2)]
        await uow.commit()
    async with backend.units() as uow:
        assert await uow.organizations.get(organization.id) == organization
        assert await uow.organizations.list_all() == [organization]
        assert await uow.rejections.list_all() == [rejection(1), rejection(2)]
