"""Every projection survives the trip through SQLite, and every query of ports.py answers right."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.demo.seeding import record
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.services.context import ServiceContext
from app.store import Store, open_store
from app.store.projections import ElevatorRow, IncidentRow, InspectionRow, VisitRow
from tests.integration.store.scenario import Scenario, record_everything


async def _projections(store: Store, sc: Scenario) -> dict[str, Any]:
    async with store.unit_of_work() as uow:
        found: dict[str, Any] = {
            "user": await uow.users.get(sc.technician),
            "customer": await uow.customers.get(sc.customer),
            "site": await uow.sites.get(sc.site),
            "elevator": await uow.elevators.get(sc.elevator),
            "visit": await uow.visits.get(sc.visit),
            "deficiency": await uow.deficiencies.get(sc.deficiency),
            "incident": await uow.incidents.get(sc.incident),
            "inspection": await uow.inspections.get(sc.inspection),
            "history": await uow.status_history.for_elevator(sc.elevator),
        }
    assert all(found.values()), found
    return found


async def test_every_projection_round_trips_through_a_fresh_store(
    store: Store, ctx: ServiceContext, tmp_path: Path
) -> None:
    sc = await record_everything(ctx)
    original = await _projections(store, sc)

    copy_path = tmp_path / "copy.sqlite"
    copy = await open_store(copy_path, create=True)
    async with copy.unit_of_work() as uow:
        repos: dict[str, Any] = {
            "user": uow.users,
            "customer": uow.customers,
            "site": uow.sites,
            "elevator": uow.elevators,
            "visit": uow.visits,
            "deficiency": uow.deficiencies,
            "incident": uow.incidents,
            "inspection": uow.inspections,
        }
        for kind, repo in repos.items():
            await repo.put(original[kind])
        for change in original["history"]:
            await uow.status_history.add(change)
        await uow.commit()
    await copy.close()

    reopened = await open_store(copy_path)  # nothing cached: every model comes from its row
    try:
        assert await _projections(reopened, sc) == original
    finally:
        await reopened.close()


async def test_typed_columns_hold_what_views_filter_on(store: Store, ctx: ServiceContext) -> None:
    sc = await record_everything(ctx)
    async with store.reader() as conn:
        unit = (
            await conn.execute(select(ElevatorRow).where(ElevatorRow.id == str(sc.elevator)))
        ).one()
        visit = (await conn.execute(select(VisitRow).where(VisitRow.id == str(sc.visit)))).one()
        incident = (await conn.execute(select(IncidentRow))).one()
        inspection = (await conn.execute(select(InspectionRow))).one()
    assert (unit.unit_number, unit.unit_key, unit.status) == ("L1", "l1", "operational")
    assert (unit.manufacturer, unit.drive_type) == ("KONE", "mrl_traction")
    assert unit.certificate_expires_on == date(2025, 5, 1)
    assert unit.installation_date == date(2012, 3, 4)
    assert unit.status_since.tzinfo is not None
    assert unit.status_since > datetime(2025, 1, 1, tzinfo=UTC)
    assert (visit.status, visit.type, visit.scheduled_date) == (
        "locked",
        "preventive",
        date(2025, 2, 1),
    )
    assert visit.technician_id == str(sc.technician)
    assert visit.completed_at is not None
    assert (incident.entrapment, incident.out_of_service, incident.status) == (True, True, "closed")
    assert incident.fault_category == "door"
    assert incident.release_at is not None
    assert (inspection.type, inspection.next_due) == ("cat1_annual", date(2026, 4, 2))


async def test_queries_answer_as_ports_describes(store: Store, ctx: ServiceContext) -> None:
    sc = await record_everything(ctx)
    async with store.unit_of_work() as uow:
        assert [u.id for u in await uow.users.list_all()] == [sc.technician]
        acme = await uow.customers.find_by_name("Acme Towers")
        assert acme is not None
        assert acme.id == sc.customer
        assert await uow.customers.find_by_name(" acme TOWERS ") == acme
        assert await uow.customers.find_by_name("Acme") is None
        assert [c.id for c in await uow.customers.list_all()] == [sc.customer]
        north = await uow.sites.find_by_name(sc.customer, "North")
        assert north is not None
        assert north.assigned_technicians == (sc.technician,)
        assert await uow.sites.find_by_name(sc.site, "North") is None
        assert [s.id for s in await uow.sites.list_all()] == [sc.site]

        found = await uow.elevators.find_active_by_unit_number(sc.site, " l1 ")
        assert found is not None
        assert found.id == sc.elevator
        # the spare "l2" is decommissioned: its number is free again
        assert await uow.elevators.find_active_by_unit_number(sc.site, "L2") is None
        assert [u.id for u in await uow.elevators.list_by_site(sc.site)] == [sc.elevator, sc.spare]
        assert len(await uow.elevators.list_all()) == 2

        history = await uow.status_history.for_elevator(sc.elevator)
        assert [(h.previous, h.new) for h in history] == [
            (ElevatorStatus.OPERATIONAL, ElevatorStatus.MAINTENANCE),
            (ElevatorStatus.MAINTENANCE, ElevatorStatus.OPERATIONAL),
        ]
        assert [v.id for v in await uow.visits.for_elevator(sc.elevator)] == [
            sc.visit,
            sc.cancelled_visit,
        ]
        assert [d.id for d in await uow.deficiencies.for_elevator(sc.elevator)] == [sc.deficiency]
        assert [i.id for i in await uow.incidents.for_elevator(sc.elevator)] == [sc.incident]
        assert await uow.incidents.open_for_elevator(sc.elevator) == []
        assert [i.id for i in await uow.inspections.for_elevator(sc.elevator)] == [sc.inspection]
        assert await uow.visits.for_elevator(sc.spare) == []


async def test_a_query_sees_what_its_own_unit_staged(store: Store, ctx: ServiceContext) -> None:
    customer = ctx.ids.new_id()
    await record(ctx, customer, p.CustomerCreated(name="Original Ltd"))
    async with store.unit_of_work() as uow:
        original = await uow.customers.get(customer)
        assert original is not None
        await uow.customers.put(original.model_copy(update={"name": "Staged Ltd"}))
        staged = await uow.customers.find_by_name("Staged Ltd")
        assert staged is not None
        assert staged.id == customer
        # leaving without commit forgets it
    async with store.unit_of_work() as uow:
        assert await uow.customers.find_by_name("Staged Ltd") is None
        assert await uow.customers.get(customer) == original


async def test_queries_lay_the_units_changes_over_the_stored_rows(
    store: Store, ctx: ServiceContext
) -> None:
    sc = await record_everything(ctx)
    async with store.unit_of_work() as uow:
        unit = await uow.elevators.get(sc.elevator)
        assert unit is not None
        await uow.elevators.put(unit.model_copy(update={"status": ElevatorStatus.DECOMMISSIONED}))
        # the stored row still matches; the unit's version does not
        assert await uow.elevators.find_active_by_unit_number(sc.site, "L1") is None
        newcomer = unit.model_copy(
            update={"id": ctx.ids.new_id(), "unit_number": "A0", "status": ElevatorStatus.DEGRADED}
        )
        await uow.elevators.put(newcomer)
        listed = await uow.elevators.list_by_site(sc.site)
        assert [u.unit_number for u in listed] == ["A0", "L1", "l2"]
        assert listed[1].status is ElevatorStatus.DECOMMISSIONED
        found = await uow.elevators.find_active_by_unit_number(sc.site, "a0")
        assert found == newcomer

        history = await uow.status_history.for_elevator(sc.elevator)
        same_moment = history[-1].model_copy(
            update={"event_id": ctx.ids.new_id(), "reason": "later"}
        )
        await uow.status_history.add(same_moment)
        again = await uow.status_history.for_elevator(sc.elevator)
        assert [h.reason for h in again] == [*(h.reason for h in history), "later"]
    async with store.unit_of_work() as uow:
        assert [u.unit_number for u in await uow.elevators.list_by_site(sc.site)] == ["L1", "l2"]
        assert len(await uow.status_history.for_elevator(sc.elevator)) == len(history)
