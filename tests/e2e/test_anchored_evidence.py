"""Proving a unit's history to an inspector, against a real server: the commands cosign what
they sync, bundles carry the ledger's checkpoint and proofs, and a store joined from a snapshot
verifies honestly."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import keyring
import pytest
from keyring.backends import fail

from app.audit.checkpoint import verifier_key_string
from app.audit.errors import ChainBroken, Rule
from app.audit.signing import Ed25519Signer
from app.audit_trail import verify_store
from app.bootstrap import create_member_workspace, open_workspace
from app.demo.seeding import record
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.events import EventPayload
from app.services.context import Actor
from sync.client.api import HttpSyncApi
from sync.client.engine import PasswordTokens
from sync.client.join import join_store
from sync.server.db.engine import make_engine, transaction
from tests.e2e.conftest import Organization
from tests.e2e.support import PASSWORD, Laptop, new_laptop
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(120)


async def _sitesync(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A computer without a secure keyring: the device key is sealed under the password, so
    the commands (other processes) can read it."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


async def _joined_store(path: Path, server: ServerProcess, org: Organization, email: str) -> None:
    """A store as 'sitesync login' makes it: its device key sealed under the account password."""
    ws = await create_member_workspace(
        path, organization_id=org.id, organization_name="Acme Lifts", password=lambda: PASSWORD
    )
    try:
        async with HttpSyncApi(server.url) as api:
            api.set_access_token(await PasswordTokens(api, email, PASSWORD).access_token())
            await join_store(
                ws.store, api, server_url=server.url, public_key=ws.device.signer.public_key
            )
    finally:
        await ws.close()


async def _cosigned_by(org: Organization) -> set[str]:
    assert org.settings.database_url is not None
    engine = make_engine(org.settings.database_url, pool_size=1)
    try:
        async with transaction(engine, org.id) as conn:
            rows = await conn.fetch("SELECT DISTINCT device_id FROM cosignatures")
    finally:
        await engine.dispose()
    return {str(row["device_id"]) for row in rows}


async def _server_key(server: ServerProcess) -> str:
    async with HttpSyncApi(server.url) as api:
        keys = await api.ledger_keys()
    return next(key.verifier_key for key in keys if key.current)


async def _fleet(laptop: Laptop) -> UUID:
    customer, site, unit = uuid4(), uuid4(), uuid4()
    await laptop.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
    await laptop.record(site, p.SiteCreated(customer_id=customer, name="North", address="1 St"))
    await laptop.record(unit, p.ElevatorRegistered(site_id=site, unit_number="L1"))
    return unit


def _breakdown() -> p.ElevatorStatusChanged:
    return p.ElevatorStatusChanged(
        previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.OUT_OF_SERVICE, reason="doors"
    )


async def _record(
    db: Path, server: ServerProcess, email: str, *changes: tuple[UUID, EventPayload]
) -> None:
    """Record events offline in the store at ``db`` as ``email``."""
    ws = await open_workspace(db, password=lambda: PASSWORD)
    try:
        async with HttpSyncApi(server.url) as api:
            api.set_access_token(await PasswordTokens(api, email, PASSWORD).access_token())
            me = await api.me()
        ctx = ws.context(Actor(me.user_id, me.role, me.display_name))
        for entity, payload in changes:
            await record(ctx, entity, payload)
    finally:
        await ws.close()


@pytest.mark.usefixtures("no_keyring")
async def test_an_inspector_checks_an_anchored_bundle_with_the_server_key(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    db = tmp_path / "sam.sqlite"
    await _joined_store(db, server, organization, "sam@example.com")
    customer, site, unit = uuid4(), uuid4(), uuid4()
    await _record(
        db,
        server,
        "sam@example.com",
        (customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann")),
        (site, p.SiteCreated(customer_id=customer, name="North", address="1 St")),
        (unit, p.ElevatorRegistered(site_id=site, unit_number="L1")),
        (unit, _breakdown()),
    )

    synced = await _sitesync("sync", "--db", str(db), "--password-stdin", stdin=PASSWORD + "\n")
    assert synced.returncode == 0, synced.stderr
    assert "does not cosign" not in synced.stderr
    status = (await _sitesync("status", "--db", str(db))).stdout.splitlines()
    device = next(line for line in status if line.startswith("device: ")).removeprefix("device: ")
    assert device in await _cosigned_by(organization)  # the command cosigned what it verified
    await _record(db, server, "sam@example.com", (unit, p.ElevatorUpdated(model="MonoSpace")))

    out = tmp_path / "evidence.json"
    plain = await _sitesync(
        "audit", "export", "--db", str(db), "--unit", str(unit), "--out", str(out)
    )
    assert plain.returncode == 0, plain.stderr
    assert "3 of its events are in the server's ledger" in plain.stdout
    assert "export again with --password-stdin" in plain.stdout
    assert "ledger" not in json.loads(out.read_text())

    anchored = await _sitesync(
        "audit",
        "export",
        "--db",
        str(db),
        "--unit",
        str(unit),
        "--out",
        str(out),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert anchored.returncode == 0, anchored.stderr
    assert "anchored: 3 of its events" in anchored.stdout
    document = json.loads(out.read_text())
    assert len(document["events"]) == 4  # the site, the unit's three events
    assert len(document["ledger"]["proofs"]) == 3  # the newest is not synced yet

    key = await _server_key(server)
    checked = await _sitesync("audit", "verify", "--bundle", str(out), "--server-key", key)
    assert checked.returncode == 0, checked.stderr
    assert "signed by the server key" in checked.stdout
    assert "none can be removed from the ledger" in checked.stdout
    assert "bundled events not under the checkpoint: 1 " in checked.stdout

    unchecked = await _sitesync("audit", "verify", "--bundle", str(out))
    assert unchecked.returncode == 0
    assert "not proven: anything about the server's ledger" in unchecked.stdout

    name = key.split("+")[0]
    wrong = verifier_key_string(name, Ed25519Signer.generate().public_key)
    refused = await _sitesync("audit", "verify", "--bundle", str(out), "--server-key", wrong)
    assert refused.returncode == 1
    assert "rule broken: checkpoint-signature" in refused.stderr

    path = document["ledger"]["proofs"][0]["path"]
    document["ledger"]["proofs"][0]["path"] = ("1" if path[0] == "0" else "0") + path[1:]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    broken = await _sitesync("audit", "verify", "--bundle", str(tampered), "--server-key", key)
    assert broken.returncode == 1
    assert "rule broken: inclusion-proof" in broken.stderr

    mistyped = await _sitesync("audit", "verify", "--bundle", str(out), "--server-key", "x+y+z")
    assert mistyped.returncode == 2
    assert "--server-key is not a server verifier key" in mistyped.stderr
    with_store = await _sitesync("audit", "verify", "--db", str(db), "--server-key", key)
    assert with_store.returncode == 2
    assert "Use it with --bundle FILE" in with_store.stderr


async def test_a_store_joined_from_a_snapshot_verifies_and_says_what_it_took_from_it(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    sam = await new_laptop("sam", tmp_path, server.url, organization.id, "sam@example.com")
    jo = await new_laptop("jo", tmp_path, server.url, organization.id, "jo@example.com")
    try:
        unit = await _fleet(sam)
        assert (await sam.sync()).ok
        assert (await jo.sync()).ok
        await jo.record(unit, p.ElevatorUpdated(model="MonoSpace"))
        assert (await jo.sync()).ok  # jo writes nothing after tom joins
        tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
        tom_id = tom.ws.device.device_id
        try:
            await sam.record(unit, _breakdown())  # after the snapshot
            assert (await sam.sync()).ok
            assert (await tom.sync()).ok
            await tom.record(unit, p.ElevatorUpdated(floors_served=8))
            assert (await tom.sync()).ok
        finally:
            await tom.close()
    finally:
        await sam.close()
        await jo.close()
    sam_id, jo_id = str(sam.ws.device.device_id), str(jo.ws.device.device_id)

    report = await verify_store(tmp_path / "tom.sqlite")
    assert {sam_id, jo_id} <= report.from_snapshot.keys()  # (and the server's own device)
    assert str(tom_id) not in report.from_snapshot
    assert report.from_snapshot[sam_id].seq == 3
    assert report.from_snapshot[jo_id].seq == 1
    assert report.heads[sam_id].seq == 4  # its event after the snapshot, checked in full
    assert report.events == 2  # sam's breakdown and tom's own edit

    shown = await _sitesync("audit", "verify", "--db", str(tmp_path / "tom.sqlite"))
    assert shown.returncode == 0, shown.stderr
    assert "taken from the snapshot" in shown.stdout
    assert f"device {jo_id}: from the snapshot at seq 1" in shown.stdout

    out = tmp_path / "evidence.json"
    export = await _sitesync(
        "audit",
        "export",
        "--db",
        str(tmp_path / "tom.sqlite"),
        "--unit",
        str(unit),
        "--out",
        str(out),
    )
    assert export.returncode == 2, export.stderr
    assert "came to it in the server's snapshot" in export.stderr
    assert not out.exists()  # never a bundle that cannot verify

    # refolding from the log alone would lose the snapshot's records: refused, nothing changed
    tom_db = str(tmp_path / "tom.sqlite")
    rebuild = await _sitesync("store", "rebuild", "--db", tom_db)
    assert rebuild.returncode == 2, rebuild.stderr
    assert "joined from the server's snapshot" in rebuild.stderr
    backups = await asyncio.to_thread(lambda: list(tmp_path.glob("*before-rebuild*")))
    assert not backups  # not even a backup was taken
    deep = await _sitesync("audit", "verify", "--db", tom_db, "--deep")
    assert deep.returncode == 2, deep.stderr
    assert "joined from the server's snapshot" in deep.stderr

    # the snapshot's stated position is part of what is checked: change it and the next
    # event of that device no longer links to it
    with sqlite3.connect(tmp_path / "tom.sqlite") as conn:
        conn.execute(
            "UPDATE sync_snapshot_heads SET hash = ? WHERE device_id = ?", ("0" * 64, sam_id)
        )
    with pytest.raises(ChainBroken) as caught:
        await verify_store(tmp_path / "tom.sqlite")
    assert caught.value.rule == Rule.PREV_HASH_LINK
