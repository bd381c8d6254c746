"""The services' context on the server: the organization's server device, clock, ids, units.

Writes through the REST API and the admin commands run the same use cases as the desktop app
(``app.services``); their events are signed by the server's device key, one device per
organization, registered on first use.
"""

from __future__ import annotations

import uuid
from typing import Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from app.ids import SystemClock, Uuid7Generator
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.ports import Clock, UnitOfWork
from sync.server.db.engine import transaction
from sync.server.keys import ServerKeys
from sync.server.store.appender import LedgerConfig
from sync.server.store.uow import BeforeCommit, PgUnitOfWork

SERVER_DEVICE_NAMESPACE: Final = uuid.UUID("1f0c8f7e-2d4b-5a6c-8e9f-0a1b2c3d4e5f")
SYSTEM_ACTOR: Final = uuid.uuid5(SERVER_DEVICE_NAMESPACE, "system")
"""The actor of events the administration commands write (no person is signed in)."""


def server_device_id(org: UUID, public_key: bytes) -> UUID:
    """The id of the server's device in ``org`` (a new key is a new device)."""
    return uuid.uuid5(SERVER_DEVICE_NAMESPACE, f"{org}:{public_key.hex()}")


async def ensure_server_device(engine: AsyncEngine, org: UUID, keys: ServerKeys) -> UUID:
    """Register the server's device in ``org`` if it is not yet; return its id."""
    device_id = server_device_id(org, keys.device.public_key)
    async with transaction(engine, org) as conn:
        await conn.execute(
            "INSERT INTO devices (organization_id, device_id, user_id, public_key, label) "
            "VALUES ($1, $2, NULL, $3, 'server') ON CONFLICT DO NOTHING",
            org,
            device_id,
            keys.device.public_key,
        )
    return device_id


class ServerUnits:
    """The unit-of-work factory of one organization (``ports.UnitOfWorkFactory``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        org: UUID,
        config: LedgerConfig,
        clock: Clock | None = None,
        *,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.engine = engine
        self.org = org
        self.config = config
        self.clock = clock or SystemClock()
        self.before_commit = before_commit

    def __call__(self) -> UnitOfWork:
        return self.unit()

    def unit(self) -> PgUnitOfWork:
        """A unit with the server's own extras (ledger appends, prefetch)."""
        return PgUnitOfWork(
            self.engine, self.org, self.config, self.clock, before_commit=self.before_commit
        )

    def with_hook(self, before_commit: BeforeCommit) -> ServerUnits:
        """The same units, each running ``before_commit`` inside its transaction."""
        return ServerUnits(
            self.engine, self.org, self.config, self.clock, before_commit=before_commit
        )


def server_context(
    units: ServerUnits, device_id: UUID, keys: ServerKeys, actor: Actor
) -> ServiceContext:
    """The context of a use case run on the server for ``actor``."""
    return ServiceContext(
        actor=actor,
        device=DeviceIdentity(units.org, device_id, keys.device),
        clock=units.clock,
        ids=Uuid7Generator(),
        uow=units,
    )
