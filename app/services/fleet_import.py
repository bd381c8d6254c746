"""Onboard a fleet from a spreadsheet (CSV): customers, sites and units, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from uuid import UUID

from app.domain.commands import CreateCustomer, CreateSite, RegisterElevator
from app.domain.entities import Certificate
from app.domain.enums import DriveType, Manufacturer
from app.domain.errors import (
    ChainContinuityError,
    ConflictError,
    ImportFileError,
    NotFoundError,
    ValidationError,
)
from app.services.context import ServiceContext
from app.services.customers import create_customer
from app.services.elevators import register_elevator
from app.services.sites import create_site

REQUIRED = ("customer", "site", "site_address", "unit_number")
OPTIONAL = (
    "manufacturer",
    "model",
    "drive_type",
    "serial_number",
    "conveyance_id",
    "capacity_kg",
    "rated_speed_mps",
    "floors_served",
    "installation_date",
    "certificate_number",
    "certificate_issued",
    "certificate_expires",
    "maintenance_interval_days",
    "carries_passengers",
)
COLUMNS = REQUIRED + OPTIONAL

_CHECKING: Final = UUID(int=0)
"""Stands in for the customer and site ids while a line's commands are checked."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    customer: str
    site: str
    site_address: str
    unit: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    customers: int
    sites: int
    units: int


class _LineProblems:
    def __init__(self, line: int) -> None:
        self.line = line
        self.problems: list[str] = []

    def add(self, column: str, reason: str) -> None:
        self.problems.append(f"line {self.line}, column '{column}': {reason}")

    def parse[T](
        self, raw: dict[str, str], column: str, convert: Callable[[str], T], expect: str
    ) -> T | None:
        text = (raw.get(column) or "").strip()
        if not text:
            return None
        try:
            return convert(text)
        except (ValueError, InvalidOperation):
            self.add(column, f"'{text}' is not {expect}")
            return None


def _choice[E: (Manufacturer, DriveType)](kind: type[E]) -> Callable[[str], E]:
    def convert(text: str) -> E:
        for member in kind:
            if text.casefold() in (member.value.casefold(), member.name.casefold()):
                return member
        raise ValueError(text)

    return convert


def _yes_no(text: str) -> bool:
    answer = text.casefold()
    if answer in ("yes", "y", "true", "1"):
        return True
    if answer in ("no", "n", "false", "0"):
        return False
    raise ValueError(text)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _row(line: int, raw: dict[str, str], problems: _LineProblems) -> ImportRow | None:
    for column in REQUIRED:
        if not (raw.get(column) or "").strip():
            problems.add(column, "is required but empty")
    p = problems.parse
    unit: dict[str, Any] = {
        "unit_number": (raw.get("unit_number") or "").strip(),
        "manufacturer": p(
            raw,
            "manufacturer",
            _choice(Manufacturer),
            "one of " + ", ".join(m.value for m in Manufacturer),
        ),
        "model": (raw.get("model") or "").strip() or None,
        "drive_type": p(
            raw, "drive_type", _choice(DriveType), "one of " + ", ".join(d.value for d in DriveType)
        ),
        "serial_number": (raw.get("serial_number") or "").strip() or None,
        "conveyance_id": (raw.get("conveyance_id") or "").strip() or None,
        "capacity_kg": p(raw, "capacity_kg", _positive_int, "a positive whole number of kg"),
        "rated_speed_mps": p(raw, "rated_speed_mps", Decimal, "a number of metres per second"),
        "floors_served": p(raw, "floors_served", _positive_int, "a positive whole number"),
        "installation_date": p(raw, "installation_date", date.fromisoformat, "a date YYYY-MM-DD"),
        "maintenance_interval_days": p(
            raw, "maintenance_interval_days", _positive_int, "a positive whole number of days"
        ),
    }
    unit["carries_passengers"] = p(
        raw, "carries_passengers", _yes_no, "yes or no (no: a goods-only lift)"
    )
    cert = [
        (raw.get(c) or "").strip()
        for c in ("certificate_number", "certificate_issued", "certificate_expires")
    ]
    if any(cert) and not all(cert):
        problems.add(
            "certificate_number",
            "give the certificate number, issue and expiry dates together, or none of them",
        )
    elif all(cert):
        issued = p(raw, "certificate_issued", date.fromisoformat, "a date YYYY-MM-DD")
        expires = p(raw, "certificate_expires", date.fromisoformat, "a date YYYY-MM-DD")
        if issued and expires:
            if expires <= issued:
                problems.add("certificate_expires", "the expiry is not after the issue date")
            else:
                unit["certificate"] = Certificate(
                    number=cert[0], issued_on=issued, expires_on=expires
                )
    if problems.problems:
        return None
    row = ImportRow(
        line,
        raw["customer"].strip(),
        raw["site"].strip(),
        raw["site_address"].strip(),
        {k: v for k, v in unit.items() if v is not None},
    )
    _check_commands(row, problems)
    return None if problems.problems else row


