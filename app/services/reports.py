"""A unit's maintenance record and callback log, as rows (CSV) and as HTML (PDF).

Built on the core worker (no Qt): the record lists the unit, its site and customer, every visit
and every callback with the ASME A17.1 callback-log fields, and ends with the verification
summary of the local audit chain. Times are shown in the site's time zone.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import escape
from typing import Final
from uuid import UUID

from app.audit.chain import ChainReport
from app.audit.errors import AuditError, ChainBroken
from app.domain.checklists import TemplateCatalog
from app.domain.entities import ChecklistItem, Customer, Elevator, Site
from app.domain.enums import ItemOutcome
from app.domain.errors import NotFoundError, SiteSyncError
from app.domain.pm import visit_day
from app.domain.site_time import local_time
from app.domain.wording import plural
from app.domain.work import Incident, Visit
from app.services.ports import UnitOfWorkFactory

VISIT_COLUMNS = (
    "Unit",
    "Site",
    "Customer",
    "Date",
    "Type",
    "Status",
    "Technician",
    "Arrived",
    "Departed",
    "Result",
    "Failed items",
    "Parts",
    "Notes",
    "Sign-off",
    "Addenda",
)
CALLBACK_COLUMNS = (
    "Unit",
    "Site",
    "Customer",
    "Reported at",
    "Channel",
    "Reporter",
    "Reported trouble",
    "Unit status at report",
    "Out of service",
    "Entrapment",
    "Persons trapped",
    "Released at",
    "Injuries",
    "Technician arrived",
    "Response (min)",
    "Fault code",
    "Fault category",
    "Root cause",
    "Corrective action",
    "Out of service at",
    "Back in service at",
    "Status",
    "Closed at",
    "Excluded from KPI",
    "Exclusion reason",
    "Repeat of",
    "Visits to resolve",
)
_PDF_VISIT_COLUMNS = (
    "Date",
    "Type",
    "Status",
    "Technician",
    "Result",
    "Failed items",
    "Parts",
    "Notes",
    "Sign-off",
    "Addenda",
)
_PDF_VISIT_WIDTHS = (7, 7, 6, 9, 9, 15, 12, 14, 12, 9)  # per cent of the page width


def chain_summary(report: ChainReport) -> str:
    """``Chain intact: N events, head hash …`` for a verified local chain."""
    head = f", head hash {report.head_hash}" if report.head_hash else ""
    devices = plural(report.devices, "device")
    return f"Chain intact: {plural(report.events, 'event')}{head} ({devices}, local chain)"


def broken_summary(error: AuditError) -> str:
    """``BROKEN at event N: rule`` for a chain that failed verification."""
    where = f" at event {error.position}" if isinstance(error, ChainBroken) else ""
    return f"BROKEN{where}: {error.rule} — {error.message}"


@dataclass(frozen=True, slots=True)
class UnitReport:
    """Everything a unit's record shows."""

    elevator: Elevator
    site: Site
    customer: Customer | None
    visits: tuple[Visit, ...]
    incidents: tuple[Incident, ...]
    names: dict[UUID, str]
    templates: TemplateCatalog
    generated_at: datetime
    chain: str

    @property
    def title(self) -> str:
        return f"{self.site.name} / {self.elevator.unit_number}"

    def time(self, moment: datetime | None) -> str:
        return local_time(moment, self.site.time_zone, with_date=True) if moment else ""


async def load_unit_report(
    uow_factory: UnitOfWorkFactory,
    elevator_id: UUID,
    *,
    templates: TemplateCatalog,
    now: datetime,
    chain: str,
) -> UnitReport:
    """The unit's record, oldest first, with the names of everyone it mentions."""
    async with uow_factory() as uow:
        unit = await uow.elevators.get(elevator_id)
        site = await uow.sites.get(unit.site_id) if unit else None
        if unit is None or site is None:
            raise NotFoundError("The unit was not found.", hint="Refresh the fleet list.")
        customer = await uow.customers.get(site.customer_id)
        visits = await uow.visits.for_elevator(unit.id)
        incidents = await uow.incidents.for_elevator(unit.id)
        names = {u.id: u.display_name for u in await uow.users.list_all()}
    visits.sort(key=lambda v: (v.arrived_at or v.created_at, v.created_at))
    incidents.sort(key=lambda i: i.reported_at)
    return UnitReport(
        unit, site, customer, tuple(visits), tuple(incidents), names, templates, now, chain
    )


