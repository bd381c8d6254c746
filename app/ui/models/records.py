"""The table models of the screens: columns over the read side's rows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from app.domain.compliance import RULE_NAMES, status_text
from app.domain.entities import StatusChange
from app.domain.events import Event
from app.domain.work import Deficiency, Incident, Inspection, Visit
from app.services.queries import ComplianceRow, FleetRow, OpenCallback
from app.ui.format import BAND_COLORS, STATUS_COLORS, at_site, day, duration, label, when
from app.ui.models.table import Column, RowTableModel


@dataclass(frozen=True, slots=True)
class VisitLine:
    visit: Visit
    unit: str = ""
    technician: str = ""
    time_zone: str = ""
    """The site's: its times are shown as the clock there reads (this computer's if empty)."""
    checklist: str = ""
    """The checklist's title (``TemplateCatalog.title``); its id and version when empty."""


@dataclass(frozen=True, slots=True)
class CallbackLine:
    incident: Incident
    unit: str = ""
    time_zone: str = ""


@dataclass(frozen=True, slots=True)
class HistoryLine:
    change: StatusChange
    time_zone: str = ""


@dataclass(frozen=True, slots=True)
class AuditLine:
    event: Event
    actor: str
    summary: str
    ledger: str = ""
    """The ledger badge (local only, anchored, broken) when the store syncs."""
    ledger_detail: str = ""
    ledger_color: QColor | None = None


class FleetTableModel(RowTableModel[FleetRow]):
    def __init__(self, parent: QObject | None = None, *, with_caps: bool = False) -> None:
        columns: list[Column[FleetRow]] = [
            Column("Unit", lambda r: r.unit_number),
            Column("Site", lambda r: r.site_name),
            Column("Status", lambda r: label(r.status), color=lambda r: STATUS_COLORS[r.status]),
            Column(
                "Health",
                lambda r: str(r.health),
                sort=lambda r: r.health,
                color=lambda r: BAND_COLORS[r.band],
                numeric=True,
                tooltip=lambda r: r.health_caps,
            ),
            Column("Customer", lambda r: r.customer_name),
            Column("Make", lambda r: label(r.manufacturer)),
        ]
        if with_caps:  # the lowest-health list says why a score was held down
            columns.insert(4, Column("Held down by", _caps, tooltip=_caps))
        super().__init__(columns, parent)


def _caps(row: FleetRow) -> str:
    return row.health_caps[:1].upper() + row.health_caps[1:]


def _signoff(visit: Visit) -> str:
    sign = visit.customer_signoff
    if sign is None:
        return ""
    return f"{sign.name} (refused)" if sign.refused else sign.name


def _template_key(visit: Visit) -> str:
    version = f" v{visit.template_version}" if visit.template_version else ""
    return f"{visit.template_id}{version}" if visit.template_id else ""


class VisitTableModel(RowTableModel[VisitLine]):
    def __init__(self, parent: QObject | None = None, *, with_unit: bool = True) -> None:
        columns: list[Column[VisitLine]] = [
            Column(
                "Date",  # the arrival at the site, or the planned day of a scheduled visit
                lambda r: at_site(r.visit.arrived_at, r.time_zone) or day(r.visit.scheduled_date),
                sort=lambda r: r.visit.arrived_at or r.visit.created_at,
            ),
            Column("Type", lambda r: label(r.visit.type)),
            Column("Status", lambda r: label(r.visit.status)),
            Column("Technician", lambda r: r.technician),
            Column(
                "Checklist",
                lambda r: r.checklist or _template_key(r.visit),
                tooltip=lambda r: r.checklist or _template_key(r.visit),  # when elided
            ),
            Column(
                "Items",
                lambda r: str(len(r.visit.results)),
                sort=lambda r: len(r.visit.results),
                numeric=True,
            ),
            Column("Customer sign-off", lambda r: _signoff(r.visit)),
            Column("Addenda", lambda r: str(len(r.visit.addenda)), numeric=True),
        ]
        if with_unit:
            columns.insert(1, Column("Unit", lambda r: r.unit))
        super().__init__(columns, parent)


def _in_kpis(incident: Incident) -> str:
    """``Yes``, or ``No: vandalism`` for a callback excluded from the KPIs."""
    if not incident.excluded_from_kpi:
        return "Yes"
    reason = label(incident.exclusion_reason).lower()
    return f"No: {reason}" if reason else "No"


