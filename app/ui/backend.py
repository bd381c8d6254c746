"""What the desktop shell needs from the composition root (``app.bootstrap``), as Protocols.

The backend is opened *on the core worker's loop* (the store's connections belong to it) and
afterwards used only from jobs running there; the Qt thread reads only its immutable values
(``store_label``, ``templates``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol
from uuid import UUID

from app.audit.chain import ChainReport
from app.domain.checklists import TemplateCatalog
from app.domain.events import Event
from app.services.context import Actor, ServiceContext
from app.services.fleet_import import ImportSummary
from app.services.ports import BlobStore, UnitOfWorkFactory
from app.services.queries import FleetFigures

type VerifyProgress = Callable[[int, int], None]
"""Called with (events checked, total events) while the chain is verified."""


class Backend(Protocol):
    """The opened store with its services, as the GUI sees it."""

    @property
    def store_label(self) -> str:
        """Where the data lives, for the status bar, e.g. ``Demo store (~/.local/...)``."""
        ...

    @property
    def store_key(self) -> str:
        """Tells this store from every other one on the computer (drafts are kept per store)."""
        ...

    @property
    def organization_name(self) -> str:
        """The organization the store belongs to (recorded with its settings if not yet)."""
        ...

    @property
    def templates(self) -> TemplateCatalog: ...

    @property
    def blobs(self) -> BlobStore: ...

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Read access for queries (any profile)."""
        ...

    @property
    def figures(self) -> FleetFigures:
        """The fleet's figures for the dashboard and the unit list, kept for this store."""
        ...

    def context_for(self, actor: Actor) -> ServiceContext:
        """The service context for the signed-in profile on this device."""
        ...

    async def verify_chain(self, progress: VerifyProgress) -> ChainReport:
        """Verify the local audit chain; raise ``app.audit.AuditError`` naming the first bad event.

        Must await now and then (e.g. every few hundred events) so that cancelling works.
        """
        ...

    async def check_integrity(self) -> float:
        """Wait for the store's full integrity check (started in the background); its seconds.

        Raises ``StoreCorruptedError`` naming the damage; the store then refuses every write.
        """
        ...

    async def deep_check(self, progress: VerifyProgress) -> ChainReport:
        """Verify the chain, then fold the whole log again and compare with the projections.

        Raise ``app.audit.AuditError`` naming the first bad event, or (rule
        ``projection-mismatch``) the first record the screens show differently from the log.
        """
        ...

    async def recent_events(self, limit: int) -> list[Event]:
        """The newest ``limit`` events of the local log, oldest first."""
        ...

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int:
        """Write the unit's evidence bundle to ``out``; return how many events it holds.

        The bundle is what ``sitesync audit verify --bundle FILE`` checks offline.
        """
        ...

    async def import_fleet_file(self, csv_file: Path, actor: Actor) -> ImportSummary:
        """Check a fleet CSV file line by line and import it all or nothing, as ``actor``.

        Raises ``ImportFileError`` listing every bad line (nothing is imported then).
        """
        ...

    async def aclose(self) -> None:
        """Close the store (called on the worker loop when the window closes)."""
        ...


type BackendOpener = Callable[[], Awaitable[Backend]]
"""Opens the backend; awaited on the core worker's loop at start-up."""
