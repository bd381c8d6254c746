"""What the writer has committed, cached so a command does not read back what it just wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

from app.services.ports import ChainHead
from app.store.mapping import REJECTIONS, STATUS_CHANGES, ProjectionMapping

if TYPE_CHECKING:
    from app.store.write_behind import Overlay

type ProjectionKey = tuple[ProjectionMapping[Any], str]

MISSING: Final = object()
"""What a cache lookup returns when it does not know (as opposed to knowing there is none)."""


class BoundedCache[K, V]:
    """A dict that drops its oldest quarter when full (cheaper than LRU, good enough here)."""

    __slots__ = ("_data", "_limit")

    def __init__(self, limit: int) -> None:
        self._data: dict[K, V] = {}
        self._limit = limit

    def get(self, key: K) -> V | object:
        """The cached value, or ``MISSING``."""
        return self._data.get(key, MISSING)

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``, evicting the oldest entries if full."""
        data = self._data
        data[key] = value
        if len(data) > self._limit:
            for old in list(data)[: self._limit // 4]:
                del data[old]

    def update(self, items: dict[K, V]) -> None:
        """Remember many values."""
        for key, value in items.items():
            self.put(key, value)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class CommittedCache:
    """Committed state the writer has seen, so a command does not re-read what it just wrote.

    Sound only because this store is the one writer of its file: every change passes through
    ``absorb`` after its COMMIT. ``None`` values record that a row is known not to exist.
    """

    def __init__(self, *, projections: int = 20_000, heads: int = 50_000) -> None:
        self.projections: BoundedCache[ProjectionKey, BaseModel | None] = BoundedCache(projections)
        self.entity_heads: BoundedCache[str, tuple[str, ...]] = BoundedCache(heads)
        self.device_heads: BoundedCache[str, ChainHead | None] = BoundedCache(1_000)
        self.with_heads: set[str] | None = None
        """Every entity that has events, once loaded: a new entity then costs no query."""
        self.keys: dict[ProjectionMapping[Any], set[str]] = {}
        """Every stored key of a projection kind, once loaded (same purpose)."""

    def absorb(self, committed: Overlay) -> None:
        """Take in what a transaction just committed."""
        for mapping, items in committed.projections.items():
            if mapping is STATUS_CHANGES or mapping is REJECTIONS:
                continue  # never read back by key: keep the room for entities
            for key, item in items.items():
                self.projections.put((mapping, key), item)
            known = self.keys.get(mapping)
            if known is not None:
                known.update(items)
        self.entity_heads.update(committed.entity_heads)
        self.device_heads.update(dict(committed.device_heads))
        if self.with_heads is not None:
            self.with_heads.update(committed.entity_heads)

    def clear(self) -> None:
        """Forget everything (after a rebuild, or when a commit's outcome is unknown)."""
        self.projections.clear()
        self.entity_heads.clear()
        self.device_heads.clear()
        self.with_heads = None
        self.keys.clear()
