"""Devices as witnesses of the server's ledger (C2SP cosignatures, split-view detection).

Each device cosigns every checkpoint it has verified (``cosign_verified``) and sends the
cosigned note with its next run; the server checks it against the device's registered key,
keeps it and serves each device's newest one with every checkpoint. A server that shows one
history to one laptop and another history to another can sign both, but it cannot make the
two consistent: as soon as either laptop sees the other's cosignature, the consistency proof
between the two views fails (or the two roots of one size differ), and the laptop stops with
``ForkDetected`` holding both signed checkpoints as evidence. Its data is kept as it is.

How the engine uses it, during each pull page, after ``verify_checkpoint`` and ``verify_growth``
and before anything is written (``SyncEngine._pull``):

1. ``witnessed = open_witnessed(account, device_keys, page.checkpoint.cosignatures)``: the
   colleagues' cosigned checkpoints the server relayed, each verified against the pinned server
   key and the colleague's device key (a line that does not verify is not a cosignature and is
   skipped, as the C2SP spec says).
2. ``await check_views(new, note, [*stored, *witnessed], prove)``: the new checkpoint and every
   checkpoint this device or a colleague cosigned must form one history. ``prove(old, new)``
   fetches a consistency proof from the server (``SyncApi.consistency_proof``); only the sizes
   and roots inside signed notes are trusted, never the unsigned proof message.
3. After the page is folded and the checkpoint becomes the verified one, in the same SQLite
   transaction: ``cosign_verified`` makes this device's cosigned note, which is stored (unsent)
   with the colleagues' newest ones (``app.store.witness_state``) and uploaded at the end of
   the run (``SyncApi.upload_cosignatures``).

Everything here except ``check_views``'s proof fetching is pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from app.audit.checkpoint import Checkpoint
from app.audit.cosignature import (
    add_cosignature,
    cosign,
    device_cosigner_name,
    open_cosigned,
)
from app.audit.errors import AuditError, Rule
from app.audit.merkle import verify_consistency
from app.audit.signing import Signer
from app.store.sync_state import SyncAccount
from sync.client.errors import IntegrityError, PermanentSyncError
from sync.protocol import CosignedNote

FORK_HINT: Final = (
    "Sync has stopped and this device's data is kept as it is. The server showed different "
    "histories to different devices: tell your administrator, and keep this store as evidence."
)

type ProveConsistency = Callable[[int, int], Awaitable[list[bytes]]]
"""Fetch the consistency proof from tree size ``old`` to ``new`` (both signed sizes)."""


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A checkpoint a device cosigned: this one (``own``) or a colleague."""

    device_id: str
    checkpoint: Checkpoint
    note: str
    """The server's signed note with the device's cosignature line: the evidence."""
    own: bool = False


class ForkDetected(IntegrityError):
    """Two checkpoints signed by the server cannot both be true: a split view or a rewrite."""

    def __init__(self, message: str, *, first: Witnessed, second: Witnessed) -> None:
        super().__init__(message, hint=FORK_HINT)
        self.rule = Rule.WITNESS_FORK
        self.first = first
        self.second = second


def cosign_verified(
    account: SyncAccount, signer: Signer, checkpoint: Checkpoint, note: str, timestamp: int
) -> Witnessed:
    """This device's cosignature of a checkpoint it verified, as a cosigned note."""
    name = device_cosigner_name(account.device_id)
    cosignature = cosign(checkpoint, name, signer, timestamp)
    return Witnessed(account.device_id, checkpoint, add_cosignature(note, cosignature), own=True)


