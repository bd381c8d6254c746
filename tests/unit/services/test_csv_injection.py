"""CSV exports never hand a spreadsheet a formula: cells that would start one are escaped.

OWASP's rule for CSV injection: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so spreadsheet programs show it as text.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.checklists import TemplateCatalog
from app.domain.commands.visits import AddNote, AddPart, StartVisit
from app.domain.enums import IncidentChannel, VisitType
from app.services.context import ServiceContext
from app.services.incidents import open_incident
from app.services.reports import (
    CALLBACK_COLUMNS,
    VISIT_COLUMNS,
    callback_rows,
    csv_text,
    load_unit_report,
    spreadsheet_cell,
    visit_rows,
)
from app.services.visit_entries import add_note, add_part
from app.services.visits import start_visit
from tests.fakes import InMemoryStore
from tests.unit.services.conftest import Fleet
from tests.unit.services.test_incidents import stuck

ATTACKS = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "@SUM(1+1)", "-2+3", "\tTAB", "\r=1+1"]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_that_would_start_a_formula_is_escaped(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value
    text = csv_text(["A"], [[value]], "footer")
    [row] = list(csv.reader(io.StringIO(text, newline="")))[1:2]
    assert row == ["'" + value]


@pytest.mark.parametrize("value", ["", "Doors not closing", "L1", "2025-03-03 07:30", "'quoted"])
def test_ordinary_cells_are_unchanged(value: str) -> None:
    assert spreadsheet_cell(value) == value


async def test_the_callback_log_export_escapes_what_was_typed_into_a_callback(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet, templates: TemplateCatalog
) -> None:
    await open_incident(
        stuck(
            fleet,
            channel=IncidentChannel.PHONE,
            reporter="@SUM(1+1)",
            reported_trouble="=cmd|' /C calc'!A0",
            fault_code="-2+3",
            root_cause="+SUM(1+1)",
        ),
        ctx=tech_ctx,
    )
    report = await load_unit_report(
        store.unit_of_work,
        fleet.traction_id,
        templates=templates,
        now=datetime(2025, 4, 1, tzinfo=UTC),
        chain="Chain intact",
    )
    text = csv_text(CALLBACK_COLUMNS, callback_rows(report), "Chain intact")
    [row] = list(csv.reader(io.StringIO(text, newline="")))[1:2]
    call = dict(zip(CALLBACK_COLUMNS, row, strict=True))
    assert call["Reported trouble"] == "'=cmd|' /C calc'!A0"
    assert call["Reporter"] == "'@SUM(1+1)"
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


async def test_the_maintenance_record_export_escapes_what_was_typed_into_a_visit(
    store: InMemoryStore, tech_ctx: ServiceContext, fleet: Fleet, templates: TemplateCatalog
) -> None:
    arrived = tech_ctx.clock.now() - timedelta(hours=1)
    start = StartVisit(elevator_id=fleet.traction_id, type=VisitType.REPAIR, arrived_at=arrived)
    visit = (await start_visit(start, ctx=tech_ctx, templates=templates)).id
    part = AddPart(visit_id=visit, part_number="=cmd|' /C calc'!A0", description="@SUM(1+1)")
    await add_part(part, ctx=tech_ctx)
    await add_note(AddNote(visit_id=visit, text="+SUM(1+1)"), ctx=tech_ctx)
    report = await load_unit_report(
        store.unit_of_work,
        fleet.traction_id,
        templates=templates,
        now=datetime(2025, 4, 1, tzinfo=UTC),
        chain="Chain intact",
    )
    text = csv_text(VISIT_COLUMNS, visit_rows(report), "Chain intact")
    [row] = list(csv.reader(io.StringIO(text, newline="")))[1:2]
    record = dict(zip(VISIT_COLUMNS, row, strict=True))
    assert record["Parts"] == "1 × =cmd|' /C calc'!A0 @SUM(1+1)"  # counted first: no formula
    assert record["Notes"] == "'+SUM(1+1)"
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
