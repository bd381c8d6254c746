"""The conflict-aware fold: what one event in ledger order does to its entity (DESIGN.md 5).

Pure and store-agnostic: the server folds each event it appends to the ledger, and a device
folds the ledger entries it pulls (then re-applies its own pending events on top) with the same
function, so both reach the same projections and the same conflict records.

Rules:

- Facts (visits, readings, notes, photos, incidents opened...) never conflict.
- Attribute edits carry only the fields they change. An edit whose ``entity_parents`` do not
  reach the last writer of a field it changes is concurrent with it: the later event in ledger
  order wins and a conflict record keeps both values. Edits of different fields merge.
- A status change concurrent with the last status change is always a conflict record.
- An event that is invalid against the state it meets (the reducer refuses it, or it changes a
  decommissioned unit) is rejected: kept in the ledger, not applied, with its reason.
- A later write of a field that knows both events of an open conflict on that field resolves
  it (the resolution is that new event).

``EntityState`` is what a store keeps per entity besides its projection: its heads (the
``entity_parents`` of the next event), the last writer of each field, and its open conflicts.
Ancestry ("does this event know that one?") is asked through ``Ancestry``; ``EventGraph`` is the
in-memory answer over the entity's events the store loads (those from ``EntityState.oldest``
on; older ones cannot be the answer).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from app.domain import payloads as p
from app.domain.entities import Elevator, StatusChange
from app.domain.enums import ElevatorStatus
from app.domain.errors import SiteSyncError
from app.domain.events import Event, PartialPayload
from app.domain.reducers import reduce, status_change_of

CONFLICT_NAMESPACE: Final = uuid.UUID("7c3e6d2a-4f1b-5c8e-9a0d-2b6f1e3c4d5a")
"""Conflict record ids are UUIDv5 in this namespace, so every fold names them alike."""

STATUS_FIELD: Final = "status"

type Outcome = Literal["accepted", "rejected"]


@dataclass(frozen=True, slots=True)
class Write:
    """The event that last wrote a field, its ledger order and the value it wrote."""

    event_id: str
    hash: str
    order: int
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"e": self.event_id, "h": self.hash, "o": self.order, "v": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Write:
        return cls(str(data["e"]), str(data["h"]), int(data["o"]), data["v"])


@dataclass(frozen=True, slots=True)
class OpenConflict:
    """A conflict record not yet resolved: its id and the hashes of its two events."""

    conflict_id: str
    kept_hash: str
    other_hash: str
    oldest: int
    """The smaller ledger order of the two events."""


@dataclass(frozen=True, slots=True)
class EntityState:
    """Heads, last writer per field and open conflicts per field of one entity."""

    heads: tuple[str, ...] = ()
    writers: Mapping[str, Write] = field(default_factory=dict)
    open: Mapping[str, tuple[OpenConflict, ...]] = field(default_factory=dict)

    def oldest(self, fields: Iterable[str]) -> int | None:
        """The oldest ledger order an ancestry question about ``fields`` may reach."""
        orders = [self.writers[f].order for f in fields if f in self.writers]
        orders += [c.oldest for f in fields for c in self.open.get(f, ())]
        return min(orders, default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "heads": list(self.heads),
            "writers": {name: w.to_json() for name, w in sorted(self.writers.items())},
            "open": {
                name: [[c.conflict_id, c.kept_hash, c.other_hash, c.oldest] for c in items]
                for name, items in sorted(self.open.items())
                if items
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityState:
        return cls(
            heads=tuple(data.get("heads", ())),
            writers={k: Write.from_json(v) for k, v in data.get("writers", {}).items()},
            open={
                k: tuple(OpenConflict(str(a), str(b), str(c), int(d)) for a, b, c, d in v)
                for k, v in data.get("open", {}).items()
            },
        )


class Ancestry(Protocol):
    """Answers whether an event with ``parents`` knew the event ``target`` (of this entity)."""

    def knows(self, parents: Sequence[str], target: str, target_order: int) -> bool: ...


@dataclass
class EventGraph:
    """The entity's events (hash -> parents, ledger order) loaded from ``EntityState.oldest``.

    Parents always precede their children in ledger order, so a search for ``target`` never
    needs events older than it and stops at them.
    """

    nodes: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)

    def add(self, hash: str, parents: Sequence[str], order: int) -> None:
        self.nodes[hash] = (tuple(parents), order)

    def knows(self, parents: Sequence[str], target: str, target_order: int) -> bool:
        queue = deque(parents)
        seen: set[str] = set()
        while queue:
            current = queue.popleft()
            if current == target:
                return True
            if current in seen:
                continue
            seen.add(current)
            node = self.nodes.get(current)
            if node is None or node[1] <= target_order:
                continue
            queue.extend(node[0])
        return False


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """Two concurrent writes of one field; the later in ledger order is the value in force."""

    conflict_id: str
    field: str
    kept: Write
    other: Write


@dataclass(frozen=True, slots=True)
class Decision:
    """What folding one event does: outcome, new projection, conflicts, resolutions, state."""

    outcome: Outcome
    reason: str | None
    projection: Any
    """The entity's projection after the event (unchanged when rejected)."""
    status_change: StatusChange | None
    conflicts: tuple[ConflictRecord, ...]
    resolved: tuple[str, ...]
    """Ids of open conflicts this event resolves."""
    state: EntityState


