"""Fixtures of the server tests: an organization on this test's database and a service context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.services.context import Actor, ServiceContext
from sync.server.accounts import create_account
from sync.server.admin import create_organization
from sync.server.auth.passwords import Passwords
from sync.server.db.engine import make_engine
from sync.server.keys import ServerKeys, load_keys
from sync.server.services import (
    SYSTEM_ACTOR,
    ServerUnits,
    ensure_server_device,
    server_context,
)
from sync.server.settings import ServerSettings
from sync.server.store.appender import LedgerConfig


@dataclass
class Org:
    """An organization on this test's database, with its units of work and service context."""

    id: UUID
    engine: AsyncEngine
    keys: ServerKeys
    units: ServerUnits
    device_id: UUID
    settings: ServerSettings

    def context(self, actor: Actor | None = None) -> ServiceContext:
        who = actor or Actor(SYSTEM_ACTOR, Role.ADMIN, "system")
        return server_context(self.units, self.device_id, self.keys, who)


async def make_org(settings: ServerSettings, name: str) -> Org:
    assert settings.database_url is not None
    org_id = await create_organization(settings.database_url, name)
    engine = make_engine(settings.database_url, pool_size=4)
    keys = load_keys(settings.keys_dir)
    device_id = await ensure_server_device(engine, org_id, keys)
    units = ServerUnits(engine, org_id, LedgerConfig(keys, settings.ledger_name))
    return Org(org_id, engine, keys, units, device_id, settings)


@pytest.fixture
async def org(server_settings: ServerSettings) -> AsyncIterator[Org]:
    """The organization 'Acme Lifts'."""
    made = await make_org(server_settings, "Acme Lifts")
    try:
        yield made
    finally:
        await made.engine.dispose()


@pytest.fixture
async def other_org(server_settings: ServerSettings) -> AsyncIterator[Org]:
    """A second organization, 'Rival Lifts', on the same database."""
    made = await make_org(server_settings, "Rival Lifts")
    try:
        yield made
    finally:
        await made.engine.dispose()


PASSWORD = "correct horse battery"


async def add_user(
    org: Org,
    email: str,
    role: Role = Role.TECHNICIAN,
    password: str = PASSWORD,
    *,
    passwords: Passwords | None = None,
) -> UUID:
    """A user of ``org`` who can sign in with ``password``."""
    hasher = passwords or Passwords(time_cost=1, memory_kib=64, parallelism=1)
    name = email.split("@")[0].title()
    created = await create_account(
        RegisterUser(email=email, display_name=name, role=role),
        await hasher.hash(password),
        ctx=org.context(),
        units=org.units,
    )
    return created.id


async def sign_in(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in and return the token pair (fails the test if refused)."""
    response = await api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}
