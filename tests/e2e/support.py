"""Laptops syncing with a real server process: stores, sign-in, engine, and comparisons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from app.bootstrap import Workspace, create_member_workspace, open_workspace
from app.demo.seeding import record
from app.domain.events import EventPayload
from app.services.context import Actor, Changes, ServiceContext
from app.store.mapping import ENTITY_MAPPINGS, STATUS_CHANGES
from sync.client.api import HttpSyncApi
from sync.client.engine import PasswordTokens, SyncEngine
from sync.client.join import join_store
from sync.client.status import SyncStatus, SyncSummary, read_sync_status
from sync.server.db.engine import make_engine, transaction
from sync.server.settings import ServerSettings
from sync.server.store import mappings as pg

PASSWORD = "correct horse battery"
"""The password of every test user (tests.server.conftest.PASSWORD)."""
KEY_PASSWORD = "a long offline unlock phrase"


@dataclass(slots=True)
class Laptop:
    """One device: its store, its server API and engine, and the signed-in user."""

    name: str
    ws: Workspace
    api: HttpSyncApi
    engine: SyncEngine
    actor: Actor

    @property
    def ctx(self) -> ServiceContext:
        return self.ws.context(self.actor)

    async def record(self, entity_id: UUID, *payloads: EventPayload) -> Changes:
        """Record events about one entity, offline."""
        return await record(self.ctx, entity_id, *payloads)

    async def sync(self) -> SyncSummary:
        summary = await self.engine.run_once()
        return summary

    async def status(self) -> SyncStatus:
        return await read_sync_status(self.ws.store)

    async def close(self) -> None:
        await self.api.aclose()
        await self.ws.close()


async def new_laptop(
    name: str, folder: Path, server_url: str, organization_id: UUID, email: str
) -> Laptop:
    """A new store for the organization, signed in as ``email`` and joined (snapshot taken)."""
    ws = await create_member_workspace(
        folder / f"{name}.sqlite",
        organization_id=organization_id,
        organization_name="Acme Lifts",
        password=lambda: KEY_PASSWORD,
    )
    api = HttpSyncApi(server_url)
    tokens = PasswordTokens(api, email, PASSWORD)
    api.set_access_token(await tokens.access_token())
    await join_store(ws.store, api, server_url=server_url, public_key=ws.device.signer.public_key)
    me = await api.me()
    actor = Actor(me.user_id, me.role, me.display_name)
    return Laptop(
        name,
        ws,
        api,
        SyncEngine(ws.store, api, tokens, blobs=ws.blobs, cosigner=ws.device.signer),
        actor,
    )


async def open_laptop(name: str, folder: Path, server_url: str, email: str) -> Laptop:
    """An existing (joined) store opened again, signed in as ``email``."""
    ws = await open_workspace(folder / f"{name}.sqlite", password=lambda: KEY_PASSWORD)
    api = HttpSyncApi(server_url)
    tokens = PasswordTokens(api, email, PASSWORD)
    api.set_access_token(await tokens.access_token())
    me = await api.me()
    actor = Actor(me.user_id, me.role, me.display_name)
    return Laptop(
        name,
        ws,
        api,
        SyncEngine(ws.store, api, tokens, blobs=ws.blobs, cosigner=ws.device.signer),
        actor,
    )


def _normal(mapping: Any, doc: str) -> dict[str, Any]:
    data: dict[str, Any] = mapping.model.model_validate_json(doc).model_dump(mode="json")
    return data


async def local_projections(laptop: Laptop) -> dict[str, dict[str, dict[str, Any]]]:
    """Every entity projection and status change of a laptop, by kind and id."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    async with laptop.ws.store.read_db() as db:
        for kind, mapping in ENTITY_MAPPINGS.items():
            rows = await db.fetchall(f"SELECT {mapping.key}, doc FROM {mapping.table_name}")
            found[kind] = {str(k): _normal(mapping, str(d)) for k, d in rows}
        rows = await db.fetchall(f"SELECT event_id, doc FROM {STATUS_CHANGES.table_name}")
        found["status_change"] = {str(k): _normal(STATUS_CHANGES, str(d)) for k, d in rows}
    return found


async def server_projections(
    settings: ServerSettings, organization_id: UUID
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every entity projection and status change of the organization on the server."""
    assert settings.database_url is not None
    engine = make_engine(settings.database_url, pool_size=1)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        async with transaction(engine, organization_id) as conn:
            for kind, mapping in pg.ENTITY_MAPPINGS.items():
                local = ENTITY_MAPPINGS[kind]
                rows = await conn.fetch(
                    f"SELECT {mapping.key_column}, doc::text FROM {mapping.table}"
                )
                found[kind] = {str(k): _normal(local, d) for k, d in rows}
            rows = await conn.fetch(f"SELECT event_id, doc::text FROM {pg.STATUS_CHANGES.table}")
            found["status_change"] = {str(k): _normal(STATUS_CHANGES, d) for k, d in rows}
    finally:
        await engine.dispose()
    return found


async def local_conflicts(laptop: Laptop) -> list[tuple[str, str, str, Any, Any, str]]:
    """The laptop's conflict records: (id, entity, field, kept, other, resolved or '')."""
    async with laptop.ws.store.read_db() as db:
        rows = await db.fetchall(
            "SELECT conflict_id, entity_id, field, kept_value, other_value, resolved_by "
            "FROM sync_conflicts ORDER BY conflict_id"
        )
    return [
        (str(c), str(e), str(f), json.loads(k), json.loads(o), str(r or ""))
        for c, e, f, k, o, r in rows
    ]


async def server_conflicts(
    settings: ServerSettings, organization_id: UUID
) -> list[tuple[str, str, str, Any, Any, str]]:
    """The server's conflict records, in the same shape as ``local_conflicts``."""
    assert settings.database_url is not None
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        async with transaction(engine, organization_id) as conn:
            rows = await conn.fetch("SELECT doc::text FROM conflicts")
    finally:
        await engine.dispose()
    found = []
    for (doc,) in rows:
        data = json.loads(doc)
        found.append(
            (
                data["id"],
                data["entity_id"],
                data["field"],
                json.loads(data["kept_value"]) if data["kept_value"] is not None else None,
                json.loads(data["other_value"]) if data["other_value"] is not None else None,
                data.get("resolution_event_id") or "",
            )
        )
    return sorted(found)


async def sync_all(laptops: Sequence[Laptop]) -> None:
    """Sync every laptop in turn, then once more each, so all have everything."""
    for laptop in (*laptops, *laptops):
        summary = await laptop.sync()
        assert summary.ok, (laptop.name, summary)