def _check_commands(row: ImportRow, problems: _LineProblems) -> None:
    """Build the line's commands once, so their own checks report before anything is written."""
    checks = (
        ("customer", lambda: CreateCustomer(name=row.customer)),
        (
            "site",
            lambda: CreateSite(customer_id=_CHECKING, name=row.site, address=row.site_address),
        ),
        ("unit_number", lambda: RegisterElevator(site_id=_CHECKING, **row.unit)),
    )
    for column, build in checks:
        try:
            build()
        except ValidationError as exc:
            field = (exc.field or "").split(".")[0]
            named = {"name": column, "address": "site_address"}.get(field, field)
            problems.add(named if named in COLUMNS else column, exc.message)


def parse_fleet_csv(data: bytes) -> list[ImportRow]:
    """Parse and check every line; raise ImportFileError listing all problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        header_problems = [f"line 1: missing required column '{c}'" for c in missing]
        header_problems += [
            f"line 1: unknown column '{c}' (known: {', '.join(COLUMNS)})" for c in unknown
        ]
        raise ImportFileError(header_problems)
    reader.fieldnames = header
    rows: list[ImportRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    try:
        _read_lines(reader, header, rows, problems, seen)
    except csv.Error as exc:
        limit = csv.field_size_limit()
        reason = (
            f"a field is longer than {limit:,} characters"
            if "field limit" in str(exc)
            else f"the line cannot be read as CSV ({exc})"
        )
        problems.append(f"line {reader.line_num + 1}: {reason}")
    if problems:
        raise ImportFileError(problems)
    if not rows:
        raise ImportFileError(["the file has no units (only a header, or nothing)"])
    return rows


def _read_lines(
    reader: csv.DictReader[str],
    header: list[str],
    rows: list[ImportRow],
    problems: list[str],
    seen: dict[tuple[str, str, str], int],
) -> None:
    for raw in reader:
        line = reader.line_num
        checker = _LineProblems(line)
        if None in raw:
            checker.add(header[-1], "the line has more fields than the header")
        row = _row(line, {k: v or "" for k, v in raw.items() if k is not None}, checker)
        if row is not None:
            key = (row.customer.casefold(), row.site.casefold(), row.unit["unit_number"].casefold())
            if key in seen:
                checker.add(
                    "unit_number",
                    f"unit '{row.unit['unit_number']}' at "
                    f"'{row.site}' is already on line {seen[key]}",
                )
            seen[key] = line
            rows.append(row)
        problems.extend(checker.problems)


async def import_fleet(rows: list[ImportRow], *, ctx: ServiceContext) -> ImportSummary:
    """Create the customers, sites and units of ``rows`` through the services.

    Every line is tried; a line the store refuses (a unit number already in use, say) rolls
    back alone and is listed, and if any was, ImportFileError lists them all. Run it with a
    unit-of-work factory sharing one transaction (``Store.batch(commit_every=None)``), which
    that error, or any other, rolls back whole: nothing is written unless every line is.
    Failures of the store itself (full, locked) are raised as they are, not as line problems.
    """
    customers: dict[str, UUID] = {}
    sites: dict[tuple[str, str], UUID] = {}
    created = [0, 0]
    async with ctx.uow() as uow:
        for customer in await uow.customers.list_all():
            customers[customer.name.casefold()] = customer.id
        for site in await uow.sites.list_all():
            sites[(str(site.customer_id), site.name.casefold())] = site.id
    problems: list[str] = []
    for row in rows:
        try:
            customer_id = customers.get(row.customer.casefold())
            if customer_id is None:
                customer_id = (await create_customer(CreateCustomer(name=row.customer), ctx=ctx)).id
                customers[row.customer.casefold()] = customer_id
                created[0] += 1
            site_key = (str(customer_id), row.site.casefold())
            site_id = sites.get(site_key)
            if site_id is None:
                cmd = CreateSite(customer_id=customer_id, name=row.site, address=row.site_address)
                site_id = (await create_site(cmd, ctx=ctx)).id
                sites[site_key] = site_id
                created[1] += 1
            await register_elevator(RegisterElevator(site_id=site_id, **row.unit), ctx=ctx)
        except ChainContinuityError:
            raise  # another program wrote to the store: not this line's fault
        except (ValidationError, ConflictError, NotFoundError) as exc:
            problems.append(f"line {row.line}: {exc}")
    if problems:
        raise ImportFileError(problems)
    return ImportSummary(created[0], created[1], len(rows))
