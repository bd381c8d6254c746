"""Customers, sites, users and units: happy paths, and bad input that writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.domain.commands import (
    AssignTechnician,
    ChangeElevatorStatus,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    RegisterUser,
    UpdateCustomer,
    UpdateElevator,
    UpdateSite,
)
from app.domain.entities import Certificate
from app.domain.enums import DowntimeCause, ElevatorStatus, Role
from app.domain.errors import (
    AuthorizationError,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)
from app.domain.payloads import ElevatorRegistered, ElevatorStatusChanged, ElevatorUpdated
from app.services.context import ServiceContext
from app.services.customers import create_customer, update_customer
from app.services.elevators import change_elevator_status, register_elevator, update_elevator
from app.services.sites import assign_technician, create_site, update_site
from app.services.users import register_user
from tests.fakes import FixedClock, InMemoryStore, SequentialIds
from tests.unit.services.conftest import Fleet
from tests.unit.services.support import assert_chain, refused, types_of


async def test_customer_and_site_are_created_and_edited(
    store: InMemoryStore, ctx: ServiceContext
) -> None:
    customer = await create_customer(
        CreateCustomer(name="  Acme Towers ", contact_email="Ops@Acme.example"), ctx=ctx
    )
    site = await create_site(
        CreateSite(customer_id=customer.id, name="North Block", address="2 High St"), ctx=ctx
    )
    changes = await update_site(UpdateSite(site_id=site.id, access_notes="Key at desk"), ctx=ctx)
    same = await update_customer(
        UpdateCustomer(customer_id=customer.id, name="Acme Towers"), ctx=ctx
    )

    saved = store.state.customers[customer.id]
    assert (saved.name, saved.contact_email) == ("Acme Towers", "ops@acme.example")
    assert store.state.sites[site.id].access_notes == "Key at desk"
    assert changes.entity_ids("site") == [site.id]
    assert same.events == ()  # nothing changed, nothing recorded
    assert types_of(store) == ["customer.created", "site.created", "site.updated"]
    assert store.events[2].payload.to_json() == {"access_notes": "Key at desk"}
    assert_chain(store, ctx)


async def test_duplicate_customer_and_site_names_are_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    error = await refused(
        store, create_customer(CreateCustomer(name="harbour holdings"), ctx=ctx), ValidationError
    )
    assert error.message == "A customer named 'Harbour Holdings' already exists."
    site = CreateSite(customer_id=fleet.customer_id, name="HARBOUR VIEW", address="x")
    error = await refused(store, create_site(site, ctx=ctx), ValidationError)
    assert error.field == "name"


async def test_site_needs_an_existing_customer(store: InMemoryStore, ctx: ServiceContext) -> None:
    cmd = CreateSite(customer_id=SequentialIds(1).new_id(), name="Nowhere", address="x")
    error = await refused(store, create_site(cmd, ctx=ctx), NotFoundError)
    assert error.message == "The customer was not found."


async def test_register_elevator_records_the_unit(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    start = len(store.events)
    created = await register_elevator(
        RegisterElevator(
            site_id=fleet.site_id,
            unit_number=" L9 ",
            serial_number="SN-1",
            capacity_kg=1000,
            rated_speed_mps="2.5",
            certificate=Certificate(
                number="C-77", issued_on=date(2025, 1, 1), expires_on=date(2026, 1, 1)
            ),
        ),
        ctx=ctx,
    )
    unit = store.state.elevators[created.id]
    assert (unit.unit_number, unit.capacity_kg, unit.rated_speed_mps) == (
        "L9",
        1000,
        Decimal("2.5"),
    )
    assert unit.status is ElevatorStatus.OPERATIONAL
    [event] = store.events[start:]
    assert isinstance(event.payload, ElevatorRegistered)
    assert event.payload.to_json()["rated_speed_mps"] == "2.5"
    assert created.changes.entity_ids("elevator") == [created.id]
    assert_chain(store, ctx)


async def test_empty_unit_number_is_refused_before_anything_is_written(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    before = len(store.events)
    with pytest.raises(ValidationError) as caught:
        RegisterElevator(site_id=fleet.site_id, unit_number="   ")
    assert caught.value.message == "A unit number is required, e.g. 'L1'."
    assert caught.value.field == "unit_number"
    assert len(store.events) == before


async def test_duplicate_unit_number_at_a_site_is_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    cmd = RegisterElevator(site_id=fleet.site_id, unit_number="l1 ")
    error = await refused(store, register_elevator(cmd, ctx=ctx), ValidationError)
    assert error.message == (
        "Unit 'l1' already exists at Harbour View; choose another unit number."
    )
    assert error.field == "unit_number"
    assert error.hint is not None
    assert "decommission" in error.hint


async def test_unit_number_is_free_again_after_decommissioning(
    store: InMemoryStore, ctx: ServiceContext, supervisor_ctx: ServiceContext, fleet: Fleet
) -> None:
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=fleet.traction_id,
            status=ElevatorStatus.DECOMMISSIONED,
            reason="Replaced by new unit",
        ),
        ctx=supervisor_ctx,
    )
    cmd = RegisterElevator(site_id=fleet.site_id, unit_number="L1")
    # Registering a replacement is for administrators only...
    await refused(store, register_elevator(cmd, ctx=supervisor_ctx), AuthorizationError)
    # ...who may reuse the number.
    created = await register_elevator(cmd, ctx=ctx)
    assert store.state.elevators[created.id].unit_number == "L1"
    assert store.state.elevators[fleet.traction_id].status is ElevatorStatus.DECOMMISSIONED


async def test_bad_unit_values_are_refused(fleet: Fleet) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"capacity_kg": 0}, "Capacity must be a positive number of kilograms, e.g. 630."),
        ({"capacity_kg": "heavy"}, "Capacity (kg) must be a whole number."),
        (
            {"rated_speed_mps": "-1"},
            "Rated speed must be a positive number of metres per second, e.g. 1.6.",
        ),
        ({"floors_served": 0}, "Floors served must be at least 1."),
        (
            {
                "certificate": {
                    "number": "C1",
                    "issued_on": "2025-05-01",
                    "expires_on": "2025-04-01",
                }
            },
            "The certificate expires on 2025-04-01, which is not after it was issued (2025-05-01).",
        ),
        ({"status": "decommissioned"}, "A new unit cannot start decommissioned."),
    ]
    for extra, message in cases:
        with pytest.raises(ValidationError) as caught:
            RegisterElevator(site_id=fleet.site_id, unit_number="L5", **extra)
        assert caught.value.message == message


async def test_update_elevator_records_only_changed_fields(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    start = len(store.events)
    await update_elevator(
        UpdateElevator(
            elevator_id=fleet.traction_id,
            model="MonoSpace 500",
            capacity_kg=630,
            serial_number=None,
        ),
        ctx=ctx,
    )
    [event] = store.events[start:]
    assert isinstance(event.payload, ElevatorUpdated)
    assert event.payload.to_json() == {"model": "MonoSpace 500"}
    assert store.state.elevators[fleet.traction_id].model == "MonoSpace 500"


async def test_renaming_to_a_taken_unit_number_is_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    cmd = UpdateElevator(elevator_id=fleet.hydraulic_id, unit_number="L1")
    error = await refused(store, update_elevator(cmd, ctx=ctx), ValidationError)
    assert error.message.startswith("Unit 'L1' already exists at Harbour View")


async def test_status_change_records_previous_status_and_history(
    store: InMemoryStore, ctx: ServiceContext, clock: FixedClock, fleet: Fleet
) -> None:
    clock.advance(hours=1)
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=fleet.traction_id,
            status=ElevatorStatus.MAINTENANCE,
            reason="Annual examination",
        ),
        ctx=ctx,
    )
    event = store.events[-1]
    assert isinstance(event.payload, ElevatorStatusChanged)
    assert (event.payload.previous, event.payload.new) == (
        ElevatorStatus.OPERATIONAL,
        ElevatorStatus.MAINTENANCE,
    )
    unit = store.state.elevators[fleet.traction_id]
    assert (unit.status, unit.status_since, unit.downtime_cause) == (
        ElevatorStatus.MAINTENANCE,
        clock.now(),
        DowntimeCause.PLANNED,
    )
    [row] = store.state.status_history
    assert (row.previous, row.new, row.reason) == (
        ElevatorStatus.OPERATIONAL,
        ElevatorStatus.MAINTENANCE,
        "Annual examination",
    )
    assert_chain(store, ctx)


async def test_status_change_rules(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet
) -> None:
    no_reason = ChangeElevatorStatus(
        elevator_id=fleet.traction_id, status=ElevatorStatus.DEGRADED, reason=" "
    )
    error = await refused(store, change_elevator_status(no_reason, ctx=tech_ctx), ValidationError)
    assert error.field == "reason"
    decommission = ChangeElevatorStatus(
        elevator_id=fleet.traction_id, status=ElevatorStatus.DECOMMISSIONED, reason="Old"
    )
    denied = await refused(
        store, change_elevator_status(decommission, ctx=tech_ctx), AuthorizationError
    )
    assert denied.message == "Only a supervisor or administrator can decommission a unit."


async def test_changes_to_a_decommissioned_unit_are_refused(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    await change_elevator_status(
        ChangeElevatorStatus(
            elevator_id=fleet.hydraulic_id, status=ElevatorStatus.DECOMMISSIONED, reason="Removed"
        ),
        ctx=ctx,
    )
    update = UpdateElevator(elevator_id=fleet.hydraulic_id, model="X")
    error = await refused(store, update_elevator(update, ctx=ctx), ConflictError)
    assert error.message == (
        "Unit 'L2' at Harbour View is decommissioned; it can no longer change."
    )
    again = ChangeElevatorStatus(
        elevator_id=fleet.hydraulic_id, status=ElevatorStatus.OPERATIONAL, reason="Oops"
    )
    await refused(store, change_elevator_status(again, ctx=ctx), InvalidTransitionError)


async def test_register_user_rules(
    store: InMemoryStore, tech_ctx: ServiceContext, supervisor_ctx: ServiceContext, fleet: Fleet
) -> None:
    new_tech = RegisterUser(email="new@example.com", display_name="New", role=Role.TECHNICIAN)
    await refused(store, register_user(new_tech, ctx=tech_ctx), AuthorizationError)
    admin = RegisterUser(email="boss@example.com", display_name="Boss", role=Role.ADMIN)
    await refused(store, register_user(admin, ctx=supervisor_ctx), AuthorizationError)
    taken = RegisterUser(email="TESS@example.com", display_name="Tess 2", role=Role.TECHNICIAN)
    error = await refused(store, register_user(taken, ctx=supervisor_ctx), ValidationError)
    assert error.field == "email"
    created = await register_user(new_tech, ctx=supervisor_ctx)
    user = store.state.users[created.id]
    assert (user.email, user.role, user.active) == ("new@example.com", Role.TECHNICIAN, True)


async def test_assign_technician_to_site(
    store: InMemoryStore, tech_ctx: ServiceContext, supervisor_ctx: ServiceContext, fleet: Fleet
) -> None:
    cmd = AssignTechnician(site_id=fleet.site_id, technician_id=fleet.technician_id)
    await refused(store, assign_technician(cmd, ctx=tech_ctx), AuthorizationError)
    await assign_technician(cmd, ctx=supervisor_ctx)
    again = await assign_technician(cmd, ctx=supervisor_ctx)
    assert store.state.sites[fleet.site_id].assigned_technicians == (fleet.technician_id,)
    assert again.events == ()
    await assign_technician(cmd.model_copy(update={"assigned": False}), ctx=supervisor_ctx)
    assert store.state.sites[fleet.site_id].assigned_technicians == ()


async def test_input_is_made_fit_for_signed_events(
    store: InMemoryStore, ctx: ServiceContext, fleet: Fleet
) -> None:
    decomposed = "Cafe\u0301 Royal"  # as some keyboards and file systems produce it
    created = await create_customer(CreateCustomer(name=decomposed), ctx=ctx)
    assert store.state.customers[created.id].name == "Caf\u00e9 Royal"
    assert_chain(store, ctx)
    with pytest.raises(ValidationError) as caught:
        RegisterElevator(site_id=fleet.site_id, unit_number="L7", capacity_kg=2**60)
    assert caught.value.message == "Capacity (kg) is far too large."
