"""RFC 6962 / RFC 9162 Merkle tree: hashes, proofs, verification and a compact appender.

Leaf hash ``SHA-256(0x00 || leaf)``, node hash ``SHA-256(0x01 || left || right)``, empty tree
``SHA-256("")``. `root_hash`, `inclusion_proof` and `consistency_proof` take the list of *leaf
hashes* (what a ledger stores), not the raw leaves; apply `leaf_hash` to raw leaves first.
Proof generation follows RFC 6962 section 2.1.1/2.1.2; verification follows RFC 9162 sections
2.1.3.2 and 2.1.4.2.
"""

import base64
import hashlib
from collections.abc import Sequence
from typing import Final

from app.audit.canonical import canonicalize
from app.audit.envelope import HASH_PATTERN, parse_timestamp
from app.audit.errors import AuditError, ProfileViolation, Rule

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
_MAX_PROOF: Final = 128  # a tree of 2**64 leaves needs at most 2 * 64 hashes


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash of raw leaf bytes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash (MTH) over leaf hashes."""
    tree = CompactMerkleTree()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return the audit path of leaf `index` in the tree of `leaves` (leaf hashes)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} outside a tree of {len(leaves)}")
    return _path(index, leaves)


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves[:k]), root_hash(leaves[k:])]
    return [*_path(m - k, leaves[k:]), root_hash(leaves[:k])]


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return the proof that the first `old_size` leaves are a prefix of `leaves`."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"old size {old_size} outside 0..{len(leaves)}")
    if old_size == 0 or old_size == len(leaves):
        return []
    return _subproof(old_size, leaves, complete=True)


def _subproof(m: int, leaves: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_hash(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), root_hash(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), root_hash(leaves[:k])]


def _check_hashes(rule: Rule, proof: Sequence[bytes], *roots: bytes) -> None:
    if len(proof) > _MAX_PROOF:
        raise AuditError(rule, f"proof of {len(proof)} hashes is too long")
    for item in (*proof, *roots):
        if type(item) is not bytes or len(item) != HASH_SIZE:
            raise AuditError(rule, "proof and roots must be 32-byte hashes")


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 2.1.3.2); raise AuditError rule inclusion-proof."""
    rule = Rule.INCLUSION_PROOF
    _check_hashes(rule, proof, leaf_hash, root)
    if not 0 <= leaf_index < tree_size:
        raise AuditError(rule, f"leaf index {leaf_index} outside a tree of {tree_size}")
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise AuditError(rule, "proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise AuditError(rule, "proof is shorter than the tree is deep")
    if r != root:
        raise AuditError(rule, "proof does not lead to the signed root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof (RFC 9162 2.1.4.2); raise AuditError (tree-growth or proof)."""
    rule = Rule.CONSISTENCY_PROOF
    if not 0 <= old_size <= new_size:
        raise AuditError(Rule.TREE_GROWTH, f"tree went from {old_size} to {new_size} leaves")
    _check_hashes(rule, proof, old_root, new_root)
    if old_size == new_size:
        if proof:
            raise AuditError(rule, "trees of equal size need an empty proof")
        if old_root != new_root:
            raise AuditError(rule, f"two different roots for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise AuditError(rule, "growth from the empty tree needs an empty proof")
        if old_root != EMPTY_ROOT:
            raise AuditError(rule, "the root of the empty tree is SHA-256 of nothing")
        return
    if not proof:
        raise AuditError(rule, "empty proof for a growing tree")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is a complete subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise AuditError(rule, "proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise AuditError(rule, "proof is shorter than the tree is deep")
    if fr != old_root:
        raise AuditError(rule, "proof does not rebuild the old root")
    if sr != new_root:
        raise AuditError(rule, "proof does not rebuild the new root")


def ledger_leaf(
    event_hash_hex: str, signature: bytes, ledger_index: int, received_at: str
) -> bytes:
    """Return the ledger leaf bytes committing to an event, its signature, index and receipt."""
    if type(event_hash_hex) is not str or not HASH_PATTERN.fullmatch(event_hash_hex):
        raise ProfileViolation(Rule.HASH_FORMAT, f"event hash {event_hash_hex!r} is not 64 hex")
    if type(signature) is not bytes or len(signature) != 64:
        raise ProfileViolation(Rule.SIGNATURE, "an Ed25519 signature is 64 bytes")
    if type(ledger_index) is not int or ledger_index < 0:
        raise ProfileViolation(Rule.INTEGER_RANGE, f"ledger index {ledger_index!r} must be >= 0")
    parse_timestamp(received_at)
    return canonicalize(
        {
            "event_hash": event_hash_hex,
            "signature": base64.b64encode(signature).decode(),
            "ledger_index": ledger_index,
            "received_at": received_at,
        }
    )


class CompactMerkleTree:
    """Append-only tree state in O(log n): the roots of its perfect subtrees, largest first."""

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash."""
        node, size, hashes = leaf_hash, self._size, self._hashes
        while size & 1:
            node = node_hash(hashes.pop(), node)
            size >>= 1
        hashes.append(node)
        self._size += 1

    def root(self) -> bytes:
        """Return the current root hash (SHA-256 of nothing when empty)."""
        if not self._hashes:
            return EMPTY_ROOT
        hashes = self._hashes
        result = hashes[-1]
        for left in reversed(hashes[:-1]):
            result = node_hash(left, result)
        return result

    def state(self) -> tuple[int, list[bytes]]:
        """Return ``(size, subtree roots)`` for storage."""
        return self._size, list(self._hashes)

    @classmethod
    def from_state(cls, size: int, hashes: Sequence[bytes]) -> "CompactMerkleTree":
        """Rebuild a tree from `state()`; raise ValueError if the state is malformed."""
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtree roots")
        if any(type(h) is not bytes or len(h) != HASH_SIZE for h in hashes):
            raise ValueError("subtree roots must be 32-byte hashes")
        tree = cls()
        tree._size = size
        tree._hashes = list(hashes)
        return tree
