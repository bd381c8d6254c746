"""Laptops sync with a real server: offline edits converge; conflicts where DESIGN.md 5 says."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from tests.e2e.conftest import Organization
from tests.e2e.support import (
    Laptop,
    local_conflicts,
    local_projections,
    new_laptop,
    server_conflicts,
    server_projections,
    sync_all,
)
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


async def _laptops(
    tmp_path: Path, server: ServerProcess, org: Organization, emails: list[str]
) -> list[Laptop]:
    return [
        await new_laptop(f"laptop{i}", tmp_path, server.url, org.id, email)
        for i, email in enumerate(emails)
    ]


async def test_two_devices_edit_one_unit_offline_and_converge(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam, tom = await _laptops(
        tmp_path, server, organization, ["sam@example.com", "tom@example.com"]
    )
    try:
        customer, site, unit = uuid4(), uuid4(), uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sam.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
        await sam.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
        first = await sam.sync()
        assert first.ok, first
        assert first.pushed == 3
        assert (await sam.status()).pending == 0
        assert (await tom.sync()).ok

        # offline on both: the same field of the customer, different fields of the site
        await sam.record(customer, p.CustomerUpdated(contact_name="Bea"))
        await tom.record(customer, p.CustomerUpdated(contact_name="Cal"))
        await sam.record(site, p.SiteUpdated(access_notes="Key at reception"))
        await tom.record(site, p.SiteUpdated(name="North Tower"))
        await tom.record(
            unit,
            p.ElevatorStatusChanged(
                previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.OUT_OF_SERVICE, reason="x"
            ),
        )
        await sam.record(
            unit,
            p.ElevatorStatusChanged(
                previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.MAINTENANCE, reason="y"
            ),
        )
        assert (await tom.status()).pending == 3

        await sync_all([tom, sam])

        server_view = await server_projections(organization.settings, organization.id)
        assert await local_projections(sam) == server_view
        assert await local_projections(tom) == server_view
        site_now = server_view["site"][str(site)]
        assert site_now["name"] == "North Tower"
        assert site_now["access_notes"] == "Key at reception"  # different fields merge
        # same field: the later in ledger order (sam's, pushed second) is kept
        assert server_view["customer"][str(customer)]["contact_name"] == "Bea"
        assert server_view["elevator"][str(unit)]["status"] == ElevatorStatus.MAINTENANCE.value

        conflicts = await server_conflicts(organization.settings, organization.id)
        assert sorted((c[1], c[2], c[3], c[4]) for c in conflicts) == sorted(
            [
                (str(customer), "contact_name", "Bea", "Cal"),
                (str(unit), "status", "maintenance", "out_of_service"),
            ]
        )
        assert await local_conflicts(sam) == conflicts
        assert await local_conflicts(tom) == conflicts
        for laptop in (sam, tom):
            status = await laptop.status()
            assert status.pending == 0
            assert status.problem is None
            assert status.last_success_at is not None
            assert status.checkpoint_size == status.cursor > 0
    finally:
        await sam.close()
        await tom.close()
