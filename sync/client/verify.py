"""What a device checks before it folds anything the server sends (DESIGN.md section 4).

- Checkpoints: the signed note verifies against the pinned server key and names the pinned
  origin; size and root come from the note, never from the unsigned fields.
- Growth: the new checkpoint is consistent with the last one this device verified.
- Entries: contiguous ledger indexes; each event parses strictly, hashes to its hash, belongs to
  the organization, is signed by its device's key, and continues that device's chain.
- Inclusion: the entries' leaves, appended to the verified tree (kept as its frontier),
  rebuild the signed root, or are proved a prefix of it by a consistency proof.

Every failure is an ``IntegrityError`` naming the first bad item and the rule it broke.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from app.audit.canonical import parse_canonical
from app.audit.checkpoint import Checkpoint, parse_and_verify_checkpoint
from app.audit.envelope import EventBody, SealedEvent, event_hash, genesis_hash, signature_message
from app.audit.errors import AuditError, ProfileViolation, Rule
from app.audit.merkle import (
    CompactMerkleTree,
    leaf_hash,
    ledger_leaf,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from app.audit.signing import verify_signature
from app.store.sync_state import SyncAccount
from sync.client.errors import IntegrityError
from sync.protocol import LedgerEntry, SignedCheckpoint

HASH_SIZE = 32

REFUSED_HINT = (
    "Sync has stopped and this device's data is kept as it is. Tell your administrator: "
    "the server may have been restored from a backup or tampered with."
)


def refused(what: str, exc: AuditError | None = None) -> IntegrityError:
    """The error for a server answer this device refuses."""
    rule = f" (rule {exc.rule}: {exc.message})" if exc is not None else ""
    return IntegrityError(f"Refused the server's ledger: {what}{rule}.", hint=REFUSED_HINT)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest ledger event of a device: its ``device_seq`` and hash."""

    seq: int
    hash: str


class UnknownDevice(Exception):
    """An entry is signed by a device whose key this store does not know yet."""

    def __init__(self, device_id: str) -> None:
        super().__init__(device_id)
        self.device_id = device_id


def verify_checkpoint(account: SyncAccount, signed: SignedCheckpoint) -> Checkpoint:
    """The checkpoint in a signed note, verified against the pinned key and origin."""
    try:
        return parse_and_verify_checkpoint(
            signed.note,
            account.ledger_key_name,
            account.ledger_public_key,
            origin=account.ledger_origin,
        )
    except AuditError as exc:
        raise refused("its checkpoint is not signed by the pinned server key", exc) from None


def verify_growth(
    old_size: int, old_root: bytes | None, new: Checkpoint, proof: list[bytes] | None
) -> None:
    """Accept ``new`` only if the tree of ``old_size`` (``old_root``) is a prefix of it."""
    if old_size == 0 or old_root is None:
        return
    if new.size < old_size:
        raise refused(
            f"it now shows {new.size} entries, fewer than the {old_size} this device verified"
        )
    try:
        verify_consistency(old_size, new.size, old_root, new.root_hash, proof or [])
    except AuditError as exc:
        raise refused(
            f"the consistency proof from size {old_size} to {new.size} does not hold "
            "(a rewritten or forked history)",
            exc,
        ) from None


def tree_from_frontier(size: int, frontier: bytes | None) -> CompactMerkleTree:
    """The verified tree of ``size`` leaves from its stored frontier."""
    data = frontier or b""
    hashes = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
    try:
        return CompactMerkleTree.from_state(size, hashes)
    except ValueError as exc:
        raise IntegrityError(
            f"This store's record of the verified ledger is damaged ({exc}).",
            hint="Sync has stopped; restore the store from a backup or join again in a new store.",
        ) from None


def frontier_bytes(tree: CompactMerkleTree) -> bytes:
    """The tree's frontier as stored."""
    return b"".join(tree.state()[1])


def tree_from_last_leaf(
    size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> CompactMerkleTree:
    """The tree of ``size`` leaves from the inclusion proof of its last leaf in that tree.

    Every hash on the path of the last leaf is a left sibling: the lowest ones (as many as the
    trailing one bits of ``size - 1``) fold into the smallest perfect subtree with the leaf,
    the others are the larger subtrees, smallest first.
    """
    hashed = leaf_hash(leaf)
    try:
        verify_inclusion(size - 1, size, hashed, proof, root)
    except AuditError as exc:
        raise refused("the snapshot's ledger position is not proved", exc) from None
    trailing = ((size - 1) ^ size).bit_length() - 1
    node = hashed
    for sibling in proof[:trailing]:
        node = node_hash(sibling, node)
    tree = CompactMerkleTree.from_state(size, [*reversed(proof[trailing:]), node])
    if tree.root() != root:
        raise refused("the snapshot's ledger position does not rebuild its signed root")
    return tree


SIGNATURE_CHUNK: Final = 64
"""Signatures verified per job on the verification threads."""

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _signature_pool() -> ThreadPoolExecutor:
    """Threads for Ed25519 verification (libsodium releases the GIL): the other cores' share."""
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = max(1, min(4, (os.cpu_count() or 2) - 1))
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="sitesync-verify")
        return _pool


type _Signed = tuple[bytes, bytes, bytes, str]
"""``(public key, signed message, signature, the refusal if it does not verify)``."""


