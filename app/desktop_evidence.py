"""The desktop app's evidence bundles, anchored through the app's own sign-in when it can.

Signed in and online, a bundle carries the checkpoint the store verified and the inclusion proofs
of its synced events, asked of the server with the session the app syncs with (a second sign-in
would rotate its refresh token). Offline or signed out, the bundle is written without them and
the answer says why, so the user knows to sync and export again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from uuid import UUID

from app.audit_export import ExportedBundle
from app.audit_trail import ProofSource
from app.bootstrap import Workspace
from app.ui.sync.port import EvidenceExport
from sync.client.errors import AuthExpiredError, TransientSyncError

NOT_SIGNED_IN: Final = "this store is not signed in to a server"
OFFLINE: Final = "the server could not be reached"
SIGN_IN_AGAIN: Final = "the server asks you to sign in again"
NOTHING_SYNCED: Final = (
    "none of its events is in the server's ledger under a checkpoint this store has verified yet"
)


async def export_evidence(
    ws: Workspace, unit_id: UUID, out: Path, *, proofs: ProofSource | None, demo: bool
) -> EvidenceExport:
    """Write the unit's bundle to ``out``: with the ledger part through ``proofs`` if it can."""
    if demo:  # a demo store never joins a server: its events are in no ledger
        return _written(await ws.write_evidence_bundle(unit_id, out), None)
    if proofs is None:
        why = NOT_SIGNED_IN
    else:
        try:
            bundle = await ws.write_evidence_bundle(unit_id, out, proofs)
        except TransientSyncError:
            why = OFFLINE
        except AuthExpiredError:
            why = SIGN_IN_AGAIN
        else:
            return _written(bundle, NOTHING_SYNCED)
    return _written(await ws.write_evidence_bundle(unit_id, out), why)


def _written(bundle: ExportedBundle, why: str | None) -> EvidenceExport:
    if bundle.anchored:
        return EvidenceExport(bundle.events, bundle.anchored, bundle.checkpoint_size)
    return EvidenceExport(bundle.events, not_anchored=why)
