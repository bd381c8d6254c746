"""Fields are listed once: a unit's details and a callback's editable details are shared by
the record, its events and its commands."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import BaseModel

from app.domain.commands import RegisterElevator, UpdateElevator, UpdateIncident
from app.domain.entities import Elevator, UnitDetails, UnitDetailsEdit
from app.domain.errors import ValidationError
from app.domain.payloads import ElevatorRegistered, ElevatorUpdated, IncidentUpdated
from app.domain.work import Incident, IncidentDetailsEdit

AT = datetime(2025, 1, 1, tzinfo=UTC)


def test_an_edit_can_change_every_detail_and_nothing_else() -> None:
    assert list(UnitDetailsEdit.model_fields) == list(UnitDetails.model_fields)
    for name, edit in UnitDetailsEdit.model_fields.items():
        assert not edit.is_required(), name
        assert edit.default is None, name


@pytest.mark.parametrize("kind", [Elevator, ElevatorRegistered, RegisterElevator])
def test_the_unit_its_registration_and_its_command_share_the_details(kind: type[BaseModel]) -> None:
    assert set(UnitDetails.model_fields) <= set(kind.model_fields)
    for name, field in UnitDetails.model_fields.items():
        assert kind.model_fields[name].default == field.default, name


def test_text_details_are_trimmed_and_blank_ones_dropped_everywhere() -> None:
    site = uuid4()
    command = RegisterElevator(site_id=site, unit_number=" L1 ", serial_number="  ", model=" X ")
    registered = ElevatorRegistered(**command.model_dump())
    unit = Elevator(
        **registered.model_dump(),
        id=uuid4(),
        organization_id=uuid4(),
        status_since=AT,
        registered_at=AT,
        updated_at=AT,
    )
    for carrier in (command, registered, unit):
        assert (carrier.unit_number, carrier.serial_number, carrier.model) == ("L1", None, "X")


def test_the_commands_keep_their_checks_on_the_shared_fields() -> None:
    with pytest.raises(ValidationError, match="Capacity must be a positive number"):
        RegisterElevator(site_id=uuid4(), unit_number="L1", capacity_kg=0)
    with pytest.raises(ValidationError, match="Floors served must be at least 1"):
        UpdateElevator(elevator_id=uuid4(), floors_served=0)
    with pytest.raises(ValidationError, match="unit number is required"):
        UpdateElevator(elevator_id=uuid4(), unit_number=" ")


@pytest.mark.parametrize(
    ("edit", "record", "carriers"),
    [
        (UnitDetailsEdit, Elevator, (ElevatorUpdated, UpdateElevator)),
        (IncidentDetailsEdit, Incident, (IncidentUpdated, UpdateIncident)),
    ],
)
def test_every_edit_changes_fields_of_the_record(
    edit: type[BaseModel], record: type[BaseModel], carriers: tuple[type[BaseModel], ...]
) -> None:
    assert set(edit.model_fields) <= set(record.model_fields)  # the reducer can apply it
    for carrier in carriers:
        assert set(edit.model_fields) <= set(carrier.model_fields), carrier
    for name, field in edit.model_fields.items():
        assert field.default is None, name
