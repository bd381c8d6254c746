"""Laptops sync with a real server: offline edits converge; conflicts where DESIGN.md 5 says."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from sync.client import pull
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


@pytest.fixture(params=["pages of 1000", "pages of 1"])
def pull_page(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pull in the engine's pages, or one entry a page: each page then folds only its entries
    on top of the pages before it (the run's fold cache), with the device's own events that
    the push just placed further on in the ledger folded on top; the result must not differ."""
    if request.param == "pages of 1":
        monkeypatch.setattr(pull, "PULL_LIMIT", 1)


async def _laptops(
    tmp_path: Path, server: ServerProcess, org: Organization, emails: list[str]
) -> list[Laptop]:
    return [
        await new_laptop(f"laptop{i}", tmp_path, server.url, org.id, email)
        for i, email in enumerate(emails)
    ]


async def test_two_devices_edit_one_unit_offline_and_converge(
    tmp_path: Path, server: ServerProcess, organization: Organization, pull_page: None
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


async def test_three_devices_and_a_late_joiner_converge_in_any_order(
    tmp_path: Path, server: ServerProcess, organization: Organization, pull_page: None
) -> None:
    sam, tom, jo = await _laptops(
        tmp_path,
        server,
        organization,
        ["sam@example.com", "tom@example.com", "jo@example.com"],
    )
    late: Laptop | None = None
    try:
        customer, site = uuid4(), uuid4()
        await tom.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await tom.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
        await sync_all([tom, jo, sam])

        await sam.record(customer, p.CustomerUpdated(contact_name="Sam's"))
        await tom.record(customer, p.CustomerUpdated(contact_name="Tom's"))
        await jo.record(customer, p.CustomerUpdated(contact_name="Jo's"))
        await jo.record(site, p.SiteUpdated(access_notes="Code 1234"))
        await tom.record(site, p.SiteUpdated(address="2 St"))
        # jo syncs first, then sam, then tom; then jo knows every value and settles it
        for laptop in (jo, sam, tom):
            assert (await laptop.sync()).ok
        await sync_all([jo])
        await jo.record(customer, p.CustomerUpdated(contact_name="Settled"))
        await sync_all([jo, tom, sam])

        late = await new_laptop("late", tmp_path, server.url, organization.id, "jo@example.com")
        assert (await late.sync()).ok
        server_view = await server_projections(organization.settings, organization.id)
        assert server_view["customer"][str(customer)]["contact_name"] == "Settled"
        assert server_view["site"][str(site)]["address"] == "2 St"
        assert server_view["site"][str(site)]["access_notes"] == "Code 1234"
        conflicts = await server_conflicts(organization.settings, organization.id)
        # sam's write did not know jo's, tom's knew neither: two conflict records on the
        # one field written concurrently, both resolved by the write that knew them all
        assert sorted((c[2], c[3], c[4]) for c in conflicts) == [
            ("contact_name", "Sam's", "Jo's"),
            ("contact_name", "Tom's", "Sam's"),
        ]
        assert all(c[5] for c in conflicts)
        for laptop in (sam, tom, jo, late):
            assert await local_projections(laptop) == server_view, laptop.name
            assert await local_conflicts(laptop) == conflicts, laptop.name
            assert (await laptop.status()).open_conflicts == ()
    finally:
        for opened in (sam, tom, jo, late):
            if opened is not None:
                await opened.close()


async def test_a_store_joined_while_a_conflict_is_open_sees_it_resolved_and_detects_new_ones(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam, tom = await _laptops(
        tmp_path, server, organization, ["sam@example.com", "tom@example.com"]
    )
    late: Laptop | None = None
    try:
        customer = uuid4()
        await tom.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sync_all([tom, sam])
        await sam.record(customer, p.CustomerUpdated(contact_name="Sam's"))
        await tom.record(customer, p.CustomerUpdated(contact_name="Tom's"))
        await sync_all([sam, tom])
        late = await new_laptop("late", tmp_path, server.url, organization.id, "jo@example.com")
        assert [c.field for c in (await late.status()).open_conflicts] == ["contact_name"]

        # the snapshot carried who last wrote each field: an edit made on the late store
        # without knowing one made elsewhere meanwhile is a conflict there too
        await tom.record(customer, p.CustomerUpdated(name="Acme Towers Ltd"))
        await late.record(customer, p.CustomerUpdated(name="Acme Tower"))
        await sam.record(customer, p.CustomerUpdated(contact_name="Settled"))  # knows both
        await sync_all([tom, sam, late])
        conflicts = await server_conflicts(organization.settings, organization.id)
        assert sorted((c[2], c[3], c[4], bool(c[5])) for c in conflicts) == [
            ("contact_name", "Tom's", "Sam's", True),
            ("name", "Acme Tower", "Acme Towers Ltd", False),
        ]
        server_view = await server_projections(organization.settings, organization.id)
        for laptop in (sam, tom, late):
            assert await local_projections(laptop) == server_view, laptop.name
            assert await local_conflicts(laptop) == conflicts, laptop.name
    finally:
        for opened in (sam, tom, late):
            if opened is not None:
                await opened.close()
