"""Devices as witnesses end to end: laptops cosign what they verified, the server relays it, and
a server that showed one laptop another history is caught by the other laptop."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest

from app.audit.checkpoint import Checkpoint, sign_checkpoint
from app.audit.cosignature import add_cosignature, cosign, device_cosigner_name
from app.audit.errors import Rule
from app.domain import payloads as p
from app.store.witness_state import fork_alarms, load_witnesses
from sync.client.status import RunOutcome
from sync.server.db.engine import make_engine, transaction
from sync.server.keys import load_keys
from sync.server.ledger.store import origin_of
from tests.e2e.conftest import Organization
from tests.e2e.support import Laptop, local_projections, new_laptop, sync_all
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


async def _witnesses(laptop: Laptop) -> dict[str, tuple[bool, int, bool]]:
    async with laptop.ws.store.sync_transaction() as db:
        return {w.device_id: (w.own, w.tree_size, w.sent) for w in await load_witnesses(db)}


async def _server_cosignatures(organization: Organization) -> dict[str, int]:
    assert organization.settings.admin_database_url is not None
    owner = make_engine(organization.settings.admin_database_url, pool_size=1)
    try:
        async with transaction(owner, organization.id) as conn:
            rows = await conn.fetch(
                "SELECT device_id, max(tree_size) AS size FROM cosignatures GROUP BY device_id"
            )
    finally:
        await owner.dispose()
    return {str(row["device_id"]): int(row["size"]) for row in rows}


async def test_laptops_cosign_what_they_verified_and_see_each_others_cosignatures(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        await sam.record(uuid4(), p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await tom.record(uuid4(), p.CustomerCreated(name="Quay House", contact_name="Cal"))
        await sync_all([sam, tom])
        size = (await sam.status()).cursor
        assert (await tom.status()).cursor == size
        sam_id, tom_id = str(sam.ws.device.device_id), str(tom.ws.device.device_id)
        assert await _server_cosignatures(organization) == {sam_id: size, tom_id: size}
        seen_by_sam = await _witnesses(sam)
        assert seen_by_sam[sam_id] == (True, size, True)  # cosigned and sent
        assert seen_by_sam[tom_id][0] is False  # tom's cosignature, relayed and verified
    finally:
        await sam.close()
        await tom.close()


async def test_a_split_view_is_caught_by_the_other_laptop_which_keeps_its_data(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    try:
        customer = uuid4()
        await sam.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await sync_all([sam, tom])
        await sam.record(customer, p.CustomerUpdated(contact_name="Bea"))
        assert (await sam.sync()).ok
        size = (await sam.status()).cursor

        # Someone holding the server's key showed tom another history of that size; tom
        # verified it and cosigned it, and the server relays tom's cosignature like any other.
        settings = organization.settings
        origin = origin_of(settings.ledger_name, organization.id)
        other = Checkpoint(origin, size, b"\x42" * 32)
        key = load_keys(settings.keys_dir).current.signer
        note = sign_checkpoint(other, settings.ledger_name, key)
        tom_name = device_cosigner_name(tom.ws.device.device_id)
        cosigned = add_cosignature(note, cosign(other, tom_name, tom.ws.device.signer, 1))
        assert settings.admin_database_url is not None
        owner = make_engine(settings.admin_database_url, pool_size=1)
        try:
            async with transaction(owner, organization.id) as conn:
                await conn.execute(
                    "INSERT INTO cosignatures (organization_id, device_id, tree_size, root_hash, "
                    "note, cosigned_at) VALUES ($1, $2, $3, $4, $5, 1)",
                    organization.id,
                    UUID(str(tom.ws.device.device_id)),
                    size,
                    other.root_hash,
                    cosigned,
                )
        finally:
            await owner.dispose()

        await sam.record(customer, p.CustomerUpdated(contact_phone="555"))
        before = await local_projections(sam)
        summary = await sam.sync()
        assert summary.outcome is RunOutcome.STOPPED
        assert summary.problem is not None
        assert "two different histories" in summary.problem
        assert Rule.WITNESS_FORK in summary.problem
        status = await sam.status()
        assert status.problem == summary.problem  # shown until someone acts
        assert await local_projections(sam) == before  # the data is kept as it is
        async with sam.ws.store.sync_transaction() as db:
            alarms = await fork_alarms(db)
        assert len(alarms) == 1
        assert cosigned in alarms[0][1:]  # tom's cosigned checkpoint is kept as evidence
        again = await sam.sync()  # and it stays refused
        assert again.outcome is RunOutcome.STOPPED
    finally:
        await sam.close()
        await tom.close()
