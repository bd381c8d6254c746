"""Input hygiene: no NUL bytes or control characters anywhere, names and unit numbers on one
line, every text field capped, each refusal a sentence naming the field and the fix."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from app.domain.commands import (
    AddNote,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    RegisterUser,
    UpdateElevator,
)
from app.domain.enums import Role
from app.domain.errors import ValidationError
from app.domain.forms import MAX_LINE, MAX_TEXT, MAX_UNIT_NUMBER

ID = UUID(int=1)


def _refused(build: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        build()
    return caught.value


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda v: CreateCustomer(name=v), "name"),
        (lambda v: CreateCustomer(name="Acme", contact_name=v), "contact_name"),
        (lambda v: CreateSite(customer_id=ID, name=v, address="1 High St"), "name"),
        (lambda v: RegisterElevator(site_id=ID, unit_number=v), "unit_number"),
        (lambda v: UpdateElevator(elevator_id=ID, unit_number=v), "unit_number"),
        (
            lambda v: RegisterElevator(site_id=ID, unit_number="L1", serial_number=v),
            "serial_number",
        ),
        (
            lambda v: RegisterUser(email="t@example.com", display_name=v, role=Role.TECHNICIAN),
            "display_name",
        ),
    ],
)
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("L1\x00", "control character"),
        ("Harbour\nView", "one line"),
        ("Harbour\rView", "one line"),
        ("Harbour\u2028View", "one line"),
        ("Harbour\tView", "one line"),
        ("Esc\x1b[31m", "control character"),
    ],
)
def test_names_and_unit_numbers_refuse_nul_and_line_breaks(
    build: Any, field: str, value: str, words: str
) -> None:
    error = _refused(lambda: build(value))
    assert words in error.message
    assert error.field == field
    assert error.hint


def test_unit_numbers_names_and_free_text_are_capped() -> None:
    assert RegisterElevator(site_id=ID, unit_number="L" * MAX_UNIT_NUMBER)
    error = _refused(lambda: RegisterElevator(site_id=ID, unit_number="L" * (MAX_UNIT_NUMBER + 1)))
    assert f"at most {MAX_UNIT_NUMBER} characters" in error.message
    assert CreateCustomer(name="A" * MAX_LINE)
    error = _refused(lambda: CreateCustomer(name="A" * (MAX_LINE + 1)))
    assert f"at most {MAX_LINE} characters" in error.message
    note = "x" * (MAX_TEXT + 1)
    error = _refused(lambda: AddNote(visit_id=ID, text=note))
    assert f"at most {MAX_TEXT:,} characters" in error.message


def test_free_text_keeps_its_line_breaks_but_not_nul() -> None:
    assert AddNote(visit_id=ID, text="Doors adjusted.\nRollers replaced.").text.count("\n") == 1
    error = _refused(lambda: AddNote(visit_id=ID, text="Doors\x00adjusted"))
    assert "control character" in error.message
