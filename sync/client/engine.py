"""One sync run: push pending events, pull and verify the ledger, fold it, record it all.

``SyncEngine.run_once`` is what the scheduler and ``sitesync sync`` call. It never raises for
a failure of the run itself: the ``SyncSummary`` says how it ended (``ok``; ``failed``, retry
later with backoff; ``stopped``, a person must act) and the store's sync state keeps the
problem and its next step for the status. Local data is never dropped or rewritten:

- Push: pending events go in batches (``MAX_PUSH_EVENTS`` or ``MAX_PUSH_BYTES``); the answer
  for each event is recorded (accepted, duplicate, conflict, rejected with its reason). A
  rejected event stays in the ledger and under "Needs attention"; the events after it go on.
  A batch the server refuses on verification (a tampered chain) is recorded against the event
  it names, and sync stops with the reason.
- Pull: every page is verified (``sync.client.verify``) before anything is written; each
  verified page is folded, answered and the cursor moved in one SQLite transaction.
- A 401 refreshes the access token once and retries the request once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol
from uuid import UUID

from app.audit.checkpoint import Checkpoint
from app.audit.signing import Signer
from app.store.blobs import FileBlobStore
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
from sync.client.blobs import move_blobs
from sync.client.errors import (
    AuthExpiredError,
    IntegrityError,
    PermanentSyncError,
    TransientSyncError,
    UpdateRequiredError,
)
from sync.client.status import RunOutcome, SyncPhase, SyncProgress, SyncSummary
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
from sync.client.witnessing import Witnessing
from sync.protocol import (
    MAX_PULL_LIMIT,
    MAX_PUSH_BYTES,
    MAX_PUSH_EVENTS,
    EventResult,
    EventStatus,
    LedgerEntry,
    PullResponse,
    PushRequest,
    WireEvent,
)

PULL_LIMIT: Final = MAX_PULL_LIMIT
"""Entries asked for per pull page."""
PUSH_OVERHEAD: Final = 512
"""Bytes of JSON around each event's canonical bytes, counted against ``MAX_PUSH_BYTES``."""

type ProgressCallback = Callable[[SyncProgress], None]


class AccessTokens(Protocol):
    """Where the engine gets access tokens (the credentials manager; a fixed one in tests)."""

    async def access_token(self) -> str:
        """A valid access token (signing in or refreshing as needed)."""
        ...

    async def after_rejection(self, rejected: str) -> str:
        """A new access token after the server refused ``rejected`` (one refresh at a time)."""
        ...


