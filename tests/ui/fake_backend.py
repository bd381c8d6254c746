"""The GUI's Backend Protocol over the memory store, with real chain verification."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
from uuid import UUID

from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys, StoredEvent
from app.audit.envelope import SealedEvent, format_timestamp
from app.audit.errors import AuditError, Rule
from app.audit_export import export_record
from app.compute import BackgroundCompute
from app.domain.checklists import TemplateCatalog
from app.domain.events import Event
from app.files import write_atomically
from app.services.context import Actor, ServiceContext
from app.services.fleet_import import ImportSummary, import_fleet, parse_fleet_csv
from app.services.ports import BlobStore, Clock, UnitOfWorkFactory
from app.services.queries import FleetFigures
from app.ui.backend import VerifyProgress
from tests.fakes import MemorySnapshotStore
from tests.ui.factories import Fleet


class FakeBackend:
    """What ``app.bootstrap`` provides, built on a seeded memory fleet."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        verify_delay: float = 0.0,
        integrity_error: BaseException | None = None,
        clock: Clock | None = None,
        store_key: str = "test-store",
    ) -> None:
        self.fleet = fleet
        self._store_key = store_key
        self.verify_delay = verify_delay
        self.integrity_error = integrity_error
        self.projection_difference: str | None = None
        """What the deep check reports as the first projection differing from the log."""
        self.closed = False
        self.snapshots = MemorySnapshotStore()
        self._figures = FleetFigures(
            fleet.store.unit_of_work, self.snapshots, runner=BackgroundCompute(), clock=clock
        )

    @property
    def store_label(self) -> str:
        return "Test store (memory)"

    @property
    def store_key(self) -> str:
        return self._store_key

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

    async def check_integrity(self) -> float:
        if self.integrity_error is not None:
            raise self.integrity_error
        return 0.01

    async def deep_check(self, progress: VerifyProgress) -> ChainReport:
        chain = await self.verify_chain(progress)
        if self.projection_difference is not None:
            raise AuditError(Rule.PROJECTION_MISMATCH, self.projection_difference)
        return chain

    async def recent_events(self, limit: int) -> list[Event]:
        return self.fleet.store.events[-limit:]

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int:
        """The unit's bundle built from the memory store's sealed events, as the real store does."""
        sealed = [_stored(s) for s, _e in self.fleet.store.state.log]

        async def read() -> AsyncGenerator[StoredEvent]:
            for stored in sealed:
                yield stored

        keys = {s.device_id: self.fleet.signer().public_key for s in sealed}
        bundle = await export_record(
            read, keys, unit_id, generated_at=format_timestamp(self.fleet.clock.current)
        )
        await asyncio.to_thread(write_atomically, out, bundle.data)
        return bundle.events

    async def import_fleet_file(self, csv_file: Path, actor: Actor) -> ImportSummary:
        rows = parse_fleet_csv(await asyncio.to_thread(csv_file.read_bytes))
        return await import_fleet(rows, ctx=self.fleet.context(actor))

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
