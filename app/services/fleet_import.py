"""Onboard a fleet from a spreadsheet (CSV): customers, sites and units, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from app.domain.commands import CreateCustomer, CreateSite, RegisterElevator
from app.domain.entities import Certificate
from app.domain.enums import DriveType, Manufacturer
from app.domain.errors import ImportFileError, SiteSyncError
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
    return ImportRow(
        line,
        raw["customer"].strip(),
        raw["site"].strip(),
        raw["site_address"].strip(),
        {k: v for k, v in unit.items() if v is not None},
    )


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
    if problems:
        raise ImportFileError(problems)
    if not rows:
        raise ImportFileError(["the file has no units (only a header, or nothing)"])
    return rows


async def import_fleet(rows: list[ImportRow], *, ctx: ServiceContext) -> ImportSummary:
    """Create the customers, sites and units of ``rows`` through the services.

    Run it with a unit-of-work factory that shares one transaction (``Store.batch``) so that a
    failure on any line leaves nothing written.
    """
    customers: dict[str, UUID] = {}
    sites: dict[tuple[str, str], UUID] = {}
    created = [0, 0]
    async with ctx.uow() as uow:
        for customer in await uow.customers.list_all():
            customers[customer.name.casefold()] = customer.id
        for site in await uow.sites.list_all():
            sites[(str(site.customer_id), site.name.casefold())] = site.id
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
        except SiteSyncError as exc:
            raise ImportFileError([f"line {row.line}: {exc}"]) from exc
    return ImportSummary(created[0], created[1], len(rows))
