"""Merkle proofs from stored perfect-subtree hashes (RFC 6962 proofs without the leaves).

The ledger stores, for every level L, the hash of each complete aligned subtree: node
``(L, i)`` covers leaves ``i * 2**L`` up to ``(i + 1) * 2**L - 1``. Every hash an RFC 6962
proof needs is the root of a range ``[start, end)`` whose start is aligned; such a range is
the descending powers of two of its size, so its root is a fold of at most 64 stored nodes.
A proof over a million leaves reads a few dozen rows instead of rehashing the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from app.audit.merkle import EMPTY_ROOT, node_hash

type Node = tuple[int, int]
"""``(level, index)`` of a stored perfect subtree."""
type Range = tuple[int, int]
"""Leaves ``[start, end)``."""


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The stored nodes whose fold is the root of ``[start, end)``, largest first."""
    nodes: list[Node] = []
    size = end - start
    offset = start
    while size:
        level = size.bit_length() - 1
        width = 1 << level
        if offset % width:
            raise ValueError(f"range [{start}, {end}) is not aligned")
        nodes.append((level, offset >> level))
        offset += width
        size -= width
    return nodes


def range_root(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """The Merkle root of leaves ``[start, end)`` from stored nodes."""
    if start == end:
        return EMPTY_ROOT
    parts = [nodes[node] for node in range_nodes(start, end)]
    result = parts[-1]
    for left in reversed(parts[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose roots form the audit path of leaf ``index`` in a tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} outside a tree of {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose roots form the consistency proof from ``old`` to ``new`` leaves."""
    if not 0 <= old <= new:
        raise ValueError(f"old size {old} outside 0..{new}")
    if old in (0, new):
        return []
    ranges: list[Range] = []
    lo, hi, m, complete = 0, new, old, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node the roots of ``ranges`` need."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def proof(ranges: Sequence[Range], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof hashes: the root of each range, in order."""
    return [range_root(start, end, nodes) for start, end in ranges]


def appended_nodes(
    size: int, roots: Sequence[bytes], leaves: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], list[bytes]]:
    """Append leaf hashes to a tree of ``size`` with perfect-subtree ``roots`` (largest first).

    Returns every node completed on the way (``(level, index, hash)``, leaves included) and the
    new roots.
    """
    stack = list(roots)
    made: list[tuple[int, int, bytes]] = []
    for leaf in leaves:
        node, n, level = leaf, size, 0
        made.append((0, size, leaf))
        while n & 1:
            node = node_hash(stack.pop(), node)
            n >>= 1
            level += 1
            made.append((level, size >> level, node))
        stack.append(node)
        size += 1
    return made, stack


def root_of(roots: Sequence[bytes]) -> bytes:
    """The tree root from its perfect-subtree roots (largest first)."""
    if not roots:
        return EMPTY_ROOT
    result = roots[-1]
    for left in reversed(roots[:-1]):
        result = node_hash(left, result)
    return result