def _words(value: StrEnum | str | None) -> str:
    """``out_of_service`` -> ``Out of service`` (names like ``KONE`` stay as they are)."""
    text = str(value.value if isinstance(value, StrEnum) else value or "")
    if any(ch.isupper() for ch in text):
        return text
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def _items(report: UnitReport, visit: Visit) -> dict[str, ChecklistItem]:
    if visit.template_id is None:
        return {}
    try:
        template = report.templates.get(visit.template_id, visit.template_version)
    except SiteSyncError:  # a template this installation does not ship: keys stand in
        return {}
    return {item.key: item for item in template.items}


def _result(visit: Visit) -> str:
    if not visit.results:
        return (
            f"Cancelled: {visit.cancel_reason}" if visit.cancel_reason else "No checklist answers"
        )
    counts = Counter(r.outcome for r in visit.results)
    parts = [
        f"{counts[o]} {name}"
        for o, name in (
            (ItemOutcome.PASS, "pass"),
            (ItemOutcome.FAIL, "fail"),
            (ItemOutcome.NOT_APPLICABLE, "N/A"),
        )
        if counts[o]
    ]
    return f"{plural(len(visit.results), 'item')}: " + ", ".join(parts)


def _failed(report: UnitReport, visit: Visit) -> str:
    items = _items(report, visit)
    failed = []
    for result in visit.results:
        if result.outcome is not ItemOutcome.FAIL:
            continue
        item = items.get(result.key)
        unit = f" {item.unit}" if item and item.unit else ""
        value = f" ({result.value}{unit})" if result.value is not None else ""
        failed.append((item.label if item else result.key) + value)
    return "; ".join(failed)


def _parts(visit: Visit) -> str:
    return "; ".join(
        f"{p.quantity} × {p.part_number}"
        + (f" {p.description}" if p.description else "")
        + (f" [{', '.join(p.serials)}]" if p.serials else "")
        for p in visit.parts
    )


def _signoff(visit: Visit) -> str:
    shown = []
    for who, sign in (
        ("Technician", visit.technician_signature),
        ("Customer", visit.customer_signoff),
    ):
        if sign is not None:
            shown.append(f"{who}: {sign.name}" + (" (refused to sign)" if sign.refused else ""))
    return "; ".join(shown)


def _addenda(report: UnitReport, visit: Visit) -> str:
    return "; ".join(
        f"{report.time(a.written_at)} {report.names.get(a.author_id, '')}: {a.text}"
        for a in visit.addenda
    )


def _unit_cells(report: UnitReport) -> list[str]:
    customer = report.customer.name if report.customer else ""
    return [report.elevator.unit_number, report.site.name, customer]


def visit_rows(report: UnitReport) -> list[list[str]]:
    """One row per visit under :data:`VISIT_COLUMNS`."""
    rows = []
    for v in report.visits:
        day = visit_day(v, report.site.time_zone) or v.scheduled_date
        technician = report.names.get(v.technician_id, "") if v.technician_id else ""
        rows.append(
            [
                *_unit_cells(report),
                day.isoformat() if day else "",
                _words(v.type),
                _words(v.status),
                technician,
                report.time(v.arrived_at),
                report.time(v.departed_at),
                _result(v),
                _failed(report, v),
                _parts(v),
                "; ".join(n.text for n in v.notes),
                _signoff(v),
                _addenda(report, v),
            ]
        )
    return rows


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def callback_rows(report: UnitReport) -> list[list[str]]:
    """One row per callback under :data:`CALLBACK_COLUMNS` (every A17.1 callback-log field)."""
    rows = []
    for i in report.incidents:
        response = (
            str(round((i.arrived_at - i.reported_at).total_seconds() / 60)) if i.arrived_at else ""
        )
        repeat = next(
            (report.time(o.reported_at) for o in report.incidents if o.id == i.repeat_of), ""
        )
        rows.append(
            [
                *_unit_cells(report),
                report.time(i.reported_at),
                _words(i.channel),
                i.reporter or "",
                i.reported_trouble,
                _words(i.unit_status_at_report),
                _yes(i.out_of_service),
                _yes(i.entrapment),
                str(i.persons_trapped),
                report.time(i.release_at),
                i.injuries or "",
                report.time(i.arrived_at),
                response,
                i.fault_code or "",
                _words(i.fault_category),
                i.root_cause or "",
                i.corrective_action or "",
                report.time(i.out_of_service_at),
                report.time(i.back_in_service_at),
                _words(i.status),
                report.time(i.closed_at),
                _yes(i.excluded_from_kpi),
                _words(i.exclusion_reason),
                repeat,
                str(i.visits_to_resolve),
            ]
        )
    return rows


