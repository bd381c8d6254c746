"""The witness duty of one sync run: check each checkpoint against the cosigned ones, then
cosign the verified checkpoint and upload it (the rules are in ``sync.client.witness``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from app.audit.checkpoint import Checkpoint
from app.audit.signing import Signer
from app.store.database import Store
from app.store.sync_state import SyncAccount, SyncStateWriter
from app.store.witness_state import (
    WitnessValues,
    keep_witnesses,
    load_witnesses,
    mark_sent,
    record_fork,
)
from sync.client.api import SyncApi
from sync.client.errors import IntegrityError, PermanentSyncError
from sync.client.witness import (
    ForkDetected,
    Witnessed,
    check_views,
    cosign_verified,
    open_witnessed,
)
from sync.protocol import CosignatureUpload, SignedCheckpoint


class Call(Protocol):
    """The engine's way to call the server (refreshing the token once on a 401)."""

    def __call__[**P, T](
        self, request: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


def _values(view: Witnessed, *, sent: bool = False) -> WitnessValues:
    c = view.checkpoint
    return WitnessValues(view.device_id, view.own, c.origin, c.size, c.root_hash, view.note, sent)


def _view(values: WitnessValues) -> Witnessed:
    checkpoint = Checkpoint(values.origin, values.tree_size, values.root_hash)
    return Witnessed(values.device_id, checkpoint, values.note, own=values.own)


class Witnessing:
    """What this device witnesses during one run (``SyncEngine`` makes one per run)."""

    def __init__(
        self,
        store: Store,
        api: SyncApi,
        account: SyncAccount,
        signer: Signer | None,
        call: Call,
        learn: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.api = api
        self.account = account
        self.signer = signer
        self.call = call
        self.learn = learn
        """Fetch the organization's device keys (a colleague that never wrote is unknown)."""
        self.clock = clock
        self.known: dict[str, Witnessed] = {}
        self._checked: object = None
        self._learned = False

    async def load(self) -> None:
        """Read the cosigned checkpoints this store kept."""
        async with self.store.sync_transaction() as db:
            self.known = {v.device_id: _view(v) for v in await load_witnesses(db)}

    async def check(
        self,
        signed: SignedCheckpoint,
        checkpoint: Checkpoint,
        device_keys: Mapping[str, bytes],
        proved: Mapping[tuple[int, int], list[bytes]],
    ) -> None:
        """Refuse ``checkpoint`` unless it is one history with every cosigned checkpoint;
        keep the colleagues' newer cosignatures once it is. A fork is recorded, then raised."""
        unknown = [
            str(c.device_id)
            for c in signed.cosignatures
            if str(c.device_id) not in device_keys and str(c.device_id) != self.account.device_id
        ]
        if unknown and self.learn is not None and not self._learned:
            self._learned = True  # once per run: a device the server does not list stays unknown
            with contextlib.suppress(IntegrityError):
                await self.learn(unknown[0])
        relayed = open_witnessed(self.account, device_keys, signed.cosignatures)
        newer = [
            w
            for w in relayed
            if w.device_id not in self.known
            or w.checkpoint.size > self.known[w.device_id].checkpoint.size
        ]
        key = (checkpoint.size, checkpoint.root_hash, tuple((w.device_id, w.note) for w in newer))
        if key == self._checked:
            return
        views = [*self.known.values(), *newer]
        try:
            await check_views(checkpoint, signed.note, views, self._prove, proved=proved)
        except ForkDetected as fork:
            async with self.store.sync_transaction() as db:
                await record_fork(db, fork.message, fork.first.note, fork.second.note)
            raise
        self._checked = key
        if newer:
            async with self.store.sync_transaction() as db:
                await keep_witnesses(db, [_values(w) for w in newer])
            self.known.update((w.device_id, w) for w in newer)

    async def _prove(self, old: int, new: int) -> list[bytes]:
        answer = await self.call(self.api.consistency_proof, old, new)
        return list(answer.proof)

    async def cosign_and_upload(self) -> int:
        """Cosign the checkpoint this store verified last (if not yet), upload what is unsent;
        returns how many cosignatures the server kept."""
        own_id = self.account.device_id
        async with self.store.sync_transaction() as db:
            state = await SyncStateWriter(db).state()
            own = self.known.get(own_id)
            size, root, note = state.checkpoint_size, state.checkpoint_root, state.checkpoint_note
            if (
                self.signer is not None
                and size > 0
                and root is not None
                and note is not None
                and (own is None or own.checkpoint.size < size)
            ):
                checkpoint = Checkpoint(self.account.ledger_origin, size, root)
                own = cosign_verified(
                    self.account, self.signer, checkpoint, note, int(self.clock())
                )
                await keep_witnesses(db, [_values(own)])
                self.known[own_id] = own
            unsent = [v for v in await load_witnesses(db) if v.own and not v.sent]
        if not unsent:
            return 0
        upload = CosignatureUpload(device_id=own_id, notes=[v.note for v in unsent])
        try:
            answer = await self.call(self.api.upload_cosignatures, upload)
            kept = sum(1 for r in answer.results if r.stored)
        except PermanentSyncError:
            kept = 0  # refused as it is: sending it again gets the same answer
        async with self.store.sync_transaction() as db:
            for values in unsent:
                await mark_sent(db, own_id, values.tree_size)
        return kept
