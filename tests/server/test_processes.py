"""Real server processes: two on one database under concurrent pushes, and crashes (F5).

The ledger must stay gapless in commit order across processes, every checkpoint must be
consistent with the one before it, and a push cut by a dying server or a lost database
connection must converge when sent again: every event once.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest

from app.audit.checkpoint import parse_and_verify_checkpoint
from app.audit.merkle import verify_consistency
from app.domain import payloads as p
from app.domain.enums import Role
from sync.server.db.engine import transaction
from sync.server.settings import ServerSettings
from tests.postgres import ServerProcess
from tests.server.conftest import Org, add_user, make_org
from tests.server.devices import SYNC, Laptop, wire

DEVICES = 6
BATCHES = 8
PER_BATCH = 25


@pytest.fixture
async def org_on_db(server_settings: ServerSettings) -> Org:
    made = await make_org(server_settings, "Acme Lifts")
    await made.engine.dispose()
    return made


@pytest.fixture
def two_servers(server_settings: ServerSettings, org_on_db: Org) -> Iterator[list[ServerProcess]]:
    servers = [ServerProcess(server_settings).start() for _ in range(2)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    answer = await client.post(
        "/api/v1/auth/token", json={"email": email, "password": "correct horse battery"}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}", **SYNC}


def _batches(laptop: Laptop) -> list[list[dict[str, str]]]:
    customer, site, unit = uuid4(), uuid4(), uuid4()
    events = [
        laptop.event(customer, p.CustomerCreated(name=f"C {laptop.device_id}")),
        laptop.event(site, p.SiteCreated(customer_id=customer, name="S", address="A")),
        laptop.event(unit, p.ElevatorRegistered(site_id=site, unit_number="L1")),
    ]
    while len(events) < BATCHES * PER_BATCH:
        events.append(laptop.event(unit, p.ElevatorUpdated(floors_served=len(events))))
    wired = [wire(e) for e in events]
    return [wired[i : i + PER_BATCH] for i in range(0, len(wired), PER_BATCH)]


async def test_two_processes_keep_one_gapless_consistent_ledger(
    server_settings: ServerSettings, org_on_db: Org, two_servers: list[ServerProcess]
) -> None:
    org = await make_org_again(server_settings, org_on_db)
    emails = ["tom@example.com", "jo@example.com"]
    users = [await add_user(org, email, Role.TECHNICIAN) for email in emails]
    await org.engine.dispose()
    clients = [httpx.AsyncClient(base_url=s.url, timeout=60) for s in two_servers]
    try:
        tokens = [await _token(clients[0], email) for email in emails]
        laptops = [Laptop(org.id, users[i % 2]) for i in range(DEVICES)]
        for index, laptop in enumerate(laptops):
            registered = await clients[index % 2].post(
                "/api/v1/devices", json=laptop.registration(), headers=tokens[index % 2]
            )
            assert registered.status_code == 201

        async def device(index: int) -> None:
            laptop = laptops[index]
            for number, batch in enumerate(_batches(laptop)):
                client = clients[(index + number) % 2]  # alternate between the processes
                body = {"device_id": str(laptop.device_id), "events": batch}
                answer = await client.post(
                    "/api/v1/sync/push", json=body, headers=tokens[index % 2]
                )
                assert answer.status_code == 200, answer.text
                assert {r["status"] for r in answer.json()["results"]} == {"accepted"}

        await asyncio.gather(*(device(i) for i in range(DEVICES)))
        expected = 2 + DEVICES * BATCHES * PER_BATCH
        async with transaction(org.engine, org.id) as conn:
            indexes = [r[0] for r in await conn.fetch("SELECT ledger_index FROM events ORDER BY 1")]
            sizes = [r[0] for r in await conn.fetch("SELECT tree_size FROM checkpoints ORDER BY 1")]
        await org.engine.dispose()
        assert indexes == list(range(1, expected + 1))
        assert sizes[-1] == expected
        await _checkpoints_grow_consistently(clients[0], tokens[0], sizes, org)
    finally:
        for client in clients:
            await client.aclose()


async def make_org_again(settings: ServerSettings, org: Org) -> Org:
    """The same organization with a fresh engine (the fixture's was closed)."""
    from sync.server.db.engine import make_engine

    assert settings.database_url is not None
    return Org(
        org.id, make_engine(settings.database_url), org.keys, org.units, org.device_id, settings
    )


async def _checkpoints_grow_consistently(
    client: httpx.AsyncClient, headers: dict[str, str], sizes: list[int], org: Org
) -> None:
    key = org.keys.current.signer.public_key
    previous = None
    for size in sizes:
        answer = await client.get(
            "/api/v1/ledger/proofs/consistency",
            params={"old_size": previous[0] if previous else 0, "new_size": size},
            headers=headers,
        )
        body = answer.json()
        checkpoint = parse_and_verify_checkpoint(body["checkpoint"]["note"], "sitesync-ledger", key)
        assert checkpoint.size == size
        if previous is not None:
            proof = [base64.b64decode(h) for h in body["proof"]]
            verify_consistency(previous[0], size, previous[1], checkpoint.root_hash, proof)
        previous = (size, checkpoint.root_hash)


async def test_a_push_cut_by_a_dying_server_converges_when_sent_again(
    server_settings: ServerSettings, org_on_db: Org
) -> None:
    org = await make_org_again(server_settings, org_on_db)
    user = await add_user(org, "tom@example.com", Role.TECHNICIAN)
    laptop = Laptop(org.id, user)
    server = ServerProcess(server_settings).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            headers = await _token(client, "tom@example.com")
            await client.post("/api/v1/devices", json=laptop.registration(), headers=headers)
            batches = _batches(laptop)
            body = {"device_id": str(laptop.device_id), "events": batches[0] + batches[1]}
            push = asyncio.create_task(client.post("/api/v1/sync/push", json=body, headers=headers))
            await asyncio.sleep(0.02)
            server.kill()  # the outcome of the push is unknown to the device
            with pytest.raises(httpx.HTTPError):
                await push
        server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            headers = await _token(client, "tom@example.com")
            again = await client.post("/api/v1/sync/push", json=body, headers=headers)
            assert again.status_code == 200, again.text
            assert len(again.json()["results"]) == 2 * PER_BATCH
    finally:
        server.stop()
    async with transaction(org.engine, org.id) as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM events WHERE device_id = $1", laptop.device_id
        )
        size = await conn.fetchval("SELECT size FROM ledger_heads")
    await org.engine.dispose()
    assert count == 2 * PER_BATCH
    assert size == 1 + 2 * PER_BATCH


