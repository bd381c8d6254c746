"""Proofs from stored subtree hashes equal the audit package's RFC 6962 proofs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.audit.envelope import format_timestamp
from app.audit.merkle import consistency_proof, inclusion_proof, leaf_hash, ledger_leaf, root_hash
from sync.server.ledger.leaves import leaf_hashes
from sync.server.ledger.tree import (
    appended_nodes,
    consistency_ranges,
    inclusion_ranges,
    proof,
    range_root,
    root_of,
)

LEAVES = [hashlib.sha256(str(i).encode()).digest() for i in range(70)]


def _stored(count: int) -> tuple[dict[tuple[int, int], bytes], list[bytes]]:
    nodes: dict[tuple[int, int], bytes] = {}
    roots: list[bytes] = []
    size = 0
    for chunk in (LEAVES[:count][i : i + 7] for i in range(0, count, 7)):
        made, roots = appended_nodes(size, roots, chunk)
        size += len(chunk)
        nodes.update({(level, index): digest for level, index, digest in made})
    return nodes, roots


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70), st.data())
def test_inclusion_and_consistency_match_the_reference(size: int, data: st.DataObject) -> None:
    nodes, roots = _stored(size)
    leaves = LEAVES[:size]
    assert root_of(roots) == root_hash(leaves) == range_root(0, size, nodes)
    index = data.draw(st.integers(0, size - 1))
    assert proof(inclusion_ranges(index, size), nodes) == inclusion_proof(index, leaves)
    old = data.draw(st.integers(0, size))
    assert proof(consistency_ranges(old, size), nodes) == consistency_proof(old, leaves)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=64, max_size=64),
    st.integers(0, 2**53 - 1),
    st.datetimes(timezones=st.just(UTC)),
)
def test_fast_leaves_equal_the_reference_encoding(
    digest: bytes, signature: bytes, index: int, moment: datetime
) -> None:
    received = format_timestamp(moment)
    reference = leaf_hash(ledger_leaf(digest.hex(), signature, index, received))
    assert leaf_hashes([(digest.hex(), signature, index)], received) == [reference]
