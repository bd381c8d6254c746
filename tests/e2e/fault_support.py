"""Laptops that reach the server through a ``FaultProxy``, and the checks every fault test makes.

The checks are the promise of RELIABILITY.md: nothing lost (every event a device wrote is in
the server's ledger), nothing duplicated (each exactly once, at one ledger index), no stalled
device (its queue is empty once the network heals), every chain verifies, and every device's
projections equal the server's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import aclosing
from pathlib import Path
from uuid import UUID

import httpx

from app.audit.chain import ChainVerifier, StaticDeviceKeys
from app.audit.envelope import event_hash
from app.audit.signing import signature_message, verify_signature
from app.bootstrap import create_member_workspace
from app.services.context import Actor
from sync.client.api import HttpSyncApi
from sync.client.engine import PasswordTokens, SyncEngine
from sync.client.join import join_store
from sync.server.db.engine import make_engine, transaction
from sync.server.settings import ServerSettings
from tests.e2e.support import (
    KEY_PASSWORD,
    PASSWORD,
    Laptop,
    local_projections,
    server_projections,
)

FAST_TIMEOUT = httpx.Timeout(connect=2.0, read=2.0, write=5.0, pool=2.0)
"""A device that gives up on a stalled answer after 2 s (the app's default waits 30 s)."""


async def laptop_via(
    url: str,
    name: str,
    folder: Path,
    organization_id: UUID,
    email: str,
    *,
    limits: httpx.Timeout = FAST_TIMEOUT,
) -> Laptop:
    """A new store joined to the organization through ``url`` (the proxy)."""
    ws = await create_member_workspace(
        folder / f"{name}.sqlite",
        organization_id=organization_id,
        organization_name="Acme Lifts",
        password=lambda: KEY_PASSWORD,
    )
    api = HttpSyncApi(url, timeout=limits)
    tokens = PasswordTokens(api, email, PASSWORD)
    api.set_access_token(await tokens.access_token())
    await join_store(ws.store, api, server_url=url, public_key=ws.device.signer.public_key)
    me = await api.me()
    actor = Actor(me.user_id, me.role, me.display_name)
    return Laptop(name, ws, api, SyncEngine(ws.store, api, tokens), actor)


async def own_events(laptop: Laptop) -> list[str]:
    """The event ids this laptop wrote, in chain order."""
    async with laptop.ws.store.read_db() as db:
        rows = await db.fetchall(
            "SELECT event_id FROM events WHERE device_id = ? ORDER BY device_seq",
            (str(laptop.ws.device.device_id),),
        )
    return [str(r[0]) for r in rows]


async def server_events(settings: ServerSettings, organization_id: UUID) -> list[tuple[str, str]]:
    """Every ledger entry of the organization: (event_id, device_id), in ledger order."""
    assert settings.database_url is not None
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with transaction(engine, organization_id) as conn:
            rows = await conn.fetch(
                "SELECT event_id::text, device_id::text FROM events ORDER BY ledger_index"
            )
    finally:
        await engine.dispose()
    return [(str(r[0]), str(r[1])) for r in rows]


async def verify_chains(laptop: Laptop) -> int:
    """Check every chain the laptop holds; the number of events checked.

    Its own chain is verified in full from genesis. Other devices' events arrived by pull after
    the store was bootstrapped from a snapshot, so their chains start at the snapshot's heads:
    each is checked for its bytes, hash and signature, and for unbroken links from there.
    """
    store = laptop.ws.store
    keys = await store.device_keys()
    own = str(laptop.ws.device.device_id)
    organization = str(laptop.ws.device.organization_id)
    verifier = ChainVerifier(StaticDeviceKeys({own: keys[own]}), organization_id=organization)
    heads: dict[str, tuple[int, str]] = {}
    count = 0
    async with aclosing(store.iter_stored_events()) as events:
        async for event in events:
            count += 1
            if event.device_id == own:
                verifier.feed(event)
                continue
            where = f"{laptop.name}: event {event.event_id} of device {event.device_id}"
            assert event_hash(event.canonical) == event.hash, where
            message = signature_message(event.hash)
            assert verify_signature(keys[event.device_id], message, event.signature), where
            before = heads.get(event.device_id)
            if before is not None:
                assert (event.device_seq, event.prev_hash) == (before[0] + 1, before[1]), where
            heads[event.device_id] = (event.device_seq, event.hash)
    verifier.finish()
    return count


async def assert_converged(
    laptops: Sequence[Laptop], settings: ServerSettings, organization_id: UUID
) -> None:
    """Nothing lost, nothing duplicated, no queue left, chains intact, projections equal."""
    ledger = await server_events(settings, organization_id)
    counts = Counter(event_id for event_id, _ in ledger)
    duplicated = [e for e, n in counts.items() if n > 1]
    assert not duplicated, f"events in the ledger more than once: {duplicated}"
    server_view = await server_projections(settings, organization_id)
    ledger_ids = {event_id for event_id, _ in ledger}
    for laptop in laptops:
        mine = await own_events(laptop)
        missing = [e for e in mine if e not in ledger_ids]
        assert not missing, f"{laptop.name}: events never reached the ledger: {missing}"
        on_server = [e for e, d in ledger if d == str(laptop.ws.device.device_id)]
        assert sorted(on_server) == sorted(mine), f"{laptop.name}: ledger has events it lacks"
        status = await laptop.status()
        assert status.pending == 0, f"{laptop.name}: {status.pending} events still waiting"
        assert status.cursor == len(ledger), (laptop.name, status.cursor, len(ledger))
        assert await verify_chains(laptop) >= len(mine)
        assert await local_projections(laptop) == server_view, laptop.name
