"""Joining a store to a server account: what is refused, before anything is sent or written."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from app.domain.enums import Role
from app.keystore import KEY_STORAGE_DEMO
from app.services.context import ServiceContext
from app.store import Store
from sync.client.join import JoinRefused, join_store
from sync.client.status import read_sync_status
from sync.protocol import Device, DeviceRegistration, Me
from tests.fakes.sync_api import FakeSyncApi


class SignedIn(FakeSyncApi):
    """The fake server with a signed-in user of ``organization_id``."""

    def __init__(self, organization_id: UUID) -> None:
        super().__init__()
        self.organization_id = organization_id
        self.registered: list[DeviceRegistration] = []

    async def me(self) -> Me:
        return Me(
            user_id=uuid4(),
            organization_id=self.organization_id,
            email="tom@example.com",
            display_name="Tom",
            role=Role.TECHNICIAN,
        )

    async def register_device(self, registration: DeviceRegistration) -> Device:
        self.registered.append(registration)
        raise AssertionError("a refused store must not register its device")


async def test_a_demo_store_is_never_joined(store: Store, ctx: ServiceContext) -> None:
    await store.set_meta({"key_storage": KEY_STORAGE_DEMO})
    api = SignedIn(ctx.device.organization_id)
    with pytest.raises(JoinRefused, match="demo store") as refused:
        await join_store(store, api, server_url="http://sync.example", public_key=b"k" * 32)
    assert refused.value.hint is not None
    assert "new --db path" in refused.value.hint
    assert api.registered == []
    assert not (await read_sync_status(store)).joined


async def test_a_store_of_another_organization_is_never_joined(
    store: Store, ctx: ServiceContext
) -> None:
    api = SignedIn(uuid4())
    with pytest.raises(JoinRefused, match="another organization"):
        await join_store(store, api, server_url="http://sync.example", public_key=b"k" * 32)
    assert api.registered == []
    assert not (await read_sync_status(store)).joined
