"""Fleet import: every bad line is reported with line, column and reason; good files import."""

from __future__ import annotations

import pytest

from app.domain.enums import DriveType, Manufacturer
from app.domain.errors import ImportFileError
from app.services.fleet_import import import_fleet, parse_fleet_csv
from tests.fakes import InMemoryStore, make_context

HEADER = (
    "customer,site,site_address,unit_number,manufacturer,drive_type,capacity_kg,rated_speed_mps"
)


def _csv(*lines: str) -> bytes:
    return "\n".join((HEADER, *lines)).encode()


def test_good_file_parses_every_column() -> None:
    rows = parse_fleet_csv(_csv("Acme,Tower,1 High St,L1,kone,mrl_traction,630,1.6"))
    assert rows[0].unit["manufacturer"] is Manufacturer.KONE
    assert rows[0].unit["drive_type"] is DriveType.MRL_TRACTION
    assert rows[0].unit["capacity_kg"] == 630


def test_every_bad_line_is_reported_with_line_column_and_reason() -> None:
    data = _csv(
        "Acme,Tower,1 High St,L1,KONE,traction,630,1.6",
        "Acme,Tower,1 High St,,KONE,traction,630,1.6",
        "Acme,Tower,1 High St,L3,Elevatorco,traction,heavy,fast",
        "Acme,Tower,1 High St,l1,KONE,traction,630,1.6",
    )
    with pytest.raises(ImportFileError) as caught:
        parse_fleet_csv(data)
    problems = caught.value.problems
    assert "line 3, column 'unit_number': is required but empty" in problems
    assert any(
        p.startswith("line 4, column 'manufacturer': 'Elevatorco' is not one of") for p in problems
    )
    assert "line 4, column 'capacity_kg': 'heavy' is not a positive whole number of kg" in problems
    assert (
        "line 4, column 'rated_speed_mps': 'fast' is not a number of metres per second" in problems
    )
    assert "line 5, column 'unit_number': unit 'l1' at 'Tower' is already on line 2" in problems
    assert "nothing was imported" in caught.value.message


def test_missing_and_unknown_columns_are_named() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_fleet_csv(b"customer,site,unit,colour\nA,B,C,red\n")
    assert "line 1: missing required column 'site_address'" in caught.value.problems
    assert any("unknown column 'colour'" in p for p in caught.value.problems)


def test_half_a_certificate_is_refused() -> None:
    data = b"customer,site,site_address,unit_number,certificate_number\nA,B,C,L1,CO-1\n"
    with pytest.raises(ImportFileError) as caught:
        parse_fleet_csv(data)
    assert "column 'certificate_number'" in caught.value.problems[0]


def test_not_utf8_and_empty_files_are_refused() -> None:
    with pytest.raises(ImportFileError):
        parse_fleet_csv(b"\xff\xfe\x00c")
    with pytest.raises(ImportFileError):
        parse_fleet_csv(HEADER.encode())


async def test_import_creates_customers_and_sites_once() -> None:
    store = InMemoryStore()
    rows = parse_fleet_csv(
        _csv(
            "Acme,Tower,1 High St,L1,KONE,traction,630,1.6",
            "Acme,Tower,1 High St,L2,Otis,hydraulic,800,0.63",
            "Beta,Annex,2 Low St,L1,,,,",
        )
    )
    summary = await import_fleet(rows, ctx=make_context(store))
    assert (summary.customers, summary.sites, summary.units) == (2, 2, 3)
    assert len(store.state.elevators) == 3
