"""Every projection survives the trip through SQLite, and every query of ports.py answers right."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

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
