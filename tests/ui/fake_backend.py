"""The GUI's Backend Protocol over the memory store, with real chain verification."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

from app.audit.bundle import build_bundle
from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys, StoredEvent
from app.audit.envelope import SealedEvent, format_timestamp
from app.compute import BackgroundCompute
from app.domain.checklists import TemplateCatalog
from app.domain.events import Event
from app.services.context import Actor, ServiceContext
from app.services.ports import BlobStore, Clock, UnitOfWorkFactory
from app.services.queries import FleetFigures, unit_audit_trail
from app.ui.backend import VerifyProgress
from tests.fakes import MemorySnapshotStore
from tests.ui.factories import Fleet


class FakeBackend:
    """What ``app.bootstrap`` provides, built on a seeded memory fleet."""

    def __init__(
        self, fleet: Fleet, *, verify_delay: float = 0.0, clock: Clock | None = None
    ) -> None:
        self.fleet = fleet
        self.verify_delay = verify_delay
        self.closed = False
        self.snapshots = MemorySnapshotStore()
        self._figures = FleetFigures(
            fleet.store.unit_of_work, self.snapshots, runner=BackgroundCompute(), clock=clock
        )

    @property
    def store_label(self) -> str:
        return "Test store (memory)"

    @property
    def organization_name(self) -> str:
        return "Test Lifts Ltd"

    @property
    def templates(self) -> TemplateCatalog:
        return self.fleet.templates

    @property
    def blobs(self) -> BlobStore:
        return self.fleet.blobs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        return self.fleet.store.unit_of_work

    @property
    def figures(self) -> FleetFigures:
        return self._figures

    def context_for(self, actor: Actor) -> ServiceContext:
        return self.fleet.context(actor)

    async def verify_chain(self, progress: VerifyProgress) -> ChainReport:
        sealed = [s for s, _e in self.fleet.store.state.log]
        keys = StaticDeviceKeys({s.body.device_id: self.fleet.signer().public_key for s in sealed})
        verifier = ChainVerifier(keys)
        for index, s in enumerate(sealed, 1):
            verifier.feed(_stored(s))
            if index % 50 == 0 or index == len(sealed):
                progress(index, len(sealed))
                await asyncio.sleep(self.verify_delay)
        return verifier.finish()

    async def recent_events(self, limit: int) -> list[Event]:
        return self.fleet.store.events[-limit:]

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int:
        """The unit's bundle built from the memory store's sealed events, as the real store does."""
        wanted = {str(e.event_id) for e in await unit_audit_trail(self.unit_of_work, unit_id)}
        sealed = [_stored(s) for s, _e in self.fleet.store.state.log]
        picked = [s for s in sealed if s.event_id in wanted]
        last: dict[str, int] = {}
        for s in picked:
            last[s.device_id] = max(last.get(s.device_id, 0), s.device_seq)
        links = {
            device: [
                (s.device_seq, s.prev_hash, s.hash)
                for s in sealed
                if s.device_id == device and s.device_seq <= seq
            ]
            for device, seq in last.items()
        }
        data = build_bundle(
            subject={"entity_type": "elevator", "entity_id": str(unit_id)},
            events=picked,
            links=links,
            device_keys={device: self.fleet.signer().public_key for device in links},
            generated_at=format_timestamp(self.fleet.clock.current),
        )
        await asyncio.to_thread(out.write_bytes, data)
        return len(picked)

    async def aclose(self) -> None:
        self.closed = True


def _stored(s: SealedEvent) -> StoredEvent:
    body = s.body
    return StoredEvent(
        str(body.event_id),
        str(body.device_id),
        body.device_seq,
        body.prev_hash,
        s.hash,
        s.signature,
        s.canonical,
    )
