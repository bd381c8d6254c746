"""The fold of pulled ledger entries on a real SQLite store (``app.store.sync_fold``)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from app.domain import payloads as p
from app.services.context import ServiceContext
from app.store import Store
from app.store.sync_fold import PulledEvent, refold_entities, store_pulled
from app.store.sync_schema import PushStatus
from tests.server.devices import Laptop


async def test_an_entry_reusing_another_kind_of_entitys_id_is_rejected_not_applied(
    store: Store, ctx: ServiceContext
) -> None:
    """Even when a ledger says accepted (a server that did not check), the id keeps its kind."""
    laptop = Laptop(ctx.device.organization_id, ctx.actor.user_id)
    customer, site, unit = uuid4(), uuid4(), uuid4()
    sealed = [
        laptop.event(customer, p.CustomerCreated(name="Harbour Ltd")),
        laptop.event(site, p.SiteCreated(customer_id=customer, name="Quay", address="1 Quay")),
        laptop.event(unit, p.ElevatorRegistered(site_id=site, unit_number="L1")),
        laptop.event(unit, p.CustomerCreated(name="Squatter Ltd")),
        laptop.event(site, p.CustomerUpdated(name="Renamed")),
        laptop.event(unit, p.ElevatorUpdated(model="ok")),
    ]
    pulled = [
        PulledEvent(event, index, PushStatus.ACCEPTED, None)
        for index, event in enumerate(sealed, start=1)
    ]
    async with store.sync_transaction() as db:
        await store_pulled(db, pulled)
        await refold_entities(db, {str(customer), str(site), str(unit)})
    folded = await _projections(store)
    await store.rebuild_projections()
    assert await _projections(store) == folded  # a rebuild reaches the same verdicts
    customers, sites, units, rejected = folded
    assert customers == [(str(customer),)]
    assert [row[0] for row in sites] == [str(site)]
    assert "Renamed" not in sites[0][1]
    assert [row[0] for row in units] == [str(unit)]
    assert '"ok"' in units[0][1]
    assert set(rejected) == {sealed[3].body.event_id, sealed[4].body.event_id}
    assert "of type 'elevator'" in rejected[sealed[3].body.event_id]
    assert "of type 'site'" in rejected[sealed[4].body.event_id]


async def _projections(store: Store) -> tuple[Any, ...]:
    async with store.sync_transaction() as db:
        customers = await db.fetchall("SELECT id FROM customers")
        sites = await db.fetchall("SELECT id, doc FROM sites")
        units = await db.fetchall("SELECT id, doc FROM elevators")
        rejected: dict[str, str] = dict(
            await db.fetchall("SELECT event_id, doc FROM rejected_events")
        )
    return customers, sites, units, rejected