_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading '.

    OWASP's defence against CSV injection: whatever a person typed into a callback or a
    visit (``=cmd|' /C calc'!A0``, ``+SUM(1+1)``, ``-2+3``...) must not run when the export
    is opened in Excel or LibreOffice.
    """
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(header: Sequence[str], rows: list[list[str]], footer: str) -> str:
    """The CSV document: a header line, the rows, then ``# footer`` (the chain summary).

    Every cell goes through ``spreadsheet_cell``; the footer starts with ``#``. Lines end in
    CR LF (RFC 4180), so a cell holding a line break of either kind is quoted.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    out.write(f"# {' '.join(footer.splitlines())}\r\n")
    return out.getvalue()


_STYLE = """<style>
body { font-family: sans-serif; font-size: 8pt; }
h1 { font-size: 14pt; } h2 { font-size: 11pt; margin-top: 12pt; }
table.grid { border-collapse: collapse; }
table.grid th { background: #eceff1; text-align: left; }
table.grid th, table.grid td { border: 1px solid #90a4ae; padding: 2px; }
.chain { margin-top: 14pt; font-weight: bold; }
</style>"""


def _table(header: Sequence[str], rows: list[list[str]], widths: Sequence[int]) -> str:
    head = "".join(
        f'<th width="{w}%">{escape(h)}</th>' for h, w in zip(header, widths, strict=True)
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="grid" width="100%" cellspacing="0"><tr>{head}</tr>{body}</table>'


def _facts(report: UnitReport) -> str:
    u, cert = report.elevator, report.elevator.certificate
    facts = [
        ("Unit", f"{u.unit_number} (serial {u.serial_number or '—'})"),
        ("Site", f"{report.site.name}, {report.site.address}"),
        ("Customer", report.customer.name if report.customer else "—"),
        ("Equipment", f"{_words(u.manufacturer)} {u.model or ''}, {_words(u.drive_type)}"),
        ("Certificate", f"{cert.number}, expires {cert.expires_on}" if cert else "none on record"),
        ("Generated", f"{report.time(report.generated_at)} ({report.site.time_zone} time)"),
    ]
    rows = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in facts)
    return f"<table>{rows}</table>"


def _callbacks_html(report: UnitReport) -> str:
    if not report.incidents:
        return "<p>No callbacks on record.</p>"
    blocks = []
    for row in callback_rows(report):
        pairs = list(zip(CALLBACK_COLUMNS[3:], row[3:], strict=True))
        cells = [pairs[k : k + 3] for k in range(0, len(pairs), 3)]
        body = "".join(
            "<tr>" + "".join(f"<th>{escape(k)}</th><td>{escape(v)}</td>" for k, v in line) + "</tr>"
            for line in cells
        )
        blocks.append(f'<table class="grid" width="100%" cellspacing="0">{body}</table><br/>')
    return "".join(blocks)


def record_html(report: UnitReport, *, visits: bool = True) -> str:
    """The maintenance record (visits and callback log), or the callback log alone."""
    title = "Maintenance record" if visits else "Callback log (ASME A17.1)"
    parts = [_STYLE, f"<h1>{escape(title)}: {escape(report.title)}</h1>", _facts(report)]
    if visits:
        keep = [VISIT_COLUMNS.index(c) for c in _PDF_VISIT_COLUMNS]
        rows = [[row[k] for k in keep] for row in visit_rows(report)]
        parts += [
            f"<h2>Visits ({len(rows)})</h2>",
            _table(_PDF_VISIT_COLUMNS, rows, _PDF_VISIT_WIDTHS),
        ]
    parts += [f"<h2>Callback log ({len(report.incidents)})</h2>", _callbacks_html(report)]
    parts.append(f'<p class="chain">Audit chain verification: {escape(report.chain)}</p>')
    parts.append(
        "<p>Check the unit's evidence bundle with: sitesync audit verify --bundle FILE</p>"
    )
    return "<html><body>" + "".join(parts) + "</body></html>"
