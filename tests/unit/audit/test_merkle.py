"""RFC 6962 Merkle tree: published test vectors, pymerkle and a from-the-RFC reference."""

import base64
import hashlib

import pytest
from pymerkle import InmemoryTree
from pymerkle import verify_consistency as pymerkle_verify_consistency

from app.audit import (
    EMPTY_ROOT,
    AuditError,
    CompactMerkleTree,
    Rule,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    ledger_leaf,
    node_hash,
    parse_canonical,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# The eight leaves of the RFC 6962 reference tests (Certificate Transparency, Trillian
# merkle/log_verifier_test.go) and the published roots and proofs over them.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
H = bytes.fromhex
CT_INCLUSION = [  # (leaf index, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CT_HASHES = [leaf_hash(leaf) for leaf in CT_LEAVES]


# --- an independent reference written straight from RFC 6962 section 2.1, over raw data ---


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def _data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() * (i % 3) for i in range(n)]


def _pymerkle(data: list[bytes]) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")  # RFC 6962 prefixes by default (security on)
    for item in data:
        tree.append_entry(item)
    return tree


MAX_LEAVES = 20


def test_published_roots() -> None:
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for size in range(1, 9):
        assert root_hash(CT_HASHES[:size]) == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, path: list[bytes]) -> None:
    assert inclusion_proof(index, CT_HASHES[:size]) == path
    verify_inclusion(index, size, CT_HASHES[index], path, CT_ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_published_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(old, CT_HASHES[:new]) == proof
    verify_consistency(old, new, CT_ROOTS[old - 1], CT_ROOTS[new - 1], proof)


def test_roots_and_inclusion_match_pymerkle_and_the_reference() -> None:
    data = _data(MAX_LEAVES)
    hashes = [leaf_hash(item) for item in data]
    tree = _pymerkle(data)
    for size in range(1, MAX_LEAVES + 1):
        root = tree.get_root(size)
        assert root_hash(hashes[:size]) == root == ref_mth(data[:size])
        for index in range(size):
            proof = inclusion_proof(index, hashes[:size])
            assert proof == ref_path(index, data[:size])
            # pymerkle's path starts with the leaf itself, then the RFC audit path.
            assert [hashes[index], *proof] == tree.prove_inclusion(index + 1, size).path
            verify_inclusion(index, size, hashes[index], proof, root)


def test_consistency_matches_the_reference_and_pymerkle_roots() -> None:
    data = _data(MAX_LEAVES)
    hashes = [leaf_hash(item) for item in data]
    tree = _pymerkle(data)
    for new in range(1, MAX_LEAVES + 1):
        for old in range(0, new + 1):
            proof = consistency_proof(old, hashes[:new])
            expected = [] if old in (0, new) else ref_subproof(old, data[:new], True)
            assert proof == expected
            verify_consistency(old, new, tree.get_root(old), tree.get_root(new), proof)
            if old > 0:  # pymerkle's own proof (another decomposition) agrees on our roots
                pymerkle_verify_consistency(
                    root_hash(hashes[:old]),
                    root_hash(hashes[:new]),
                    tree.prove_consistency(old, new),
                )


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def test_tampered_inclusion_proofs_are_rejected() -> None:
    hashes = [leaf_hash(item) for item in _data(13)]
    for size in (2, 5, 8, 13):
        root = root_hash(hashes[:size])
        for index in range(size):
            proof = inclusion_proof(index, hashes[:size])
            leaf = hashes[index]
            attempts: list[tuple[int, int, bytes, list[bytes], bytes]] = [
                (index, size, _flip(leaf), proof, root),
                (index, size, leaf, proof, _flip(root)),
                (index, size * 2, leaf, proof, root),
                (index, size // 2, leaf, proof, root),
                (index ^ 1, size, leaf, proof, root),
                (index, size, leaf, [*proof, root], root),
                (index, size, leaf, [root, *proof], root),
                (index, size, leaf, proof[:-1], root),
                (size, size, leaf, proof, root),
                (-1, size, leaf, proof, root),
            ]
            attempts += [
                (index, size, leaf, [*proof[:i], _flip(p), *proof[i + 1 :]], root)
                for i, p in enumerate(proof)
            ]
            for attempt in attempts:
                with pytest.raises(AuditError) as caught:
                    verify_inclusion(*attempt)
                assert caught.value.rule == Rule.INCLUSION_PROOF, attempt[:2]


def test_tampered_consistency_proofs_are_rejected() -> None:
    hashes = [leaf_hash(item) for item in _data(13)]
    for new in (3, 7, 8, 13):
        for old in range(1, new):
            proof = consistency_proof(old, hashes[:new])
            r1, r2 = root_hash(hashes[:old]), root_hash(hashes[:new])
            attempts: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
                (old, new, _flip(r1), r2, proof),
                (old, new, r1, _flip(r2), proof),
                (old, new, r2, r1, proof),
                (old - 1, new, r1, r2, proof),
                (old + 1, new, r1, r2, proof),
                (old ^ 2, new, r1, r2, proof),
                (old, new * 2, r1, r2, proof),
                (old, new // 2, r1, r2, proof),
                (old, new, r1, r2, []),
                (old, new, r1, r2, [*proof, r1]),
                (old, new, r1, r2, [proof[0], *proof]),
                (old, new, r1, r2, proof[:-1]),
            ]
            attempts += [
                (old, new, r1, r2, [*proof[:i], _flip(p), *proof[i + 1 :]])
                for i, p in enumerate(proof)
            ]
            for attempt in attempts:
                with pytest.raises(AuditError) as caught:
                    verify_consistency(*attempt)
                shrinks = attempt[0] > attempt[1]
                expected = Rule.TREE_GROWTH if shrinks else Rule.CONSISTENCY_PROOF
                assert caught.value.rule == expected, (old, new, attempt[:2])


def test_shrinking_tree_is_a_tree_growth_failure() -> None:
    with pytest.raises(AuditError) as caught:
        verify_consistency(8, 7, CT_ROOTS[7], CT_ROOTS[6], [])
    assert caught.value.rule == Rule.TREE_GROWTH


def test_edge_sizes() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, CT_ROOTS[4], [])
    verify_consistency(5, 5, CT_ROOTS[4], CT_ROOTS[4], [])
    for bad in [
        (5, 5, CT_ROOTS[4], CT_ROOTS[3], []),
        (5, 5, CT_ROOTS[4], CT_ROOTS[4], [CT_ROOTS[0]]),
        (0, 5, CT_ROOTS[0], CT_ROOTS[4], []),
        (0, 5, EMPTY_ROOT, CT_ROOTS[4], [CT_ROOTS[0]]),
        (1, 2, b"short", CT_ROOTS[1], [CT_HASHES[1]]),
    ]:
        with pytest.raises(AuditError) as caught:
            verify_consistency(*bad)
        assert caught.value.rule == Rule.CONSISTENCY_PROOF
    with pytest.raises(AuditError):
        verify_inclusion(0, 0, CT_HASHES[0], [], EMPTY_ROOT)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(3, CT_HASHES[:3])
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(4, CT_HASHES[:3])


def test_compact_tree_tracks_the_root_in_log_space() -> None:
    hashes = [leaf_hash(item) for item in _data(70)]
    tree = CompactMerkleTree()
    assert (tree.size, tree.root()) == (0, EMPTY_ROOT)
    for size, item in enumerate(hashes, start=1):
        tree.append(item)
        assert tree.size == size
        assert tree.root() == root_hash(hashes[:size])
        stored_size, subtrees = tree.state()
        assert len(subtrees) == bin(size).count("1")
        again = CompactMerkleTree.from_state(stored_size, subtrees)
        assert again.root() == tree.root()
    again.append(hashes[0])
    assert again.root() == root_hash([*hashes, hashes[0]])
    with pytest.raises(ValueError, match="subtree roots"):
        CompactMerkleTree.from_state(6, [EMPTY_ROOT])
    with pytest.raises(ValueError, match="32-byte"):
        CompactMerkleTree.from_state(1, [b"x"])


def test_node_hash_prefix() -> None:
    assert node_hash(CT_HASHES[0], CT_HASHES[1]) == CT_ROOTS[1]


def test_ledger_leaf_commits_to_hash_signature_index_and_receipt() -> None:
    signature = bytes(range(64))
    leaf = ledger_leaf("ab" * 32, signature, 7, "2025-03-01T08:00:00.000000Z")
    assert leaf == (
        b'{"event_hash":"' + b"ab" * 32 + b'","ledger_index":7,'
        b'"received_at":"2025-03-01T08:00:00.000000Z","signature":"'
        + base64.b64encode(signature)
        + b'"}'
    )
    assert parse_canonical(leaf)
    for args, rule in [
        (("AB" * 32, signature, 7, "2025-03-01T08:00:00.000000Z"), Rule.HASH_FORMAT),
        (("ab" * 32, signature[:63], 7, "2025-03-01T08:00:00.000000Z"), Rule.SIGNATURE),
        (("ab" * 32, signature, -1, "2025-03-01T08:00:00.000000Z"), Rule.INTEGER_RANGE),
        (("ab" * 32, signature, 7, "2025-03-01"), Rule.TIMESTAMP_FORMAT),
    ]:
        with pytest.raises(AuditError) as caught:
            ledger_leaf(*args)
        assert caught.value.rule == rule
