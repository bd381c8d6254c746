"""The conflict-aware fold: merges, conflicts by ledger order, rejections, resolutions."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.events import Event, EventPayload
from app.domain.fold import Decision, EntityState, EventGraph, conflict_id, decide
from tests.unit.domain.factories import ACTOR, ORG, SITE, UNIT, at, uid


class Ledger:
    """Folds events of one unit in ledger order, as a store would, keeping graph and state."""

    def __init__(self) -> None:
        self.graph = EventGraph()
        self.state = EntityState()
        self.current: Any = None
        self.order = 0
        self.decisions: list[Decision] = []

    def fold(self, name: str, payload: EventPayload, parents: list[str]) -> Decision:
        self.order += 1
        digest = hashlib.sha256(name.encode()).hexdigest()
        event = Event(
            event_id=uid(1000 + self.order),
            organization_id=ORG,
            actor_id=ACTOR,
            device_id=uid(500),
            device_seq=self.order,
            entity_type=payload.ENTITY,
            entity_id=UNIT,
            occurred_at=at(hours=self.order),
            payload=payload,
            hash=digest,
        )
        decision = decide(self.current, self.state, event, sorted(parents), self.order, self.graph)
        self.graph.add(digest, parents, self.order)
        self.state = decision.state
        self.current = decision.projection
        self.decisions.append(decision)
        return decision


def h(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def registered(ledger: Ledger) -> None:
    ledger.fold("reg", p.ElevatorRegistered(site_id=SITE, unit_number="L1"), [])


def test_sequential_edits_never_conflict() -> None:
    ledger = Ledger()
    registered(ledger)
    first = ledger.fold("a", p.ElevatorUpdated(model="M1"), [h("reg")])
    second = ledger.fold("b", p.ElevatorUpdated(model="M2"), [h("a")])
    assert first.conflicts == second.conflicts == ()
    assert ledger.current.model == "M2"
    assert ledger.state.heads == (h("b"),)


def test_concurrent_edits_of_different_fields_merge() -> None:
    ledger = Ledger()
    registered(ledger)
    ledger.fold("a", p.ElevatorUpdated(model="M1"), [h("reg")])
    merged = ledger.fold("b", p.ElevatorUpdated(serial_number="S-9"), [h("reg")])
    assert merged.outcome == "accepted"
    assert merged.conflicts == ()
    assert (ledger.current.model, ledger.current.serial_number) == ("M1", "S-9")
    assert ledger.state.heads == tuple(sorted([h("a"), h("b")]))


def test_concurrent_edits_of_one_field_keep_the_later_and_record_both() -> None:
    ledger = Ledger()
    registered(ledger)
    ledger.fold("a", p.ElevatorUpdated(model="Early"), [h("reg")])
    later = ledger.fold("b", p.ElevatorUpdated(model="Late"), [h("reg")])
    assert ledger.current.model == "Late"
    [record] = later.conflicts
    assert record.field == "model"
    assert (record.kept.value, record.other.value) == ("Late", "Early")
    assert record.conflict_id == conflict_id(str(uid(1003)), str(uid(1002)), "model")


def test_a_concurrent_status_change_is_always_a_conflict() -> None:
    ledger = Ledger()
    registered(ledger)
    reason = "door fault"
    ops = ElevatorStatus.OPERATIONAL
    down = p.ElevatorStatusChanged(previous=ops, new=ElevatorStatus.OUT_OF_SERVICE, reason=reason)
    same = p.ElevatorStatusChanged(previous=ops, new=ElevatorStatus.OUT_OF_SERVICE, reason=reason)
    ledger.fold("a", down, [h("reg")])
    second = ledger.fold("b", same, [h("reg")])
    assert [c.field for c in second.conflicts] == ["status"]
    assert ledger.current.status is ElevatorStatus.OUT_OF_SERVICE


def test_a_change_to_a_decommissioned_unit_is_rejected_and_not_applied() -> None:
    ledger = Ledger()
    registered(ledger)
    retire = p.ElevatorStatusChanged(
        previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.DECOMMISSIONED, reason="replaced"
    )
    ledger.fold("a", retire, [h("reg")])
    late = ledger.fold(
        "b",
        p.ElevatorStatusChanged(
            previous=ElevatorStatus.OPERATIONAL, new=ElevatorStatus.MAINTENANCE, reason="pm"
        ),
        [h("reg")],
    )
    assert late.outcome == "rejected"
    assert late.reason is not None
    assert "decommissioned" in late.reason
    assert ledger.current.status is ElevatorStatus.DECOMMISSIONED
    edit = ledger.fold("c", p.ElevatorUpdated(model="X"), [h("a")])
    assert edit.outcome == "rejected"


def test_an_event_about_an_unknown_entity_is_rejected() -> None:
    ledger = Ledger()
    decision = ledger.fold("a", p.ElevatorUpdated(model="X"), [])
    assert decision.outcome == "rejected"
    assert ledger.current is None


def test_a_later_write_that_knows_both_sides_resolves_the_conflict() -> None:
    ledger = Ledger()
    registered(ledger)
    ledger.fold("a", p.ElevatorUpdated(model="A"), [h("reg")])
    conflict = ledger.fold("b", p.ElevatorUpdated(model="B"), [h("reg")])
    [record] = conflict.conflicts
    partial = ledger.fold("c", p.ElevatorUpdated(model="C"), [h("b")])
    assert partial.resolved == ()  # it knew only one side: still open
    assert [c.field for c in partial.conflicts] == []
    resolution = ledger.fold("d", p.ElevatorUpdated(model="A"), [h("a"), h("c")])
    assert resolution.resolved == (record.conflict_id,)
    assert ledger.state.open == {}
    assert ledger.current.model == "A"


def test_ancestry_reaches_through_older_events() -> None:
    ledger = Ledger()
    registered(ledger)
    ledger.fold("a", p.ElevatorUpdated(model="A"), [h("reg")])
    ledger.fold("b", p.ElevatorUpdated(serial_number="S1"), [h("a")])
    ledger.fold("c", p.ElevatorUpdated(floors_served=4), [h("reg")])  # concurrent, other field
    known = ledger.fold("d", p.ElevatorUpdated(model="D"), [h("b")])  # knows a through b
    assert known.conflicts == ()


def test_state_round_trips_through_json() -> None:
    ledger = Ledger()
    registered(ledger)
    ledger.fold("a", p.ElevatorUpdated(model="A"), [h("reg")])
    ledger.fold("b", p.ElevatorUpdated(model="B"), [h("reg")])
    assert EntityState.from_json(ledger.state.to_json()) == ledger.state
    assert ledger.state.oldest(["model"]) == 2


def test_ids_are_the_same_for_every_fold() -> None:
    assert conflict_id("a", "b", "model") == conflict_id("a", "b", "model")
    assert conflict_id("a", "b", "model") != conflict_id("b", "a", "model")
    assert UUID(conflict_id("a", "b", "model")).version == 5