def conflict_id(kept_event_id: str, other_event_id: str, field_name: str) -> str:
    """The deterministic id of the conflict between two events on one field."""
    key = f"{kept_event_id}:{other_event_id}:{field_name}"
    return str(uuid.uuid5(CONFLICT_NAMESPACE, key))


def field_writes(event: Event) -> dict[str, Any]:
    """The fields an event writes and their JSON values (empty for facts and creations)."""
    payload = event.payload
    if isinstance(payload, p.ElevatorStatusChanged | p.DeficiencyStatusChanged):
        value = payload.new if isinstance(payload, p.ElevatorStatusChanged) else payload.status
        return {STATUS_FIELD: value.value}
    if isinstance(payload, PartialPayload):
        return dict(payload.to_json())
    return {}


def kind_refusal(kind: str | None, event: Event) -> str | None:
    """Why ``event`` may not apply to its entity, whose id already names an entity of type
    ``kind`` (None or empty: no event about it was accepted yet), or None.

    An entity id names one entity whatever its type: a second entity under the same id
    would be a second projection for one set of heads and one history.
    """
    if not kind or kind == event.entity_type:
        return None
    return (
        f"Id {event.entity_id} already belongs to an entity of type '{kind}'; this "
        f"'{event.entity_type}' event cannot use it."
    )


def _terminal(current: Any, event: Event) -> str | None:
    """Why ``event`` may not change ``current`` (a decommissioned unit is final), or None."""
    if not isinstance(current, Elevator) or current.status is not ElevatorStatus.DECOMMISSIONED:
        return None
    if isinstance(event.payload, p.ElevatorStatusChanged | p.ElevatorUpdated):
        return (
            f"Unit {current.unit_number} is decommissioned; its status and details can no "
            "longer change."
        )
    return None


def next_heads(state: EntityState, parents: Sequence[str], own: str) -> tuple[str, ...]:
    """The entity's heads once an event with ``parents`` and hash ``own`` is in."""
    if tuple(parents) == state.heads:
        return (own,)
    known = set(parents)
    return tuple(sorted({h for h in state.heads if h not in known} | {own}))


def _concurrent(
    knows_all: bool, ancestry: Ancestry, parents: Sequence[str], previous: Write
) -> bool:
    return not knows_all and not ancestry.knows(parents, previous.hash, previous.order)


def decide(
    current: Any,
    state: EntityState,
    event: Event,
    parents: Sequence[str],
    order: int,
    ancestry: Ancestry,
    kind: str | None = None,
) -> Decision:
    """Fold ``event`` (ledger order ``order``) into ``current`` given the entity's state.

    ``kind``: the entity type its id already names (``kind_refusal``), if known.
    """
    heads = next_heads(state, parents, event.hash)
    refusal = kind_refusal(kind, event) or _terminal(current, event)
    projection = current
    if refusal is None:
        try:
            projection = reduce(current, event)
        except SiteSyncError as exc:
            refusal = exc.message
    if refusal is not None:
        rejected = EntityState(heads, state.writers, state.open)
        return Decision("rejected", refusal, current, None, (), (), rejected)
    writes = field_writes(event)
    if not writes:
        kept = EntityState(heads, state.writers, state.open)
        return Decision("accepted", None, projection, status_change_of(event), (), (), kept)
    knows_all = tuple(parents) == state.heads or set(state.heads) <= set(parents)
    event_id = str(event.event_id)
    writers = dict(state.writers)
    open_conflicts = {k: list(v) for k, v in state.open.items()}
    conflicts: list[ConflictRecord] = []
    resolved: list[str] = []
    for name, value in writes.items():
        new = Write(event_id, event.hash, order, value)
        previous = writers.get(name)
        still_open = []
        for item in open_conflicts.get(name, []):
            if knows_all or (
                ancestry.knows(parents, item.kept_hash, item.oldest)
                and ancestry.knows(parents, item.other_hash, item.oldest)
            ):
                resolved.append(item.conflict_id)
            else:
                still_open.append(item)
        if previous is not None and _concurrent(knows_all, ancestry, parents, previous):
            record = ConflictRecord(
                conflict_id(event_id, previous.event_id, name), name, new, previous
            )
            conflicts.append(record)
            still_open.append(
                OpenConflict(record.conflict_id, event.hash, previous.hash, previous.order)
            )
        open_conflicts[name] = still_open
        writers[name] = new
    state_after = EntityState(heads, writers, {k: tuple(v) for k, v in open_conflicts.items() if v})
    return Decision(
        "accepted",
        None,
        projection,
        status_change_of(event),
        tuple(conflicts),
        tuple(resolved),
        state_after,
    )
