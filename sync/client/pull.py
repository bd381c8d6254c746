"""Pull: the ledger's pages after this store's cursor, verified, folded and stored.

Every page is verified (``sync.client.verify``: signed checkpoint, consistency with the last
one, each entry's canonical bytes, hash, signature and device chain, and the Merkle tree they
grow) before anything of it is written; each verified page is then folded, answered and the
cursor moved in one SQLite transaction, so a run cut off anywhere resumes from the last page
stored.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from app.audit.checkpoint import Checkpoint
from app.store.compiled_sql import Db
from app.store.database import Store
from app.store.sync_fold import (
    FoldCache,
    ForeignEventError,
    PulledEvent,
    refold_entities,
    store_pulled,
)
from app.store.sync_schema import PushStatus
from app.store.sync_state import EventAnswer, SyncAccount, SyncStateWriter
from sync.client.api import SyncApi
from sync.client.errors import IntegrityError
from sync.client.status import ProgressCallback, RunCounts, SyncPhase, SyncProgress
from sync.client.verify import (
    ChainHead,
    EntryVerifier,
    SignatureChecks,
    UnknownDevice,
    frontier_bytes,
    refused,
    tree_from_frontier,
    verify_checkpoint,
    verify_growth,
)
from sync.client.witnessing import Call, Witnessing
from sync.protocol import MAX_PULL_LIMIT, LedgerEntry, PullResponse

PULL_LIMIT: Final = MAX_PULL_LIMIT
"""Entries asked for per pull page."""


class LedgerPull:
    """One run's pull for a store joined as ``account``."""

    def __init__(
        self, store: Store, api: SyncApi, call: Call, account: SyncAccount, witness: Witnessing
    ) -> None:
        self.store = store
        self.api = api
        self.call = call
        """The engine's way to call the server (refreshing the token once on a 401)."""
        self.account = account
        self.witness = witness
        """Checks and collects the checkpoints' cosignatures as pages come."""

    async def run(self, counts: RunCounts, report: ProgressCallback) -> None:
        """Pull, verify and store pages until the ledger's end.

        Pages overlap. While a page is checked, the next one is already asked for; its
        signatures are verified on the other threads while the next page is checked; and it
        is stored (folded, answered, the cursor moved) while the page after it is fetched and
        checked, the store's writes running on its own thread meanwhile. Pages are stored one
        at a time and in order, each only after every signature in it verified; a refusal of
        a page stores the verified pages before it first, as taking the pages one at a time
        would.
        """
        async with self.store.sync_transaction() as db:
            state = await SyncStateWriter(db).state()
            keys = await _device_keys(db)
            heads = await _ledger_heads(db, self.account.device_id, state.cursor)
        tree = tree_from_frontier(state.cursor, state.frontier)
        verifier = EntryVerifier(self.account.organization_id, keys, heads, tree)

        async def learn(wanted: str) -> None:
            await self._learn_devices(verifier, wanted)

        self.witness.learn = learn
        old_size, old_root = state.checkpoint_size, state.checkpoint_root
        folded = FoldCache()
        counts.cursor = tree.size
        report(SyncProgress(SyncPhase.PULL, 0, None))

        storing: asyncio.Future[None] | None = None
        """The page being stored, on the loop beside the next page's fetch and checks."""

        async def stored() -> None:
            nonlocal storing
            if storing is not None:
                done, storing = storing, None
                await done

        def store(page: _CheckedPage) -> None:
            nonlocal storing
            storing = asyncio.ensure_future(self._apply(page, counts, folded, report))

        waiting: _CheckedPage | None = None
        checked: _CheckedPage | None = None
        fetch = self._fetch(tree.size, old_size)
        try:
            while True:
                try:
                    page = await fetch
                    checked = await self._check_page(verifier, page, old_size, old_root)
                except Exception:
                    await stored()
                    if waiting is not None:
                        done, waiting = waiting, None
                        await self._apply(done, counts, folded, report)
                    raise
                if checked is None:
                    break
                old_size, old_root = checked.size, checked.root
                if checked.more:
                    fetch = self._fetch(checked.size, old_size)
                await stored()
                if waiting is not None:
                    store(waiting)
                waiting, checked = checked, None
                if not waiting.more:
                    break
            await stored()
            if waiting is not None:
                done, waiting = waiting, None
                await self._apply(done, counts, folded, report)
        finally:
            for pending in (storing, fetch):
                if pending is not None and not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await pending
            for unstored in (waiting, checked):
                if unstored is not None:
                    unstored.signatures.cancel()

    def _fetch(self, after: int, known_size: int) -> asyncio.Task[PullResponse]:
        """The pull page after ``after``, asked for now and awaited when it is needed."""
        return asyncio.ensure_future(
            self.call(self.api.pull, after, PULL_LIMIT, known_size if known_size else None)
        )

    async def _check_page(
        self,
        verifier: EntryVerifier,
        page: PullResponse,
        old_size: int,
        old_root: bytes | None,
    ) -> _CheckedPage | None:
        """Check a page against the verified tree (its signatures still under way); None at
        the ledger's end (its checkpoint verified).

        ``old_size`` and ``old_root``: the last checkpoint verified, which the page's must grow.
        """
        checkpoint = verify_checkpoint(self.account, page.checkpoint)
        verify_growth(old_size, old_root, checkpoint, page.consistency_proof)
        proved = {(old_size, checkpoint.size): list(page.consistency_proof or [])}
        tree = verifier.tree
        if not page.entries and tree.size == checkpoint.size:
            verifier.check_root(checkpoint)
            await self.witness.check(page.checkpoint, checkpoint, verifier.keys, proved)
            return None
        cursor = tree.size
        pulled, signatures = await self._verify_page(verifier, page.entries)
        try:
            await self.witness.check(page.checkpoint, checkpoint, verifier.keys, proved)
            proof_note = await self._prove(verifier, checkpoint, more=page.more)
        except BaseException:
            signatures.cancel()
            raise
        root = tree.root()
        return _CheckedPage(
            pulled,
            signatures,
            proof_note or page.checkpoint.note,
            tree.size,
            root,
            frontier_bytes(tree),
            checkpoint.size - cursor,
            page.more,
        )

    async def _verify_page(
        self, verifier: EntryVerifier, entries: list[LedgerEntry]
    ) -> tuple[list[PulledEvent], SignatureChecks]:
        """Every entry of a page checked; its signatures handed to the verification threads
        (``SignatureChecks.settle`` before the page is stored).

        A refusal names the first bad entry: a bad signature before an entry that fails
        another check is reported first, as checking the entries one by one would.
        """
        pulled: list[PulledEvent] = []
        signatures = SignatureChecks()
        try:
            for entry in entries:
                try:
                    sealed = verifier.check(entry, signatures)
                except UnknownDevice as unknown:
                    await self._learn_devices(verifier, unknown.device_id)
                    sealed = verifier.check(entry, signatures)
                pulled.append(
                    PulledEvent(sealed, entry.ledger_index, _entry_status(entry), entry.reason)
                )
        except IntegrityError:
            signatures.settle()
            raise
        except BaseException:
            signatures.cancel()
            raise
        return pulled, signatures

    async def _prove(
        self, verifier: EntryVerifier, checkpoint: Checkpoint, *, more: bool
    ) -> str | None:
        """Tie the entries so far to a signed root; the note that proves them (None: ``page``'s)."""
        if verifier.tree.size == checkpoint.size:
            verifier.check_root(checkpoint)
            return None
        if verifier.tree.size > checkpoint.size:
            raise refused(f"entries beyond its own checkpoint of {checkpoint.size}")
        if not more:
            raise refused(
                f"it stopped at entry {verifier.tree.size} before its checkpoint of "
                f"{checkpoint.size}"
            )
        size = verifier.tree.size
        proof = await self.call(self.api.consistency_proof, size, checkpoint.size)
        signed = verify_checkpoint(self.account, proof.checkpoint)
        verifier.check_prefix(signed, list(proof.proof))
        return proof.checkpoint.note

    async def _learn_devices(self, verifier: EntryVerifier, wanted: str) -> None:
        """Fetch the organization's device keys (the snapshot lists them first)."""
        cursor: str | None = None
        found: dict[str, bytes] = {}
        while True:
            page = await self.call(self.api.snapshot, cursor=cursor, limit=MAX_PULL_LIMIT)
            devices = [i for i in page.items if i.kind == "device"]
            for item in devices:
                found[item.key] = _b64(item.data["public_key"])
            if len(devices) < len(page.items) or page.next_cursor is None:
                break
            cursor = page.next_cursor
        if wanted not in found:
            raise refused(f"an entry is signed by device {wanted}, which it does not list")
        async with self.store.sync_transaction() as db:
            await _save_device_keys(db, self.account.organization_id, found)
        verifier.keys.update(found)

    async def _apply(
        self,
        page: _CheckedPage,
        counts: RunCounts,
        folded: FoldCache,
        report: ProgressCallback,
    ) -> None:
        """Once its signatures verify, fold a checked page, record the answers and move the
        cursor: one transaction.

        ``folded`` carries the entities folded by the run's earlier pages, so each page folds
        only the entries it brings.
        """
        page.signatures.settle()
        pulled = page.pulled
        try:
            async with self.store.sync_transaction() as db:
                new = await store_pulled(db, pulled)
                state = SyncStateWriter(db)
                await state.record_answers(
                    EventAnswer(p.sealed.body.event_id, p.status, p.ledger_index, p.reason)
                    for p in pulled
                )
                touched = {p.sealed.body.entity_id for p in pulled}
                fold = await refold_entities(db, touched, cache=folded, upto=page.size)
                counts.conflicts += await state.record_conflicts(fold.conflicts)
                await state.resolve_conflicts(fold.resolved)
                await state.update_state(
                    cursor=page.size,
                    checkpoint_size=page.size,
                    checkpoint_root=page.root,
                    checkpoint_note=page.note,
                    frontier=page.frontier,
                )
        except ForeignEventError as exc:
            raise refused(str(exc)) from None
        counts.pulled += len(pulled)
        counts.changed.update((p.sealed.body.entity_type, p.sealed.body.entity_id) for p in new)
        counts.cursor = page.size
        report(SyncProgress(SyncPhase.PULL, counts.pulled, page.left))


