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
- Pull (``sync.client.pull``): every page is verified (``sync.client.verify``) before anything
  is written; each verified page is folded, answered and the cursor moved in one SQLite
  transaction.
- A 401 refreshes the access token once and retries the request once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Final, Protocol
from uuid import UUID

from app.audit.signing import Signer
from app.store.blobs import FileBlobStore
from app.store.database import Store
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
from sync.client.pull import LedgerPull
from sync.client.status import (
    ProgressCallback,
    RunCounts,
    RunOutcome,
    SyncPhase,
    SyncProgress,
    SyncSummary,
)
from sync.client.witnessing import Witnessing
from sync.protocol import (
    MAX_PUSH_BYTES,
    MAX_PUSH_EVENTS,
    EventResult,
    EventStatus,
    PushRequest,
    PushResponse,
    WireEvent,
)

PUSH_OVERHEAD: Final = 512
"""Bytes of JSON around each event's canonical bytes, counted against ``MAX_PUSH_BYTES``."""


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
            state = SyncStateWriter(db)
            run_id = await state.start_run()
            counts = RunCounts(cursor=(await state.state()).cursor)
        outcome, problem, hint, kind, retry = RunOutcome.OK, None, None, None, None
        try:
            report(SyncProgress(SyncPhase.CONNECT, 0, None))
            self._token = await self.tokens.access_token()
            self.api.set_access_token(self._token)
            witness = Witnessing(self.store, self.api, account, self.cosigner, self._call)
            await witness.load()
            await self._push(account, counts, report)
            await LedgerPull(self.store, self.api, self._call, account, witness).run(counts, report)
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
        counts: RunCounts,
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
        self, request: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``request(...)``, once more after a refreshed token if the server answers 401."""
        try:
            return await request(*args, **kwargs)
        except AuthExpiredError:
            self._token = await self.tokens.after_rejection(self._token or "")
            self.api.set_access_token(self._token)
            return await request(*args, **kwargs)

    # -- push -------------------------------------------------------------------------------

    async def _push(
        self, account: SyncAccount, counts: RunCounts, report: ProgressCallback
    ) -> None:
        """Push the pending events in batches, oldest first, recording every answer.

        Batches overlap with the store's work: while a batch is on its way, the next one is
        read and the answers to the one before are recorded. A batch still goes only once
        the one before is answered (the server takes a device's events in order), and a
        refused batch is recorded only after the answers before it.
        """
        async with self.store.sync_transaction() as db:
            total = await SyncStateWriter(db).pending_count(account.device_id)
        report(SyncProgress(SyncPhase.PUSH, 0, total))

        async def recorded(answers: list[EventAnswer]) -> None:
            async with self.store.sync_transaction() as db:
                await SyncStateWriter(db).record_answers(answers)
            counts.add_answers(answer.status for answer in answers)
            report(SyncProgress(SyncPhase.PUSH, counts.pushed, max(total, counts.pushed)))

        recording: asyncio.Future[None] | None = None
        reading = asyncio.ensure_future(self._pending_batch(account, 0))
        sending: asyncio.Future[PushResponse] | None = None
        try:
            while batch := await reading:
                request = PushRequest(
                    device_id=UUID(account.device_id),
                    events=[WireEvent(canonical=c, hash=h, signature=s) for _, c, h, s in batch],
                    sent_at=self.now(),
                )
                sending = asyncio.ensure_future(self._call(self.api.push, request))
                reading = asyncio.ensure_future(self._pending_batch(account, batch[-1][0]))
                if recording is not None:
                    await recording
                try:
                    response = await sending
                except PermanentSyncError as exc:
                    await self._refused_batch(exc, batch)
                    raise
                recording = asyncio.ensure_future(recorded([_answer(r) for r in response.results]))
            if recording is not None:
                await recording
        finally:
            # a push cut off is asked again next run; the store's reads and answers finish
            if sending is not None and not sending.done():
                sending.cancel()
            for pending in (sending, reading, recording):
                if pending is not None:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await pending

    async def _pending_batch(
        self, account: SyncAccount, after_seq: int
    ) -> list[tuple[int, bytes, str, bytes]]:
        """The next batch of this device's pending events after ``after_seq`` (empty: none)."""
        async with self.store.sync_transaction() as db:
            rows = await SyncStateWriter(db).pending(account.device_id, after_seq, MAX_PUSH_EVENTS)
        return _fit(rows) if rows else []

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
