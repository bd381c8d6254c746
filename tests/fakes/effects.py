"""The other outside effects: clock, ids, key store, blobs, snapshots, and a service context.

Each stands in for a Protocol of ``app.services.ports``; ``_check_protocols`` has mypy prove it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from app.audit.signing import Ed25519Signer, Signer
from app.compute import BackgroundCompute
from app.domain.enums import Role
from app.domain.errors import StoreFullError
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.ports import (
    BlobStore,
    Clock,
    ComputeRunner,
    IdGenerator,
    KeyStore,
    SnapshotStore,
    UnitOfWork,
)
from tests.fakes.store import InMemoryStore

ORGANIZATION_ID = UUID("0190a000-0000-7000-8000-00000000000a")
DEVICE_ID = UUID("0190a000-0000-7000-8000-00000000000d")
ADMIN_ID = UUID("0190a000-0000-7000-8000-0000000000a1")


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)``; return the new time."""
        self._now += delta if delta is not None else timedelta(**parts)
        return self._now


class SequentialIds:
    """Deterministic, increasing UUIDs with the version-7 and variant bits set."""

    def __init__(self, start_ms: int = 1_735_689_600_000) -> None:
        self._start_ms = start_ms
        self._count = 0

    def new_id(self) -> UUID:
        self._count += 1
        millis = self._start_ms + self._count
        value = (millis << 80) | (0x7 << 76) | (0b10 << 62) | self._count
        return UUID(int=value)


class MemoryKeyStore:
    """A key store in a dict; ``secure`` as configured (True by default)."""

    def __init__(self, *, secure: bool = True) -> None:
        self._secure = secure
        self.values: dict[str, bytes] = {}

    @property
    def secure(self) -> bool:
        return self._secure

    def get(self, name: str) -> bytes | None:
        return self.values.get(name)

    def set(self, name: str, value: bytes) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


class MemorySnapshotStore:
    """Snapshots in a dict; ``saves`` counts writes."""

    def __init__(self) -> None:
        self.saved: dict[str, bytes] = {}
        self.saves = 0

    async def load_snapshot(self, name: str) -> bytes | None:
        return self.saved.get(name)

    async def save_snapshot(self, name: str, data: bytes) -> None:
        self.saved[name] = data
        self.saves += 1


class MemoryBlobStore:
    """Content-addressed blobs in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.room: int | None = None
        """Set to let only this many more blobs in; the next put fails as on a full disk."""

    async def put(self, data: bytes) -> str:
        if self.room is not None:
            if self.room <= 0:
                raise StoreFullError("The disk is full; the blob was not saved.")
            self.room -= 1
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    async def get(self, sha256: str) -> bytes | None:
        return self.blobs.get(sha256)


class GatedCompute:
    """The app's ``ComputeRunner`` (a daemon thread, the collector paused), with a gate: each
    piece of work waits until the test opens ``gate``, so the test can act while a computation
    is under way. ``started`` is set once work waits at the gate; ``most`` counts the pieces of
    work that were under way at once, at most."""

    def __init__(self) -> None:
        self.inner = BackgroundCompute()
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.running = 0
        self.most = 0

    async def run[T](self, work: Callable[[], T]) -> T:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            self.started.set()
            await self.gate.wait()
            return await self.inner.run(work)
        finally:
            self.running -= 1

    def bulk(self) -> AbstractContextManager[None]:
        return self.inner.bulk()


def make_context(
    store: InMemoryStore,
    *,
    role: Role = Role.ADMIN,
    user_id: UUID = ADMIN_ID,
    name: str = "Test User",
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    organization_id: UUID = ORGANIZATION_ID,
    device_id: UUID = DEVICE_ID,
    signer: Signer | None = None,
) -> ServiceContext:
    """A ServiceContext over ``store`` with a fresh Ed25519 device key unless one is given."""
    device = DeviceIdentity(organization_id, device_id, signer or Ed25519Signer.generate())
    return ServiceContext(
        actor=Actor(user_id, role, name),
        device=device,
        clock=clock or FixedClock(),
        ids=ids or SequentialIds(),
        uow=store.unit_of_work,
    )


def as_actor(ctx: ServiceContext, role: Role, user_id: UUID, name: str = "") -> ServiceContext:
    """The same device, clock and ids, used by another person."""
    return replace(ctx, actor=Actor(user_id, role, name))


def _check_protocols(store: InMemoryStore) -> None:
    """Type-level proof that the fakes satisfy the Protocols (checked by mypy, never run)."""
    _uow: UnitOfWork = store.unit_of_work()
    _clock: Clock = FixedClock()
    _ids: IdGenerator = SequentialIds()
    _keys: KeyStore = MemoryKeyStore()
    _blobs: BlobStore = MemoryBlobStore()
    _snapshots: SnapshotStore = MemorySnapshotStore()
    _compute: ComputeRunner = GatedCompute()