class FixedToken:
    """``AccessTokens`` with one token and no way to refresh it."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self) -> str:
        return self.token

    async def after_rejection(self, rejected: str) -> str:
        raise AuthExpiredError("The access token expired.", hint="Sign in again to sync.")


class PasswordTokens:
    """``AccessTokens`` from an e-mail and password: signs in once, then refreshes."""

    def __init__(self, api: SyncApi, email: str, password: str) -> None:
        self.api = api
        self.email = email
        self.password = password
        self._access: str | None = None
        self._refresh: str | None = None

    async def access_token(self) -> str:
        if self._access is None:
            pair = await self.api.token(self.email, self.password)
            self._access, self._refresh = pair.access_token, pair.refresh_token
        return self._access

    async def after_rejection(self, rejected: str) -> str:
        if self._access != rejected:
            return await self.access_token()  # someone refreshed meanwhile
        if self._refresh is not None:
            try:
                pair = await self.api.refresh(self._refresh)
            except AuthExpiredError:
                self._access = self._refresh = None
                return await self.access_token()
            self._access, self._refresh = pair.access_token, pair.refresh_token
            return self._access
        self._access = None
        return await self.access_token()


@dataclass(slots=True)
class _Counts:
    pushed: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    blobs_up: int = 0
    blobs_down: int = 0
    cursor: int = 0
    changed: set[tuple[str, str]] = field(default_factory=set)


def _answer(result: EventResult) -> EventAnswer:
    if result.status is EventStatus.REJECTED:
        status = PushStatus.REJECTED
    elif result.status is EventStatus.CONFLICT:
        status = PushStatus.CONFLICT
    elif result.duplicate:
        status = PushStatus.DUPLICATE
    else:
        status = PushStatus.ACCEPTED
    return EventAnswer(str(result.event_id), status, result.ledger_index, result.reason)


def _entry_status(entry: LedgerEntry) -> PushStatus:
    return PushStatus(entry.status.value)


class SyncEngine:
    """Syncs one store joined to a server (``sync.client.join``) through a ``SyncApi``."""

    def __init__(
        self,
        store: Store,
        api: SyncApi,
        tokens: AccessTokens,
        *,
        blobs: FileBlobStore | None = None,
        cosigner: Signer | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.api = api
        self.tokens = tokens
        self.blobs = blobs
        """Where this store's photos and signatures are (None: blobs are not synced)."""
        self.cosigner = cosigner
        """The device key that cosigns verified checkpoints (None: this run checks the
        cosignatures it sees but makes none)."""
        self.now = now
        self._token: str | None = None
        self._running = asyncio.Lock()

    # -- one run ----------------------------------------------------------------------------

    async def run_once(self, progress: ProgressCallback | None = None) -> SyncSummary:
        """Push, then pull; the summary of how it went (see the module's docstring).

        Runs never overlap: a run asked for while another is under way starts when it ends
        (and finds only what is still to do).
        """
        async with self._running:
            return await self._run(progress)

    async def _run(self, progress: ProgressCallback | None) -> SyncSummary:
        report = progress or (lambda _: None)
        account = await self.account()
        if account is None:
            return SyncSummary(
                RunOutcome.STOPPED,
                problem="This store is not joined to a server, so it does not sync.",
                hint="Sign in with 'sitesync login --server URL --email EMAIL' first.",
            )
        async with self.store.sync_transaction() as db:
            run_id = await SyncStateWriter(db).start_run()
        counts = _Counts()
        outcome, problem, hint, kind, retry = RunOutcome.OK, None, None, None, None
        try:
            report(SyncProgress(SyncPhase.CONNECT, 0, None))
            self._token = await self.tokens.access_token()
            self.api.set_access_token(self._token)
            witness = Witnessing(self.store, self.api, account, self.cosigner, self._call)
            await witness.load()
            await self._push(account, counts, report)
            await self._pull(account, counts, report, witness)
            await witness.cosign_and_upload()
            if self.blobs is not None:
                report(SyncProgress(SyncPhase.BLOBS, 0, None))
                moved = await self._call(
                    move_blobs, self.store, self.blobs, self.api, account.device_id
                )
                counts.blobs_up, counts.blobs_down = moved.uploaded, moved.downloaded
            report(SyncProgress(SyncPhase.DONE, 1, 1))
        except TransientSyncError as exc:
            outcome, problem, hint, kind = RunOutcome.FAILED, exc.message, exc.hint, "transient"
            retry = exc.retry_after
        except AuthExpiredError as exc:
            outcome, problem, kind = RunOutcome.STOPPED, exc.message, "auth"
            hint = "Sign in again to sync; your work is kept and uploads after you sign in."
        except UpdateRequiredError as exc:
            outcome, problem, hint, kind = RunOutcome.STOPPED, exc.message, exc.hint, "update"
        except IntegrityError as exc:
            outcome, problem, hint, kind = RunOutcome.STOPPED, exc.message, exc.hint, "integrity"
        except PermanentSyncError as exc:
            outcome, problem, hint, kind = RunOutcome.STOPPED, exc.message, exc.hint, "permanent"
        await self._finish(run_id, counts, outcome, problem, hint, kind)
        return SyncSummary(
            outcome,
            pushed=counts.pushed,
            accepted=counts.accepted,
            duplicates=counts.duplicates,
            conflicts=counts.conflicts,
            rejected=counts.rejected,
            pulled=counts.pulled,
            blobs_up=counts.blobs_up,
            blobs_down=counts.blobs_down,
            cursor=counts.cursor,
            problem=problem,
            hint=hint,
            retry_after=retry,
            changed_entities=tuple(sorted(counts.changed)),
        )

    async def account(self) -> SyncAccount | None:
        """The account the store is joined to (None: it never syncs)."""
        async with self.store.sync_transaction() as db:
            return await SyncStateWriter(db).account()

    async def _finish(
        self,
        run_id: int,
        counts: _Counts,
        outcome: RunOutcome,
        problem: str | None,
        hint: str | None,
        kind: str | None,
    ) -> None:
        clock = self.api.clock
        values: dict[str, object] = {"problem": problem, "problem_hint": hint}
        values["problem_kind"] = kind
        if clock is not None:
            values["clock_offset_seconds"] = round(clock.offset_seconds, 3)
        if outcome is RunOutcome.OK:
            values["last_success_at"] = self.now()
        async with self.store.sync_transaction() as db:
            state = SyncStateWriter(db)
            await state.update_state(**values)
            await state.finish_run(
                run_id,
                outcome=outcome.value,
                pushed=counts.pushed,
                pulled=counts.pulled,
                rejected=counts.rejected,
                conflicts=counts.conflicts,
                problem=problem,
            )

    async def _call[**P, T](
        self, request: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``request(...)``, once more after a refreshed token if the server answers 401."""
        try:
            return await request(*args, **kwargs)
        except AuthExpiredError:
            self._token = await self.tokens.after_rejection(self._token or "")
            self.api.set_access_token(self._token)
            return await request(*args, **kwargs)

    # -- push -------------------------------------------------------------------------------

    async def _push(self, account: SyncAccount, counts: _Counts, report: ProgressCallback) -> None:
        async with self.store.sync_transaction() as db:
            total = await SyncStateWriter(db).pending_count(account.device_id)
        report(SyncProgress(SyncPhase.PUSH, 0, total))
        after_seq = 0
        while True:
            async with self.store.sync_transaction() as db:
                rows = await SyncStateWriter(db).pending(
                    account.device_id, after_seq, MAX_PUSH_EVENTS
                )
            if not rows:
                return
            batch = _fit(rows)
            request = PushRequest(
                device_id=UUID(account.device_id),
                events=[WireEvent(canonical=c, hash=h, signature=s) for _, c, h, s in batch],
                sent_at=self.now(),
            )
            try:
                response = await self._call(self.api.push, request)
            except PermanentSyncError as exc:
                await self._refused_batch(exc, batch)
                raise
            answers = [_answer(r) for r in response.results]
            async with self.store.sync_transaction() as db:
                await SyncStateWriter(db).record_answers(answers)
            for answer in answers:
                counts.pushed += 1
                if answer.status is PushStatus.REJECTED:
                    counts.rejected += 1
                elif answer.status is PushStatus.CONFLICT:
                    counts.conflicts += 1
                elif answer.status is PushStatus.DUPLICATE:
                    counts.duplicates += 1
                else:
                    counts.accepted += 1
            after_seq = batch[-1][0]
            report(SyncProgress(SyncPhase.PUSH, counts.pushed, max(total, counts.pushed)))

    async def _refused_batch(
        self, exc: PermanentSyncError, batch: Sequence[tuple[int, bytes, str, bytes]]
    ) -> None:
        """Record why the server refused a batch against the event it names, then stop."""
        if exc.status == 409 and exc.code == "SEQUENCE_GAP":
            raise IntegrityError(
                f"The server expects this device's event {exc.expected_device_seq} next, but "
                f"this store already has the server's answer for it ({exc.message})",
                hint="Sync has stopped and this device's data is kept. Tell your administrator: "
                "the server may have been restored from an older backup.",
            ) from exc
        if exc.status not in (403, 422):
            return
        event_id = exc.event_id or json.loads(batch[0][1])["event_id"]
        rule = f" (rule {exc.rule})" if exc.rule else ""
        reason = f"{exc.message}{rule}"
        async with self.store.sync_transaction() as db:
            await SyncStateWriter(db).record_answers(
                [EventAnswer(event_id, PushStatus.REFUSED, None, reason)]
            )
        raise IntegrityError(
            f"The server refused this device's events: {reason}",
            hint=exc.hint or "Sync has stopped; your data is kept. Tell your administrator.",
        ) from exc

    # -- pull -------------------------------------------------------------------------------

    async def _pull(
        self, account: SyncAccount, counts: _Counts, report: ProgressCallback, witness: Witnessing
    ) -> None:
        """Pull, verify and store pages until the ledger's end.

        Pages overlap: while a verified page is stored, the next one is already asked for,
        and once it has come and its entries are checked, its signatures are verified on the
        other threads while the page before is stored. A page is stored only after every
        signature in it verified; a refusal of a page stores the verified pages before it
        first, as taking the pages one at a time would.
        """
        async with self.store.sync_transaction() as db:
            state = await SyncStateWriter(db).state()
            keys = await _device_keys(db)
            heads = await _ledger_heads(db, account.device_id, state.cursor)
        tree = tree_from_frontier(state.cursor, state.frontier)
        verifier = EntryVerifier(account.organization_id, keys, heads, tree)

        async def learn(wanted: str) -> None:
            await self._learn_devices(account, verifier, wanted)

        witness.learn = learn
        old_size, old_root = state.checkpoint_size, state.checkpoint_root
        folded = FoldCache()
        counts.cursor = tree.size
        report(SyncProgress(SyncPhase.PULL, 0, None))
        waiting: _CheckedPage | None = None
        fetch = self._fetch(tree.size, old_size)
        try:
            while True:
                try:
                    page = await fetch
                    checked = await self._check_page(
                        account, verifier, witness, page, old_size, old_root
                    )
                except Exception:
                    if waiting is not None:
                        done, waiting = waiting, None
                        await self._apply(done, counts, folded, report)
                    raise
                if checked is None:
                    break
                old_size, old_root = checked.size, checked.root
                if checked.more:
                    fetch = self._fetch(checked.size, old_size)
                if waiting is not None:
                    done, waiting = waiting, None
                    await self._apply(done, counts, folded, report)
                waiting = checked
                if not checked.more:
                    break
            if waiting is not None:
                done, waiting = waiting, None
                await self._apply(done, counts, folded, report)
        finally:
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
            if waiting is not None:
                waiting.signatures.cancel()

    def _fetch(self, after: int, known_size: int) -> asyncio.Task[PullResponse]:
        """The pull page after ``after``, asked for now and awaited when it is needed."""
        return asyncio.ensure_future(
            self._call(self.api.pull, after, PULL_LIMIT, known_size if known_size else None)
        )

    async def _check_page(
        self,
        account: SyncAccount,
        verifier: EntryVerifier,
        witness: Witnessing,
        page: PullResponse,
        old_size: int,
        old_root: bytes | None,
    ) -> _CheckedPage | None:
        """Check a page against the verified tree (its signatures still under way); None at
        the ledger's end (its checkpoint verified).

        ``old_size`` and ``old_root``: the last checkpoint verified, which the page's must grow.
        """
        checkpoint = verify_checkpoint(account, page.checkpoint)
        verify_growth(old_size, old_root, checkpoint, page.consistency_proof)
        proved = {(old_size, checkpoint.size): list(page.consistency_proof or [])}
        tree = verifier.tree
        if not page.entries and tree.size == checkpoint.size:
            verifier.check_root(checkpoint)
            await witness.check(page.checkpoint, checkpoint, verifier.keys, proved)
            return None
        cursor = tree.size
        pulled, signatures = await self._verify_page(account, verifier, page.entries)
        try:
            await witness.check(page.checkpoint, checkpoint, verifier.keys, proved)
            proof_note = await self._prove(account, verifier, checkpoint, more=page.more)
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
        self, account: SyncAccount, verifier: EntryVerifier, entries: list[LedgerEntry]
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
                    await self._learn_devices(account, verifier, unknown.device_id)
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
        self, account: SyncAccount, verifier: EntryVerifier, checkpoint: Checkpoint, *, more: bool
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
        proof = await self._call(self.api.consistency_proof, size, checkpoint.size)
        signed = verify_checkpoint(account, proof.checkpoint)
        verifier.check_prefix(signed, list(proof.proof))
        return proof.checkpoint.note

    async def _learn_devices(
        self, account: SyncAccount, verifier: EntryVerifier, wanted: str
    ) -> None:
        """Fetch the organization's device keys (the snapshot lists them first)."""
        cursor: str | None = None
        found: dict[str, bytes] = {}
        while True:
            page = await self._call(self.api.snapshot, cursor=cursor, limit=MAX_PULL_LIMIT)
            devices = [i for i in page.items if i.kind == "device"]
            for item in devices:
                found[item.key] = _b64(item.data["public_key"])
            if len(devices) < len(page.items) or page.next_cursor is None:
                break
            cursor = page.next_cursor
        if wanted not in found:
            raise refused(f"an entry is signed by device {wanted}, which it does not list")
        async with self.store.sync_transaction() as db:
            await _save_device_keys(db, account.organization_id, found)
        verifier.keys.update(found)

    async def _apply(
        self,
        page: _CheckedPage,
        counts: _Counts,
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


def _fit(
    rows: list[tuple[int, bytes, str, bytes]],
) -> list[tuple[int, bytes, str, bytes]]:
    """The longest prefix of ``rows`` within the push limits (at least one event)."""
    size = 0
    for count, row in enumerate(rows):
        size += len(row[1]) * 4 // 3 + PUSH_OVERHEAD
        if size > MAX_PUSH_BYTES and count:
            return rows[:count]
    return rows


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