def _first_bad(chunk: list[_Signed]) -> str | None:
    for key, message, signature, refusal in chunk:
        if not verify_signature(key, message, signature):
            return refusal
    return None


class SignatureChecks:
    """Signatures of a page's entries, verified on other threads while the page is checked.

    ``EntryVerifier.check`` hands each entry's signature here instead of verifying it on the
    spot; ``settle`` waits for them all and raises the refusal of the first that does not
    verify, in entry order, as checking them one by one would.
    """

    def __init__(self) -> None:
        self._chunk: list[_Signed] = []
        self._jobs: list[tuple[Future[str | None], list[_Signed]]] = []

    def add(self, key: bytes, message: bytes, signature: bytes, refusal: str) -> None:
        self._chunk.append((key, message, signature, refusal))
        if len(self._chunk) >= SIGNATURE_CHUNK:
            self._jobs.append((_signature_pool().submit(_first_bad, self._chunk), self._chunk))
            self._chunk = []

    def cancel(self) -> None:
        """Drop the checks not started yet (the page will not be stored)."""
        for job, _chunk in self._jobs:
            job.cancel()
        self._jobs, self._chunk = [], []

    def settle(self) -> None:
        """Verify every signature handed in; refuse the first that does not verify.

        This thread has nothing else to do by now, so it takes the chunks no verification
        thread has started, from the last one back, while those threads go on from the first.
        """
        jobs, last = self._jobs, self._chunk
        self._jobs, self._chunk = [], []
        found: list[str | None] = [None] * len(jobs)
        taken = [False] * len(jobs)
        tail = _first_bad(last)
        for index in reversed(range(len(jobs))):
            job, chunk = jobs[index]
            if job.cancel():
                found[index], taken[index] = _first_bad(chunk), True
        for index, (job, _chunk) in enumerate(jobs):
            if not taken[index]:
                found[index] = job.result()
        for refusal in (*found, tail):
            if refusal is not None:
                raise refused(refusal)


class EntryVerifier:
    """Checks pulled entries one by one against the device keys and the chain heads."""

    def __init__(
        self,
        organization_id: str,
        keys: Mapping[str, bytes],
        heads: dict[str, ChainHead],
        tree: CompactMerkleTree,
    ) -> None:
        self.organization_id = organization_id
        self.keys = dict(keys)
        self.heads = heads
        self.tree = tree

    def check(self, entry: LedgerEntry, signatures: SignatureChecks | None = None) -> SealedEvent:
        """Verify the next entry and add its leaf to the tree; the sealed event it carries.

        With ``signatures``, its signature is verified there (``SignatureChecks.settle``
        refuses it), not before this returns.
        """
        expected_index = self.tree.size + 1
        if entry.ledger_index != expected_index:
            raise refused(f"entry {entry.ledger_index} came where entry {expected_index} belongs")
        where = f"entry {entry.ledger_index}"
        try:
            body = EventBody.from_json(parse_canonical(entry.canonical))
        except ProfileViolation as exc:
            raise refused(f"{where} is not a valid event", exc) from None
        if event_hash(entry.canonical) != entry.hash:
            raise refused(f"{where}: its bytes do not hash to {entry.hash}")
        if body.organization_id != self.organization_id:
            raise refused(f"{where} belongs to another organization ({body.organization_id})")
        key = self.keys.get(body.device_id)
        if key is None:
            raise UnknownDevice(body.device_id)
        refusal = f"{where}: the signature does not verify with device {body.device_id}"
        if signatures is not None:
            signatures.add(key, signature_message(entry.hash), entry.signature, refusal)
        elif not verify_signature(key, signature_message(entry.hash), entry.signature):
            raise refused(refusal)
        head = self.heads.get(body.device_id) or ChainHead(0, genesis_hash(body.device_id))
        if body.device_seq != head.seq + 1 or body.prev_hash != head.hash:
            rule = Rule.DEVICE_FORK if body.device_seq <= head.seq else Rule.PREV_HASH_LINK
            raise refused(
                f"{where} (device {body.device_id}, seq {body.device_seq}) does not continue "
                f"that device's chain, which ends at seq {head.seq} (rule {rule})"
            )
        try:
            leaf = ledger_leaf(entry.hash, entry.signature, entry.ledger_index, entry.received_at)
        except AuditError as exc:
            raise refused(f"{where} has a malformed ledger leaf", exc) from None
        self.heads[body.device_id] = ChainHead(body.device_seq, entry.hash)
        self.tree.append(leaf_hash(leaf))
        return SealedEvent(body, entry.canonical, entry.hash, entry.signature)

    def check_root(self, checkpoint: Checkpoint) -> None:
        """The entries so far rebuild ``checkpoint``'s signed root (same size)."""
        if self.tree.root() != checkpoint.root_hash:
            raise refused(
                f"the {self.tree.size} entries received do not rebuild the signed root of "
                "that size (a rewritten history)"
            )

    def check_prefix(self, checkpoint: Checkpoint, proof: list[bytes]) -> None:
        """The entries so far are a prefix of ``checkpoint``'s tree (a consistency proof)."""
        try:
            verify_consistency(
                self.tree.size, checkpoint.size, self.tree.root(), checkpoint.root_hash, proof
            )
        except AuditError as exc:
            raise refused(
                f"the {self.tree.size} entries received are not a prefix of the signed tree "
                f"of {checkpoint.size}",
                exc,
            ) from None
