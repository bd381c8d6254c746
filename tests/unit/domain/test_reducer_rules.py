"""The rules the reducers enforce on every event, however it arrives (DESIGN.md section 5).

A status change of a decommissioned unit, an edit of one, a status change without a reason or
taking effect after it was recorded, an event about an entity that does not exist, a second
creation, settings no organization may have: each raises ``EventRejected``, which a store acts
on by keeping the event, marking it rejected and applying nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from app.domain import payloads as p
from app.domain.entities import Elevator, Organization
from app.domain.enums import ElevatorStatus, RuleSet
from app.domain.errors import ConflictError, EventRejected, SiteSyncError
from app.domain.events import Event, EventPayload
from app.domain.reducers import reduce, status_change_of
from app.domain.settings import OrganizationSettings
from tests.unit.domain.factories import ORG, elevator

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
_seq = iter(range(1, 10_000))


def event(entity: UUID, payload: EventPayload, *, at: datetime = NOW) -> Event:
    n = next(_seq)
    return Event(
        event_id=UUID(int=10_000 + n),
        organization_id=ORG,
        actor_id=UUID(int=3),
        device_id=UUID(int=4),
        device_seq=n,
        entity_type=payload.ENTITY,
        entity_id=entity,
        occurred_at=at,
        payload=payload,
        hash=f"{n:064x}",
    )


def status(new: ElevatorStatus, reason: str = "test", **fields: object) -> p.ElevatorStatusChanged:
    return p.ElevatorStatusChanged(
        previous=ElevatorStatus.OPERATIONAL, new=new, reason=reason, **fields
    )


def decommissioned() -> Elevator:
    unit = elevator()
    return reduce(unit, event(unit.id, status(ElevatorStatus.DECOMMISSIONED)))  # type: ignore[return-value]


def test_decommissioned_is_final_for_status_changes_and_edits() -> None:
    gone = decommissioned()
    assert gone.status is ElevatorStatus.DECOMMISSIONED

    with pytest.raises(EventRejected) as caught:
        reduce(gone, event(gone.id, status(ElevatorStatus.OPERATIONAL)))
    assert caught.value.reason == "Unit 'E10' is decommissioned; its status can no longer change."
    with pytest.raises(EventRejected) as edited:
        reduce(gone, event(gone.id, p.ElevatorUpdated(model="Gen2")))
    assert "its details can no longer change" in edited.value.reason


def test_a_status_change_needs_a_reason_and_cannot_take_effect_after_it_was_recorded() -> None:
    unit = elevator()
    with pytest.raises(EventRejected, match="needs a reason"):
        reduce(unit, event(unit.id, status(ElevatorStatus.DEGRADED, reason="  ")))
    future = status(ElevatorStatus.DEGRADED, effective_at=NOW + timedelta(minutes=6))
    with pytest.raises(EventRejected, match="after it was"):
        reduce(unit, event(unit.id, future))
    # within the clock-skew allowance it is accepted
    skewed = status(ElevatorStatus.DEGRADED, effective_at=NOW + timedelta(minutes=4))
    assert reduce(unit, event(unit.id, skewed)).status is ElevatorStatus.DEGRADED  # type: ignore[union-attr]


def test_a_change_arriving_after_a_later_one_joins_the_history_without_changing_the_status() -> (
    None
):
    unit = elevator()
    later = reduce(unit, event(unit.id, status(ElevatorStatus.MAINTENANCE)))
    assert isinstance(later, Elevator)
    # pulled from another device: it happened at 09:00, before the 12:00 change seen first
    late = event(
        unit.id,
        status(ElevatorStatus.OUT_OF_SERVICE, effective_at=NOW - timedelta(hours=3)),
        at=NOW + timedelta(hours=1),
    )
    after = reduce(later, late)
    assert isinstance(after, Elevator)
    assert (after.status, after.status_since) == (ElevatorStatus.MAINTENANCE, NOW)
    change = status_change_of(late)
    assert change is not None
    assert (change.changed_at, change.recorded_at) == (NOW - timedelta(hours=3), late.occurred_at)
    # a change recorded as it happened applies, even from a device whose clock is behind
    slow = event(unit.id, status(ElevatorStatus.OPERATIONAL), at=NOW - timedelta(minutes=10))
    applied = reduce(after, slow)
    assert isinstance(applied, Elevator)
    assert applied.status is ElevatorStatus.OPERATIONAL


def test_unknown_entities_and_second_creations_are_rejected() -> None:
    with pytest.raises(EventRejected, match="refers to unknown elevator"):
        reduce(None, event(UUID(int=77), status(ElevatorStatus.DEGRADED)))
    unit = elevator()
    created = p.ElevatorRegistered(site_id=unit.site_id, unit_number="L9")
    with pytest.raises(EventRejected, match="already exists"):
        reduce(unit, event(unit.id, created))


def test_organization_settings_are_folded_and_impossible_ones_rejected() -> None:
    created = reduce(None, event(ORG, p.OrganizationCreated(name="Acme Lifts")))
    assert isinstance(created, Organization)
    assert created.settings == OrganizationSettings()
    changed = reduce(
        created,
        event(
            ORG, p.OrganizationSettingsChanged(rule_set=RuleSet.UK_LOLER, cat1_interval_months=6)
        ),
    )
    assert isinstance(changed, Organization)
    assert (changed.settings.rule_set, changed.settings.cat1_interval_months) == (
        RuleSet.UK_LOLER,
        6,
    )
    assert changed.settings.cat5_interval_months == 60  # the others keep their values
    with pytest.raises(EventRejected, match="These settings are not valid"):
        reduce(changed, event(ORG, p.OrganizationSettingsChanged(cat1_interval_months=0)))
    with pytest.raises(EventRejected, match="must be about that organization"):
        reduce(None, event(UUID(int=99), p.OrganizationCreated(name="Elsewhere")))


def test_the_rejection_is_a_conflict_any_store_can_act_on() -> None:
    assert issubclass(EventRejected, ConflictError)
    assert issubclass(EventRejected, SiteSyncError)
    assert EventRejected.code == "EVENT_REJECTED"
