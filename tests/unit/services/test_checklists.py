"""Checklist evaluation, the shipped templates and the pydantic-error conversion."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from app.domain.checklists import (
    TemplateCatalog,
    evaluate,
    load_templates,
    missing_mandatory,
    parse_reading,
    severity_on_fail,
)
from app.domain.commands import OpenIncident, RecordInspection, RegisterUser, parse_command
from app.domain.entities import ChecklistItem
from app.domain.enums import DeficiencySeverity, DriveType, ItemKind, ItemOutcome
from app.domain.errors import NotFoundError, ValidationError
from app.services.templates import default_templates_dir

BRAKE_GAP = ChecklistItem(
    key="brake-gap",
    label="Brake gap",
    kind=ItemKind.READING,
    unit="mm",
    min_value=Decimal("0.2"),
    max_value=Decimal("0.6"),
)
DOORS = ChecklistItem(key="doors", label="Door operation")
UNIT = UUID("0190a000-0000-7000-8000-000000000001")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.4", "0.4"),
        ("1,5", "1.5"),
        (" 0.35 mm", "0.35"),
        ("-0.5", "-0.5"),
        ("\u22122", "-2"),
        (".5", "0.5"),
        ("3MM", "3"),
    ],
)
def test_readings_are_parsed_from_what_the_user_typed(typed: str, value: str) -> None:
    assert parse_reading(typed, BRAKE_GAP) == Decimal(value)


@pytest.mark.parametrize("typed", ["abc", "1,5.2", "1,2,3", "1e3", "NaN", "0.4.1", "mm"])
def test_a_reading_that_is_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_reading(typed, BRAKE_GAP)
    assert caught.value.message == f"Reading '{typed}' for 'Brake gap' is not a number."
    assert caught.value.field == "reading"


def test_reading_outside_the_band_fails_the_item() -> None:
    inside = evaluate(BRAKE_GAP, outcome=None, reading="0.6")
    outside = evaluate(BRAKE_GAP, outcome=ItemOutcome.PASS, reading="0,9")
    assert (inside.outcome, inside.value) == (ItemOutcome.PASS, Decimal("0.6"))
    assert (outside.outcome, outside.value) == (ItemOutcome.FAIL, Decimal("0.9"))
    assert outside.problem() == "Brake gap failed: reading 0.9 mm outside 0.2 to 0.6 mm"


def test_pass_fail_and_na_rules() -> None:
    with pytest.raises(ValidationError, match="Choose pass, fail or N/A for 'Door operation'"):
        evaluate(DOORS, outcome=None)
    with pytest.raises(ValidationError, match="takes no reading"):
        evaluate(DOORS, outcome=ItemOutcome.PASS, reading="3")
    with pytest.raises(ValidationError, match="marked N/A but has a reading"):
        evaluate(BRAKE_GAP, outcome=ItemOutcome.NOT_APPLICABLE, reading="0.3")
    with pytest.raises(ValidationError, match="Enter a reading for 'Brake gap'"):
        evaluate(BRAKE_GAP, outcome=ItemOutcome.PASS)
    na = evaluate(BRAKE_GAP, outcome=ItemOutcome.NOT_APPLICABLE)
    assert (na.outcome, na.value) == (ItemOutcome.NOT_APPLICABLE, None)
    failed = evaluate(DOORS, outcome=ItemOutcome.FAIL, text="Door reverses late")
    assert failed.problem() == "Door operation failed (Door reverses late)"


def test_shipped_templates_cover_every_drive_type() -> None:
    catalog = TemplateCatalog(load_templates(default_templates_dir()))
    ids = {t.template_id for t in catalog.all()}
    assert ids == {
        "pm-monthly-traction",
        "pm-monthly-hydraulic",
        "pm-monthly-mrl",
        "annual-full-traction",
        "annual-full-hydraulic",
        "annual-full-mrl",
    }
    for drive in DriveType:
        names = {t.template_id.split("-")[0] for t in catalog.for_drive_type(drive)}
        assert names == {"pm", "annual"}
    annual = catalog.get("annual-full-traction", 1)
    brake_gap = annual.item("brake-gap")
    assert brake_gap is not None
    assert brake_gap.unit == "mm"
    assert severity_on_fail(brake_gap) is DeficiencySeverity.INOPERABLE
    remarks = annual.item("remarks")
    assert remarks is not None
    assert severity_on_fail(remarks) is DeficiencySeverity.DEFICIENT
    for template in catalog.all():
        readings = [i for i in template.items if i.kind is ItemKind.READING]
        assert readings
        assert all(i.unit for i in readings)
        assert 7 <= len(missing_mandatory(template, [])) <= 20
    with pytest.raises(NotFoundError):
        catalog.get("pm-monthly-traction", 9)


def test_a_broken_template_file_is_named(tmp_path: Path) -> None:
    bad = {
        "template_id": "x",
        "version": 1,
        "name": "X",
        "drive_types": ["traction"],
        "items": [
            {
                "key": "a",
                "label": "A",
                "kind": "reading",
                "min_value": "2",
                "max_value": "1",
                "unit": "mm",
            }
        ],
    }
    (tmp_path / "x.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"x\.json is invalid: .*min_value 2 is above"):
        load_templates(tmp_path)
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"x\.json cannot be read"):
        load_templates(tmp_path)


def test_pydantic_errors_never_escape_a_command() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_command(RegisterUser, {"email": "a@b.example", "display_name": "A", "role": "boss"})
    assert caught.value.message == ("Role must be one of: 'technician', 'supervisor' or 'admin'.")
    assert caught.value.field == "role"
    with pytest.raises(ValidationError, match="An entrapment needs the number of persons"):
        OpenIncident(elevator_id=UNIT, channel="alarm", reported_trouble="Stuck", entrapment=True)
    with pytest.raises(ValidationError, match="The inspection passed but defects are listed"):
        RecordInspection(
            elevator_id=UNIT,
            type="cat1_annual",
            performed_on="2025-01-01",
            performed_by="Inspector",
            result="passed",
            defects=["Pit light"],
        )