@dataclass(slots=True)
class _CheckedPage:
    """A pull page whose entries are checked, waiting to be stored (signatures under way)."""

    pulled: list[PulledEvent]
    signatures: SignatureChecks
    note: str
    """The signed checkpoint note that proves the entries so far."""
    size: int
    """The verified tree's size after this page (the cursor it moves to)."""
    root: bytes
    frontier: bytes
    left: int
    """Entries from this page's start to its checkpoint's size."""
    more: bool


def _entry_status(entry: LedgerEntry) -> PushStatus:
    return PushStatus(entry.status.value)


def _b64(text: object) -> bytes:
    return base64.b64decode(str(text), validate=True)


async def _device_keys(db: Db) -> dict[str, bytes]:
    rows = await db.fetchall("SELECT device_id, public_key FROM devices")
    return {str(d): bytes(k) for d, k in rows}


async def _save_device_keys(db: Db, organization_id: str, keys: dict[str, bytes]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    await db.executemany(
        "INSERT INTO devices (device_id, public_key, organization_id, label, created_at, "
        "is_local) VALUES (?, ?, ?, '', ?, 0) ON CONFLICT (device_id) DO NOTHING",
        [(d, k, organization_id, now) for d, k in keys.items()],
    )


async def _ledger_heads(db: Db, own_device: str, cursor: int) -> dict[str, ChainHead]:
    """Each device's newest event in the ledger up to ``cursor``, as this store knows it."""
    rows = await db.fetchall("SELECT device_id, device_seq, hash FROM device_heads")
    heads = {str(d): ChainHead(int(s), str(h)) for d, s, h in rows if str(d) != own_device}
    own = await db.fetchone(
        "SELECT e.device_seq, e.hash FROM events e JOIN sync_events s ON s.event_id = e.event_id "
        "WHERE e.device_id = ? AND s.ledger_index <= ? ORDER BY e.device_seq DESC LIMIT 1",
        (own_device, cursor),
    )
    if own is not None:
        heads[own_device] = ChainHead(int(own[0]), str(own[1]))
    return heads
