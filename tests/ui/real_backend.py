"""The GUI's Backend Protocol over the real SQLite store (a blueprint for ``app.bootstrap``)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys
from app.bootstrap import Workspace, open_workspace
from app.domain.checklists import TemplateCatalog
from app.domain.events import Event
from app.services.context import Actor, ServiceContext
from app.services.ports import BlobStore, UnitOfWorkFactory
from app.services.queries import unit_audit_trail
from app.services.templates import load_catalog
from app.ui.backend import VerifyProgress


class WorkspaceBackend:
    """An open workspace as the GUI needs it; open it on the core worker's loop."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._templates = load_catalog()

    @classmethod
    async def open(cls, path: Path) -> WorkspaceBackend:
        return cls(await open_workspace(path))

    @property
    def store_label(self) -> str:
        return f"{self.ws.organization_name} — {self.ws.path}"

    @property
    def templates(self) -> TemplateCatalog:
        return self._templates

    @property
    def blobs(self) -> BlobStore:
        return self.ws.blobs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        return self.ws.store.unit_of_work

    def context_for(self, actor: Actor) -> ServiceContext:
        return self.ws.context(actor)

    async def verify_chain(self, progress: VerifyProgress) -> ChainReport:
        store = self.ws.store
        total = await store.count_events()
        verifier = ChainVerifier(StaticDeviceKeys(await store.device_keys()))
        done = 0
        async for event in store.iter_stored_events():
            verifier.feed(event)
            done += 1
            if done % 100 == 0:
                progress(done, total)
        progress(done, total)
        return verifier.finish()

    async def recent_events(self, limit: int) -> list[Event]:
        # The store has no "latest events" query yet; the units' trails stand in for it here.
        async with self.ws.store.unit_of_work() as uow:
            units = await uow.elevators.list_all()
        events: list[Event] = []
        for unit in units:
            events += await unit_audit_trail(self.ws.store.unit_of_work, unit.id)
        return sorted(events, key=lambda e: (e.occurred_at, e.device_seq))[-limit:]

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int:
        return await self.ws.export_evidence_bundle(unit_id, out)

    async def aclose(self) -> None:
        await self.ws.close()
