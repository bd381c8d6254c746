"""Assertions shared by the service tests."""

from __future__ import annotations

from collections.abc import Awaitable
from itertools import pairwise

import pytest

from app.audit.chain import StaticDeviceKeys, verify_events
from app.audit.envelope import genesis_hash
from app.domain.errors import SiteSyncError
from app.services.context import ServiceContext
from tests.fakes import InMemoryStore


async def refused[E: SiteSyncError](
    store: InMemoryStore, call: Awaitable[object], error: type[E]
) -> E:
    """Await ``call``, expect ``error``, and check that nothing at all was written."""
    before_version, before_events = store.version, len(store.events)
    with pytest.raises(error) as caught:
        await call
    assert store.version == before_version, "a refused action committed something"
    assert len(store.events) == before_events
    return caught.value


def assert_chain(store: InMemoryStore, ctx: ServiceContext) -> None:
    """The device chain is contiguous, linked from genesis, hashed and signed correctly."""
    sealed = store.sealed
    device = str(ctx.device.device_id)
    assert [s.body.device_seq for s in sealed] == list(range(1, len(sealed) + 1))
    if sealed:
        assert sealed[0].body.prev_hash == genesis_hash(device)
    for earlier, later in pairwise(sealed):
        assert later.body.prev_hash == earlier.hash
    keys = StaticDeviceKeys({device: ctx.device.signer.public_key})
    report = verify_events(store.stored_events(), keys)
    assert report.events == len(sealed)


def types_of(store: InMemoryStore, start: int = 0) -> list[str]:
    """The event types recorded from position ``start`` on."""
    return [event.type for event in store.events[start:]]
