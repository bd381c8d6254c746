"""The callback log: opening takes units down, closing brings them back, KPIs fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    ChangeElevatorStatus,
    CloseIncident,
    OpenIncident,
    StartVisit,
    UpdateIncident,
)
from app.domain.enums import (
    DowntimeCause,
    ElevatorStatus,
    FaultCategory,
    IncidentChannel,
    IncidentStatus,
    KpiExclusion,
    VisitType,
)
from app.domain.errors import ConflictError, ValidationError
from app.domain.payloads import ElevatorStatusChanged, IncidentOpened
from app.services.context import ServiceContext
from app.services.elevators import change_elevator_status
from app.services.incidents import close_incident, open_incident, update_incident
from app.services.visits import start_visit
from tests.fakes import FixedClock, InMemoryStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused, types_of

REPORTED = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)


def stuck(fleet: Fleet, **changes: object) -> OpenIncident:
    fields: dict[str, object] = {
        "elevator_id": fleet.traction_id,
        "reported_at": REPORTED,
        "channel": IncidentChannel.ALARM,
        "reporter": "Concierge",
        "reported_trouble": "Car stuck between floors 3 and 4",
        "out_of_service": True,
        "entrapment": True,
        "persons_trapped": 2,
    }
    return OpenIncident(**(fields | changes))


async def test_opening_an_out_of_service_incident_takes_the_unit_down(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    begin = len(store.events)
    created = await open_incident(
        stuck(fleet, release_at=REPORTED + timedelta(minutes=20), fault_code="E-17"),
        ctx=tech_ctx,
    )
    assert types_of(store, begin) == [
        "incident.opened",
        "incident.updated",
        "elevator.status_changed",
    ]
    incident = store.state.incidents[created.id]
    assert (incident.entrapment, incident.persons_trapped) == (True, 2)
    assert incident.release_at == REPORTED + timedelta(minutes=20)
    assert incident.out_of_service_at == REPORTED
    assert incident.unit_status_at_report is ElevatorStatus.OPERATIONAL
    assert incident.repeat_of is None
    unit = store.state.elevators[fleet.traction_id]
    assert (unit.status, unit.downtime_cause) == (
        ElevatorStatus.OUT_OF_SERVICE,
        DowntimeCause.INCIDENT,
    )
    change = store.events[-1].payload
    assert isinstance(change, ElevatorStatusChanged)
    assert (change.previous, change.incident_id) == (ElevatorStatus.OPERATIONAL, created.id)
    assert set(created.changes.entity_ids("elevator")) == {fleet.traction_id}
    assert_chain(store, tech_ctx)


async def test_a_unit_already_down_gets_no_second_status_change(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    await open_incident(stuck(fleet), ctx=tech_ctx)
    begin = len(store.events)
    await open_incident(
        stuck(fleet, entrapment=False, persons_trapped=0, reported_trouble="Alarm bell faulty"),
        ctx=tech_ctx,
    )
    assert types_of(store, begin) == ["incident.opened"]


async def test_bad_callback_input_writes_nothing(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    early = stuck(fleet, release_at=REPORTED - timedelta(minutes=5))
    error = await refused(store, open_incident(early, ctx=tech_ctx), ValidationError)
    assert error.message == "Release 07:25 is before report 07:30."
    assert error.field == "release_at"
    with pytest.raises(ValidationError) as caught:
        stuck(fleet, persons_trapped=0)
    assert caught.value.message == (
        "An entrapment needs the number of persons trapped (at least 1)."
    )


async def test_closing_brings_the_unit_back_unless_another_keeps_it_down(
    store: InMemoryStore,
    tech_ctx: ServiceContext,
    templates: TemplateCatalog,
    clock: FixedClock,
    fleet: Fleet,
) -> None:
    first = await open_incident(stuck(fleet), ctx=tech_ctx)
    second = await open_incident(
        stuck(fleet, entrapment=False, persons_trapped=0, reported_trouble="Door off track"),
        ctx=tech_ctx,
    )
    visit = await start_visit(
        StartVisit(elevator_id=fleet.traction_id, type=VisitType.CALLBACK, incident_id=first.id),
        ctx=tech_ctx,
        templates=templates,
    )
    arrived = store.state.incidents[first.id].arrived_at
    assert arrived == clock.now() == store.state.visits[visit.id].arrived_at

    clock.advance(hours=1)
    await close_incident(
        CloseIncident(
            incident_id=first.id,
            back_in_service=True,
            corrective_action="Reset drive, released passengers",
            fault_category=FaultCategory.DRIVE,
        ),
        ctx=tech_ctx,
    )
    closed = store.state.incidents[first.id]
    assert (closed.status, closed.back_in_service_at, closed.visits_to_resolve) == (
        IncidentStatus.CLOSED,
        clock.now(),
        1,
    )
    assert closed.fault_category is FaultCategory.DRIVE
    # The door incident still keeps the unit down.
    assert store.state.elevators[fleet.traction_id].status is ElevatorStatus.OUT_OF_SERVICE

    begin = len(store.events)
    await close_incident(
        CloseIncident(incident_id=second.id, back_in_service=True, corrective_action="Rehung door"),
        ctx=tech_ctx,
    )
    assert types_of(store, begin) == ["incident.closed", "elevator.status_changed"]
    assert store.state.incidents[second.id].visits_to_resolve == 0
    unit = store.state.elevators[fleet.traction_id]
    assert unit.status is ElevatorStatus.OPERATIONAL
    change = store.events[-1].payload
    assert isinstance(change, ElevatorStatusChanged)
    assert (change.cause, change.incident_id) == (DowntimeCause.INCIDENT, second.id)
    history = store.state.status_history
    assert [(h.previous, h.new) for h in history] == [
        (ElevatorStatus.OPERATIONAL, ElevatorStatus.OUT_OF_SERVICE),
        (ElevatorStatus.OUT_OF_SERVICE, ElevatorStatus.OPERATIONAL),
    ]
    again = CloseIncident(incident_id=second.id, back_in_service=True)
    await refused(store, close_incident(again, ctx=tech_ctx), ConflictError)
    assert_chain(store, tech_ctx)


async def test_closing_needs_a_corrective_action(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    created = await open_incident(stuck(fleet), ctx=tech_ctx)
    cmd = CloseIncident(incident_id=created.id, back_in_service=True)
    error = await refused(store, close_incident(cmd, ctx=tech_ctx), ValidationError)
    assert error.field == "corrective_action"


async def test_repeat_callbacks_are_linked_automatically(
    store: InMemoryStore, tech_ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    base = stuck(fleet, out_of_service=False, entrapment=False, persons_trapped=0)
    first = await open_incident(base, ctx=tech_ctx)
    clock.advance(days=60)
    second = await open_incident(
        base.model_copy(update={"reported_at": REPORTED + timedelta(days=12)}), ctx=tech_ctx
    )
    late = await open_incident(
        base.model_copy(update={"reported_at": REPORTED + timedelta(days=50)}), ctx=tech_ctx
    )
    assert store.state.incidents[second.id].repeat_of == first.id
    assert store.state.incidents[late.id].repeat_of is None
    opened = [e.payload for e in store.events if isinstance(e.payload, IncidentOpened)]
    assert opened[1].to_json()["repeat_of"] == str(first.id)


async def test_update_incident_checks_the_merged_entry(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    created = await open_incident(
        stuck(fleet, entrapment=False, persons_trapped=0, out_of_service=False), ctx=tech_ctx
    )
    begin = len(store.events)
    bad = UpdateIncident(incident_id=created.id, entrapment=True)
    error = await refused(store, update_incident(bad, ctx=tech_ctx), ValidationError)
    assert error.field == "persons_trapped"
    await update_incident(
        UpdateIncident(
            incident_id=created.id,
            excluded_from_kpi=True,
            exclusion_reason=KpiExclusion.VANDALISM,
            root_cause="Door kicked",
        ),
        ctx=tech_ctx,
    )
    incident = store.state.incidents[created.id]
    assert (incident.excluded_from_kpi, incident.countable) == (True, False)
    assert store.events[begin].payload.to_json() == {
        "excluded_from_kpi": True,
        "exclusion_reason": "vandalism",
        "root_cause": "Door kicked",
    }


async def test_no_new_incident_on_a_decommissioned_unit(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    created = await open_incident(stuck(fleet, out_of_service=False), ctx=ctx)
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=fleet.traction_id, status=ElevatorStatus.DECOMMISSIONED, reason="Removed"
        ),
        ctx=ctx,
    )
    error = await refused(store, open_incident(stuck(fleet), ctx=ctx), ConflictError)
    assert "decommissioned" in error.message
    update = UpdateIncident(incident_id=created.id, root_cause="x")
    await refused(store, update_incident(update, ctx=ctx), ConflictError)
    # Closing out the record stays possible, without touching the unit's final status.
    await close_incident(
        CloseIncident(
            incident_id=created.id, back_in_service=False, corrective_action="Unit removed"
        ),
        ctx=ctx,
    )
    assert store.state.elevators[fleet.traction_id].status is ElevatorStatus.DECOMMISSIONED