async def test_a_lost_database_connection_answers_503_and_the_pool_recovers(
    server_settings: ServerSettings, org_on_db: Org
) -> None:
    org = await make_org_again(server_settings, org_on_db)
    user = await add_user(org, "tom@example.com", Role.TECHNICIAN)
    laptop = Laptop(org.id, user)
    server = ServerProcess(server_settings).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            headers = await _token(client, "tom@example.com")
            await client.post("/api/v1/devices", json=laptop.registration(), headers=headers)
            batches = _batches(laptop)
            first = {"device_id": str(laptop.device_id), "events": batches[0]}
            assert (
                await client.post("/api/v1/sync/push", json=first, headers=headers)
            ).status_code == 200
            async with transaction(org.engine, None) as conn:  # as if PostgreSQL restarted
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = current_user AND pid <> pg_backend_pid() "
                    "AND datname = current_database()"
                )
            second = {"device_id": str(laptop.device_id), "events": batches[1]}
            deadline = time.monotonic() + 20
            try:
                answer = await client.post("/api/v1/sync/push", json=second, headers=headers)
            except httpx.HTTPError as exc:
                raise AssertionError(server.log.read_text()) from exc
            while answer.status_code == 503 and time.monotonic() < deadline:
                assert answer.json()["error"]["code"] == "UNAVAILABLE"
                assert "Retry-After" in answer.headers
                try:
                    answer = await client.post("/api/v1/sync/push", json=second, headers=headers)
                except httpx.HTTPError as exc:
                    raise AssertionError(server.log.read_text()) from exc
            assert answer.status_code == 200, answer.text
    finally:
        server.stop()
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT size FROM ledger_heads") == 1 + 2 * PER_BATCH
    await org.engine.dispose()