def open_witnessed(
    account: SyncAccount, device_keys: Mapping[str, bytes], relayed: Iterable[CosignedNote]
) -> list[Witnessed]:
    """The colleagues' cosigned checkpoints that verify (server key and device key)."""
    found: list[Witnessed] = []
    for item in relayed:
        device_id = str(item.device_id)
        key = device_keys.get(device_id)
        if device_id == account.device_id or key is None:
            continue  # our own comes from the store; an unknown device proves nothing yet
        try:
            opened = open_cosigned(
                item.note,
                log_name=account.ledger_key_name,
                log_key=account.ledger_public_key,
                origin=account.ledger_origin,
                cosigner=device_cosigner_name(device_id),
                cosigner_key=key,
            )
        except AuditError:
            continue
        found.append(Witnessed(device_id, opened.checkpoint, item.note))
    return found


def _describe(view: Witnessed) -> str:
    who = "this device" if view.own else f"device {view.device_id}"
    if not view.device_id:
        who = "the server's newest checkpoint"
    return f"{who} (size {view.checkpoint.size}, root {view.checkpoint.root_hash.hex()[:16]})"


def _fork(first: Witnessed, second: Witnessed, why: str) -> ForkDetected:
    return ForkDetected(
        f"Refused the server's ledger: {_describe(first)} and {_describe(second)} are two "
        f"different histories ({why}; rule {Rule.WITNESS_FORK}).",
        first=first,
        second=second,
    )


def ordered_views(views: Sequence[Witnessed]) -> list[Witnessed]:
    """One view per (size, root), smallest first; two roots for one size is a fork."""
    by_size: dict[int, Witnessed] = {}
    for view in views:
        seen = by_size.get(view.checkpoint.size)
        if seen is None:
            by_size[view.checkpoint.size] = view
        elif seen.checkpoint.root_hash != view.checkpoint.root_hash:
            raise _fork(seen, view, f"two roots for tree size {view.checkpoint.size}")
        elif view.own and not seen.own:
            by_size[view.checkpoint.size] = view  # prefer our own as evidence
    return [by_size[size] for size in sorted(by_size)]


def proofs_needed(views: Sequence[Witnessed]) -> list[tuple[int, int]]:
    """The consistency proofs that tie ``ordered_views(views)`` into one history."""
    ordered = ordered_views(views)
    return [
        (a.checkpoint.size, b.checkpoint.size)
        for a, b in itertools.pairwise(ordered)
        if a.checkpoint.size > 0
    ]


def check_proved(views: Sequence[Witnessed], proofs: Mapping[tuple[int, int], list[bytes]]) -> None:
    """Each view is a prefix of the next larger one, by the given proofs (pure)."""
    ordered = ordered_views(views)
    for a, b in itertools.pairwise(ordered):
        old, new = a.checkpoint, b.checkpoint
        if old.size == 0:
            continue
        if old.origin != new.origin:
            raise _fork(a, b, f"two logs, {old.origin!r} and {new.origin!r}")
        try:
            verify_consistency(
                old.size,
                new.size,
                old.root_hash,
                new.root_hash,
                proofs.get((old.size, new.size), []),
            )
        except AuditError as exc:
            detail = f"no consistency proof from {old.size} to {new.size}: {exc.message}"
            raise _fork(a, b, detail) from None


async def check_views(
    checkpoint: Checkpoint,
    note: str,
    witnessed: Sequence[Witnessed],
    prove: ProveConsistency,
    *,
    proved: Mapping[tuple[int, int], list[bytes]] | None = None,
) -> None:
    """Refuse ``checkpoint`` (signed ``note``) unless it and every cosigned checkpoint form
    one history; ``ForkDetected`` names the two views that do not. ``proved``: proofs in
    hand (the pull's own consistency proof), fetched again only if they fail."""
    views = [Witnessed("", checkpoint, note), *witnessed]
    proofs: dict[tuple[int, int], list[bytes]] = dict(proved or {})
    for old, new in proofs_needed(views):
        if (old, new) in proofs:
            continue
        try:
            proofs[(old, new)] = await prove(old, new)
        except PermanentSyncError:
            proofs[(old, new)] = []  # the server cannot prove one history: the check fails
    check_proved(views, proofs)
