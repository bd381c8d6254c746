"""The services run unchanged on the PostgreSQL unit of work; every event lands in the ledger."""

from __future__ import annotations

from uuid import UUID

import pytest

from app.audit.checkpoint import parse_and_verify_checkpoint
from app.audit.merkle import leaf_hash, ledger_leaf, verify_consistency, verify_inclusion
from app.domain.commands import (
    ChangeElevatorStatus,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    RegisterUser,
    UpdateElevator,
)
from app.domain.enums import ElevatorStatus, Role
from app.domain.errors import NotFoundError
from app.services.customers import create_customer
from app.services.elevators import change_elevator_status, register_elevator, update_elevator
from app.services.sites import create_site
from app.services.users import register_user
from sync.server.db.engine import transaction
from sync.server.ledger import store as ledger
from tests.server.conftest import Org


async def _fleet(org: Org) -> tuple[UUID, UUID]:
    ctx = org.context()
    await register_user(
        RegisterUser(email="tom@example.com", display_name="Tom", role=Role.TECHNICIAN), ctx=ctx
    )
    customer = await create_customer(CreateCustomer(name="Harbour Ltd"), ctx=ctx)
    site = await create_site(
        CreateSite(customer_id=customer.id, name="Harbour View", address="1 Quay"), ctx=ctx
    )
    unit = await register_elevator(RegisterElevator(site_id=site.id, unit_number="L1"), ctx=ctx)
    return site.id, unit.id


async def test_services_record_through_the_ledger(org: Org) -> None:
    site_id, unit_id = await _fleet(org)
    ctx = org.context()
    await update_elevator(UpdateElevator(elevator_id=unit_id, model="Monospace"), ctx=ctx)
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=unit_id, status=ElevatorStatus.MAINTENANCE, reason="annual test"
        ),
        ctx=ctx,
    )
    async with org.units() as uow:
        unit = await uow.elevators.get(unit_id)
        assert unit is not None
        assert (unit.model, unit.status) == ("Monospace", ElevatorStatus.MAINTENANCE)
        assert [u.unit_number for u in await uow.elevators.list_by_site(site_id)] == ["L1"]
        history = await uow.status_history.for_elevator(unit_id)
        assert [c.new for c in history] == [ElevatorStatus.MAINTENANCE]
        assert len(await uow.events.for_entity(unit_id)) == 3
        assert (await uow.events.head(org.device_id)) is not None
    async with transaction(org.engine, org.id) as conn:
        rows = await conn.fetch(
            "SELECT ledger_index, hash, signature, received_at FROM events ORDER BY ledger_index"
        )
        assert [r["ledger_index"] for r in rows] == list(range(1, 7))
        head = await ledger.latest_checkpoint(conn, org.id, org.keys.signing, "sitesync-ledger")
        checkpoint = parse_and_verify_checkpoint(
            head.note, "sitesync-ledger", org.keys.current.signer.public_key
        )
        assert checkpoint.size == 6
        for row in rows:
            leaf = leaf_hash(
                ledger_leaf(row["hash"], row["signature"], row["ledger_index"], row["received_at"])
            )
            path = await ledger.inclusion_proof(conn, row["ledger_index"] - 1, 6)
            verify_inclusion(row["ledger_index"] - 1, 6, leaf, path, checkpoint.root_hash)
        old = await ledger.checkpoint_at(conn, 3)
        assert old is not None
        proof = await ledger.consistency_proof(conn, 3, 6)
        verify_consistency(3, 6, old[0], checkpoint.root_hash, proof)


async def test_a_failed_use_case_leaves_no_trace(org: Org) -> None:
    _site, unit_id = await _fleet(org)
    ctx = org.context()
    with pytest.raises(NotFoundError):
        await register_elevator(RegisterElevator(site_id=unit_id, unit_number="L2"), ctx=ctx)
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 4
        assert await conn.fetchval("SELECT size FROM ledger_heads") == 4