class CallbackTableModel(RowTableModel[CallbackLine]):
    def __init__(self, parent: QObject | None = None, *, with_unit: bool = True) -> None:
        columns: list[Column[CallbackLine]] = [
            Column(
                "Reported",
                lambda r: at_site(r.incident.reported_at, r.time_zone),
                sort=lambda r: r.incident.reported_at,
            ),
            Column("Status", lambda r: label(r.incident.status)),
            Column(
                "Trouble",
                lambda r: r.incident.reported_trouble,
                tooltip=lambda r: r.incident.reported_trouble,
            ),
            Column("Channel", lambda r: label(r.incident.channel)),
            Column(
                "Entrapment",
                lambda r: f"Yes ({r.incident.persons_trapped})" if r.incident.entrapment else "",
            ),
            Column("Fault", lambda r: label(r.incident.fault_category)),
            Column(
                "In KPIs",
                lambda r: _in_kpis(r.incident),
            ),
        ]
        if with_unit:
            columns.insert(1, Column("Unit", lambda r: r.unit))
        super().__init__(columns, parent)


class OpenCallbackTableModel(RowTableModel[OpenCallback]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Unit", lambda r: r.unit.title),
                Column("Open for", lambda r: duration(r.elapsed), sort=lambda r: r.elapsed),
                Column("Reported", lambda r: at_site(r.incident.reported_at, r.unit.time_zone)),
                Column(
                    "Trouble",
                    lambda r: (
                        ("ENTRAPMENT: " if r.incident.entrapment else "")
                        + r.incident.reported_trouble
                    ),
                    color=lambda r: QColor("#c62828") if r.incident.entrapment else None,
                ),
            ],
            parent,
        )


class ComplianceTableModel(RowTableModel[ComplianceRow]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Unit", lambda r: r.unit.title),
                Column("Rule", lambda r: RULE_NAMES[r.item.rule]),
                Column("Due", lambda r: day(r.item.due_on), sort=lambda r: r.item.due_on),
                Column(
                    "Days", lambda r: str(r.days_left), sort=lambda r: r.days_left, numeric=True
                ),
                Column("Status", lambda r: status_text(r.item)),
                Column("Detail", lambda r: r.item.detail, tooltip=lambda r: r.item.detail),
            ],
            parent,
        )


class HistoryTableModel(RowTableModel[HistoryLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(
                    "Effective",  # when the change took effect (downtime counts from then)
                    lambda r: at_site(r.change.changed_at, r.time_zone),
                    sort=lambda r: r.change.changed_at,
                ),
                Column("From", lambda r: label(r.change.previous)),
                Column(
                    "To", lambda r: label(r.change.new), color=lambda r: STATUS_COLORS[r.change.new]
                ),
                Column("Cause", lambda r: label(r.change.cause)),
                Column("Reason", lambda r: r.change.reason, tooltip=lambda r: r.change.reason),
                Column(
                    "Recorded",  # only when later than it took effect
                    lambda r: at_site(r.change.recorded_at, r.time_zone),
                ),
            ],
            parent,
        )


class DeficiencyTableModel(RowTableModel[Deficiency]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Opened", lambda r: when(r.opened_at), sort=lambda r: r.opened_at),
                Column("Severity", lambda r: label(r.severity)),
                Column("Status", lambda r: label(r.status)),
                Column("Description", lambda r: r.description, tooltip=lambda r: r.description),
            ],
            parent,
        )


class InspectionTableModel(RowTableModel[Inspection]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Performed", lambda r: day(r.performed_on), sort=lambda r: r.performed_on),
                Column("Type", lambda r: label(r.type)),
                Column("Result", lambda r: label(r.result)),
                Column("By", lambda r: r.performed_by),
                Column("Next due", lambda r: day(r.next_due)),
            ],
            parent,
        )


class AuditTableModel(RowTableModel[AuditLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(
                    "Time",
                    lambda r: when(r.event.occurred_at),
                    sort=lambda r: (r.event.occurred_at, r.event.device_seq),
                ),
                Column("Actor", lambda r: r.actor),
                Column(
                    "Device",
                    lambda r: f"{str(r.event.device_id)[:8]} #{r.event.device_seq}",
                    sort=lambda r: (str(r.event.device_id), r.event.device_seq),
                ),
                Column("Event", lambda r: r.event.type),
                Column(
                    "Ledger",
                    lambda r: r.ledger,
                    color=lambda r: r.ledger_color,
                    tooltip=lambda r: r.ledger_detail,
                ),
                Column("Summary", lambda r: r.summary, tooltip=lambda r: r.summary),
            ],
            parent,
        )
