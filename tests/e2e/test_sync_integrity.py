"""A8 and A9 from the device side, rejections that never block, and import on a joined store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest

from app.cli import import_rows
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.services.fleet_import import parse_fleet_csv
from sync.client import pull
from sync.client.status import RunOutcome
from sync.server.db.engine import make_engine, transaction
from tests.e2e.conftest import Organization
from tests.e2e.support import (
    local_projections,
    new_laptop,
    open_laptop,
    server_projections,
    sync_all,
)
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


async def test_a_rewritten_server_history_is_refused_and_local_data_kept(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer = uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sync_all([sam, tom])
        verified = (await sam.status()).cursor
        await tom.record(customer, p.CustomerUpdated(contact_name="Cal"))
        assert (await tom.sync()).ok
        await sam.record(customer, p.CustomerUpdated(contact_phone="555"))
        before = await local_projections(sam)

        # the server's operator rewrites an entry sam has not pulled yet
        assert organization.settings.admin_database_url is not None
        owner = make_engine(organization.settings.admin_database_url, pool_size=1)
        try:
            async with transaction(owner, organization.id) as conn:
                await conn.execute(
                    "UPDATE events SET received_at = '2020-01-01T00:00:00.000000Z' "
                    "WHERE ledger_index = $1",
                    verified + 1,
                )
        finally:
            await owner.dispose()

        summary = await sam.sync()
        assert summary.outcome is RunOutcome.STOPPED
        assert summary.problem is not None
        assert "Refused the server's ledger" in summary.problem
        assert "rewritten history" in summary.problem
        status = await sam.status()
        assert status.problem_kind == "integrity"
        assert status.cursor == verified  # nothing of the refused history was folded
        after = await local_projections(sam)
        assert after == before  # local data kept as it was
        assert after["customer"][str(customer)]["contact_phone"] == "555"
        assert after["customer"][str(customer)]["contact_name"] == "Ann"
    finally:
        await sam.close()
        await tom.close()


async def test_a_page_refused_mid_pull_keeps_the_verified_pages_before_it(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages overlap (the next one is checked while one is stored): a refused page still
    leaves the verified pages before it stored, and nothing of its own."""
    monkeypatch.setattr(pull, "PULL_LIMIT", 2)
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer = uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sync_all([sam, tom])
        verified = (await tom.status()).cursor
        for number in range(6):
            await sam.record(customer, p.CustomerUpdated(contact_phone=f"555-{number}"))
        assert (await sam.sync()).ok

        # the server's operator rewrites the first entry of tom's third page
        assert organization.settings.admin_database_url is not None
        owner = make_engine(organization.settings.admin_database_url, pool_size=1)
        try:
            async with transaction(owner, organization.id) as conn:
                await conn.execute(
                    "UPDATE events SET received_at = '2020-01-01T00:00:00.000000Z' "
                    "WHERE ledger_index = $1",
                    verified + 5,
                )
        finally:
            await owner.dispose()

        summary = await tom.sync()
        assert summary.outcome is RunOutcome.STOPPED
        assert summary.problem is not None
        assert "Refused the server's ledger" in summary.problem
        assert summary.pulled == 4
        status = await tom.status()
        assert status.problem_kind == "integrity"
        assert status.cursor == verified + 4  # the two verified pages, not the refused one
        projections = await local_projections(tom)
        assert projections["customer"][str(customer)]["contact_phone"] == "555-3"
    finally:
        await sam.close()
        await tom.close()


async def test_a_tampered_local_chain_is_refused_by_the_server_with_the_reason_kept(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer = uuid4()
        await tom.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        assert (await tom.sync()).ok
        changed = await tom.record(customer, p.CustomerUpdated(contact_name="Bea"))
        await tom.record(customer, p.CustomerUpdated(contact_phone="555"))
        tampered = str(changed.events[0].event_id)
    finally:
        await tom.close()
    with sqlite3.connect(tmp_path / "tom.sqlite") as db:  # someone edits the file behind the app
        db.execute(
            "UPDATE events SET canonical = CAST(replace(CAST(canonical AS TEXT), 'Bea', 'Eve') "
            "AS BLOB) WHERE event_id = ?",
            (tampered,),
        )
    tom = await open_laptop("tom", tmp_path, server.url, "tom@example.com")
    try:
        summary = await tom.sync()
        assert summary.outcome is RunOutcome.STOPPED
        assert summary.problem is not None
        assert "refused this device's events" in summary.problem
        status = await tom.status()
        assert status.pending == 2  # kept, never dropped
        assert [item.event_id for item in status.needs_attention] == [tampered]
        assert status.needs_attention[0].status == "refused"
        assert "hash" in status.needs_attention[0].reason
        server_view = await server_projections(organization.settings, organization.id)
        assert server_view["customer"][str(customer)]["contact_name"] == "Ann"
    finally:
        await tom.close()


async def test_a_rejected_event_needs_attention_and_never_blocks_the_ones_after_it(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer, site, unit = uuid4(), uuid4(), uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sam.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
        await sam.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
        await sync_all([sam, tom])
        await sam.record(
            unit,
            p.ElevatorStatusChanged(
                previous=ElevatorStatus.OPERATIONAL,
                new=ElevatorStatus.DECOMMISSIONED,
                reason="Removed",
            ),
        )
        assert (await sam.sync()).ok
        # tom, offline, still sees the unit in service and edits it, then works on
        await tom.record(unit, p.ElevatorUpdated(floors_served=9))
        await tom.record(customer, p.CustomerUpdated(contact_phone="555"))
        summary = await tom.sync()
        assert summary.ok, summary
        assert summary.rejected == 1
        assert summary.accepted == 1
        status = await tom.status()
        assert status.pending == 0
        assert len(status.needs_attention) == 1
        assert "decommissioned" in status.needs_attention[0].reason
        await sync_all([sam, tom])
        server_view = await server_projections(organization.settings, organization.id)
        assert await local_projections(tom) == server_view
        assert await local_projections(sam) == server_view
        assert server_view["customer"][str(customer)]["contact_phone"] == "555"
    finally:
        await sam.close()
        await tom.close()


async def test_an_import_on_a_joined_store_writes_into_its_organization_and_syncs(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        rows = parse_fleet_csv(
            b"customer,site,site_address,unit_number\n"
            b"Acme Towers,North,1 High St,L1\nAcme Towers,North,1 High St,L2\n"
        )
        summary = await import_rows(sam.ws, rows, as_user="sam@example.com")
        assert summary.units == 2
        assert (await sam.status()).pending > 0
        await sync_all([sam, tom])
        server_view = await server_projections(organization.settings, organization.id)
        units = sorted(u["unit_number"] for u in server_view["elevator"].values())
        assert units == ["L1", "L2"]
        assert {o["id"] for o in server_view["organization"].values()} <= {str(organization.id)}
        assert await local_projections(tom) == server_view
        assert await local_projections(sam) == server_view
    finally:
        await sam.close()
        await tom.close()
