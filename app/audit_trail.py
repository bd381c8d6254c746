"""Verify a store's audit trail and export a unit's evidence bundle (streaming, bounded memory)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Protocol
from uuid import UUID

from app.audit.anchor import LedgerAnchor, LedgerProof
from app.audit.canonical import parse_canonical
from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys, StoredEvent
from app.audit.envelope import format_timestamp
from app.audit.errors import AuditError, ChainBroken, ProfileViolation, Rule
from app.audit.merkle import leaf_hash, ledger_leaf, verify_inclusion
from app.audit_export import ExportedBundle, export_record
from app.files import write_atomically
from app.store import StoreMeta, StoreReader, open_store_for_reading
from app.store.sync_history import ledger_status
from sync.protocol import InclusionProof

type Progress = Callable[[int, int], None]

PROOF_REQUESTS: Final = 8
"""Inclusion proofs asked of the server at once while a bundle is exported."""

TRUNCATED_RULE = "device-head-mismatch"
"""The log ends before the device head the store recorded: newest events were removed."""


async def verify_open_store(
    store: StoreReader, *, full: bool = True, progress: Progress | None = None
) -> ChainReport:
    """Verify every event of an open store; raise ChainBroken at the first bad one.

    A store joined from a snapshot holds no events of other devices from before it: their
    chains start at the positions the snapshot stated (``ChainReport.from_snapshot``), and
    every event the store holds is checked from there; each device's recorded head must be
    where its checked chain ends (or, with no later event, the snapshot's position).
    """
    total = await store.count_events()
    organization = (await store.meta()).get(StoreMeta.ORGANIZATION_ID)
    if organization is None and total and full:
        raise AuditError(
            Rule.ORGANIZATION,
            "the store records no organization, so its events cannot be checked against it",
        )
    keys = StaticDeviceKeys(await store.device_keys())
    starts = await store.snapshot_heads()
    verifier = ChainVerifier(keys, full=full, organization_id=organization, starts=starts)
    done = 0
    async with aclosing(store.iter_stored_events(content=full)) as events:
        async for event in events:
            verifier.feed(event)
            done += 1
            if progress is not None and done % 5000 == 0:
                progress(done, total)
    report = verifier.finish()
    for device, (seq, digest) in (await store.device_heads()).items():
        head = report.heads.get(device)
        if head is None or head.seq != seq or head.hash != digest:
            found = f"seq {head.seq}" if head else "no events"
            raise ChainBroken(
                TRUNCATED_RULE,
                f"the store recorded device {device} at seq {seq} "
                f"({digest[:12]}...) but its log ends at {found}",
                position=done,
                device_id=device,
                device_seq=seq,
            )
    if progress is not None:
        progress(done, total)
    return replace(report, snapshot_at=await store.snapshot_at()) if starts else report


async def verify_store(
    path: Path, *, full: bool = True, progress: Progress | None = None
) -> ChainReport:
    """Open the store at ``path`` read-only and verify its whole chain."""
    store = await open_store_for_reading(path)
    try:
        return await verify_open_store(store, full=full, progress=progress)
    finally:
        await store.close()


class ProofSource(Protocol):
    """The server's ledger, asked for inclusion proofs (``sync.client.api.SyncApi`` is one)."""

    async def inclusion_proof(
        self, ledger_index: int, tree_size: int | None = None
    ) -> InclusionProof: ...


@dataclass(slots=True)
class _Anchoring:
    """The ledger part of a bundle: the store's verified checkpoint, proofs from the server."""

    store: StoreReader
    proofs: ProofSource | None
    anchorable: int = 0
    """Bundled events the store knows are in the ledger under its verified checkpoint."""

    async def __call__(self, events: Sequence[StoredEvent]) -> LedgerAnchor | None:
        async with self.store.read_db() as db:
            row = await db.fetchone(
                "SELECT checkpoint_size, checkpoint_root, checkpoint_note FROM sync_state"
            )
        if row is None or not row[0] or row[1] is None or row[2] is None:
            return None
        size, root, note = int(row[0]), bytes(row[1]), str(row[2])
        answers = await ledger_status(self.store, [ev.event_id for ev in events])
        anchored = [
            (ev, answer.ledger_index)
            for ev in events
            if (answer := answers.get(ev.event_id)) is not None
            and answer.anchored
            and answer.ledger_index is not None
        ]
        self.anchorable = len(anchored)
        if not anchored or self.proofs is None:
            return None
        gate = asyncio.Semaphore(PROOF_REQUESTS)

        async def prove(ev: StoredEvent, index: int) -> LedgerProof:
            async with gate:
                assert self.proofs is not None
                answer = await self.proofs.inclusion_proof(index, size)
            return _checked_proof(ev, index, answer, size, root)

        found = await asyncio.gather(*(prove(ev, index) for ev, index in anchored))
        return LedgerAnchor(note, tuple(found))


def _checked_proof(
    ev: StoredEvent, index: int, answer: InclusionProof, size: int, root: bytes
) -> LedgerProof:
    """The server's proof of one event, checked against the checkpoint this store verified."""

    def refused(detail: str) -> AuditError:
        return AuditError(
            Rule.INCLUSION_PROOF,
            f"the server's proof of event {ev.event_id} (ledger index {index}) {detail}; "
            "nothing was written",
        )

    if answer.tree_size != size or answer.ledger_index != index:
        raise refused(f"is for entry {answer.ledger_index} of a tree of {answer.tree_size}")
    try:
        parsed = parse_canonical(answer.leaf)
        received_at = parsed.get("received_at") if isinstance(parsed, dict) else None
        if not isinstance(received_at, str):
            raise refused("names no receive time")
        leaf = ledger_leaf(ev.hash, ev.signature, index, received_at)
    except ProfileViolation:
        raise refused("has a leaf that is not a ledger leaf") from None
    if leaf != answer.leaf:
        raise refused("is of another event or signature than this store holds")
    try:
        verify_inclusion(index - 1, size, leaf_hash(leaf), list(answer.proof), root)
    except AuditError as exc:
        raise refused(
            f"does not lead to the checkpoint this store verified ({exc.message})"
        ) from None
    return LedgerProof(ev.event_id, index, received_at, tuple(answer.proof))


async def export_open_store(
    store: StoreReader, unit_id: UUID, proofs: ProofSource | None = None
) -> ExportedBundle:
    """Build the evidence bundle of a unit from an open store.

    With ``proofs`` (the server), the events the ledger holds under the store's verified
    checkpoint are anchored: the bundle carries the checkpoint and their inclusion proofs,
    each checked here against that checkpoint first.
    """
    anchoring = _Anchoring(store, proofs)
    bundle = await export_record(
        store.iter_stored_events,
        await store.device_keys(),
        unit_id,
        generated_at=format_timestamp(datetime.now(UTC)),
        anchor=anchoring,
        from_snapshot=await store.snapshot_at() is not None,
    )
    return replace(bundle, anchorable=anchoring.anchorable)


async def export_unit_bundle(
    path: Path, unit_id: UUID, out: Path, proofs: ProofSource | None = None
) -> ExportedBundle:
    """Write the evidence bundle of unit ``unit_id`` from the store at ``path`` to ``out``.

    The store is opened read-only: an auditor's copy on read-only media can be exported.
    ``proofs``: see ``export_open_store``.
    """
    store = await open_store_for_reading(path)
    try:
        bundle = await export_open_store(store, unit_id, proofs)
    finally:
        await store.close()
    await asyncio.to_thread(write_atomically, out, bundle.data)
    return bundle
