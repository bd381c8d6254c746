"""Compliance rules of DOMAIN.md: PM visits, required tests of the site's rule set, certificates.

Modelling decisions (intervals and the rule set come from ``UnitRules``):

- Status is ``ok``, ``due_soon``, ``overdue`` or ``missing``. ``missing`` means never done and
  past the first due date, which counts from registration (registration + interval); it is an
  overdue kind. A never-done rule not yet past that date is ``ok``/``due_soon``.
- Preventive maintenance follows the unit's calendar (``pm.PM_SCHEDULE``): due dates every
  interval (its own, else the organization's default) from one interval after its registration
  day at the site; no visit moves them. When the latest due date whose window has closed had
  no visit in it, the item is the first due date missed since the unit's last preventive visit
  (``overdue``, ``missing`` if the unit never had one); else the next due date not met yet
  (``due_soon`` from due - window). The window is the interval x ``pm_window_percent`` / 100
  rounded half up to whole days, at least one day.
- Required tests follow the site's rule set: ASME A17.1 requires Category 1 and Category 5
  tests (every drive type: A17.1 schedules five-yearly tests for hydraulic elevators too), UK
  LOLER a thorough examination (6 months for a lift carrying people, 12 for goods only), the
  custom rule set a periodic inspection. Inspections of other types are kept but required by
  nothing.
- Tests: due = the latest passing (passed, passed with defects) inspection's stated
  ``next_due``, else its date + interval. A failed test does not reset the clock. With no test
  of the type on record, the latest passing acceptance inspection is the baseline.
  ``due_soon`` within ``TEST_DUE_SOON_DAYS`` of due, ``overdue`` the day after.
- Certificate of operation: valid from ``issued_on`` through ``expires_on``; ``due_soon``
  within the largest alert (60 days by default; the detail names the tightest alert reached),
  ``overdue`` once expired, ``missing`` when none is recorded (due from registration) where the
  rule set requires one. Under UK LOLER, which has none, a certificate on record is still
  shown with its alerts but counts for nothing else (compliance, health caps).
- Records dated after ``today`` are ignored, so any past date can be evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Final, Protocol
from uuid import UUID

from app.domain.downtime import add_months
from app.domain.entities import Elevator
from app.domain.enums import InspectionResult, InspectionType
from app.domain.pm import match_visits, pm_calendar, preventive_visit_days
from app.domain.rules import UnitRules
from app.domain.values import DomainModel
from app.domain.wording import plural
from app.domain.work import Inspection, VisitSummary

TEST_DUE_SOON_DAYS = 30
"""Days before a test or examination falls due from which it shows as due soon."""


class ComplianceRule(StrEnum):
    PREVENTIVE_MAINTENANCE = "preventive_maintenance"
    CAT1_TEST = "cat1_test"
    CAT5_TEST = "cat5_test"
    LOLER_EXAMINATION = "loler_examination"
    PERIODIC_INSPECTION = "periodic_inspection"
    CERTIFICATE = "certificate_of_operation"


class ComplianceStatus(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MISSING = "missing"


RULE_NAMES = {
    ComplianceRule.PREVENTIVE_MAINTENANCE: "Preventive maintenance",
    ComplianceRule.CAT1_TEST: "Category 1 test",
    ComplianceRule.CAT5_TEST: "Category 5 test",
    ComplianceRule.LOLER_EXAMINATION: "LOLER thorough examination",
    ComplianceRule.PERIODIC_INSPECTION: "Periodic inspection",
    ComplianceRule.CERTIFICATE: "Certificate of operation",
}
"""How each rule is named on screen."""

_LATE = frozenset({ComplianceStatus.OVERDUE, ComplianceStatus.MISSING})
_RULE_ORDER = {rule: index for index, rule in enumerate(ComplianceRule)}


class ComplianceItem(DomainModel):
    """Where one unit stands against one rule on a given day."""

    elevator_id: UUID
    rule: ComplianceRule
    due_on: date
    status: ComplianceStatus
    detail: str
    last_done_on: date | None = None

    @property
    def late(self) -> bool:
        """True when overdue or missing."""
        return self.status in _LATE


class ComplianceSubject(Protocol):
    """What the fleet-wide list needs of each unit (``metrics.UnitRecord`` fits)."""

    @property
    def elevator(self) -> Elevator: ...

    @property
    def visits(self) -> Sequence[VisitSummary]: ...

    @property
    def inspections(self) -> Sequence[Inspection]: ...


def _status(today: date, *, soon_from: date, late_after: date, never: bool) -> ComplianceStatus:
    if today > late_after:
        return ComplianceStatus.MISSING if never else ComplianceStatus.OVERDUE
    return ComplianceStatus.DUE_SOON if today >= soon_from else ComplianceStatus.OK


def status_text(item: ComplianceItem) -> str:
    """How the item's status reads: ``Overdue``, ``Due soon``, ``Ok``; a visit or test never
    recorded says so rather than ``Ok``."""
    never = item.last_done_on is None and item.rule is not ComplianceRule.CERTIFICATE
    if item.status is ComplianceStatus.OK:
        return "Not recorded (not due yet)" if never else "Ok"
    if item.status is ComplianceStatus.DUE_SOON:
        return "Due soon, never recorded" if never else "Due soon"
    return "Missing" if item.status is ComplianceStatus.MISSING else "Overdue"


def pm_item(
    elevator: Elevator, visits: Iterable[VisitSummary], *, today: date, rules: UnitRules
) -> ComplianceItem:
    """The unit's preventive-maintenance position on ``today`` on its calendar: overdue since
    the first due date missed after its last preventive visit if the latest closed window had
    no visit in it, else the next due date not met yet."""
    days = preventive_visit_days(visits, until=today, time_zone=rules.time_zone)
    calendar = pm_calendar(elevator, rules)
    margin = timedelta(days=calendar.margin)
    horizon = today + timedelta(days=calendar.interval) + margin * 2
    # from the due date the last visit met (or the next after it): what came before is history
    start = days[-1] - margin if days else calendar.first
    dues = calendar.due_dates(start, horizon)
    matched = match_visits(calendar, dues, [d for d in days if d >= start - margin])
    closed = [d for d in dues if d + margin < today]
    last = days[-1] if days else None
    since = f"every {plural(calendar.interval, 'day')}"
    if closed and closed[-1] not in matched:
        # overdue since the first due date missed after the last visit (or the last one met)
        met = [d for d in closed if d in matched]
        due = next(d for d in closed if d not in matched and (not met or d > met[-1]))
        if last is None:
            detail = f"No preventive visit recorded; due {due} (± {plural(margin.days, 'day')})."
        else:
            detail = (
                f"Due {due} (± {plural(margin.days, 'day')}, {since}): no preventive visit in its "
                f"window; last one {last}."
            )
    else:
        due = next(d for d in dues if d + margin >= today and d not in matched)
        last_text = f"; last preventive visit {last}" if last else ""
        detail = f"Next due {due} (± {plural(margin.days, 'day')}, {since}){last_text}."
    return ComplianceItem(
        elevator_id=elevator.id,
        rule=ComplianceRule.PREVENTIVE_MAINTENANCE,
        due_on=due,
        status=_status(today, soon_from=due - margin, late_after=due + margin, never=last is None),
        detail=detail,
        last_done_on=last,
    )


_TESTS = {
    InspectionType.CAT1: (ComplianceRule.CAT1_TEST, "Category 1 test"),
    InspectionType.CAT5: (ComplianceRule.CAT5_TEST, "Category 5 test"),
    InspectionType.LOLER: (ComplianceRule.LOLER_EXAMINATION, "LOLER thorough examination"),
    InspectionType.PERIODIC: (ComplianceRule.PERIODIC_INSPECTION, "periodic inspection"),
}

INSPECTION_NAMES: Final[Mapping[InspectionType, str]] = {
    **{kind: name for kind, (_rule, name) in _TESTS.items()},
    InspectionType.ACCEPTANCE: "acceptance test",
}
"""How each kind of inspection or test is named in sentences ("the Category 1 test")."""


def _test_item(
    elevator: Elevator,
    inspections: Sequence[Inspection],
    kind: InspectionType,
    months: int,
    *,
    today: date,
) -> ComplianceItem:
    rule, label = _TESTS[kind]
    passing = [
        i
        for i in inspections
        if i.result is not InspectionResult.FAILED and i.performed_on <= today
    ]
    done = [i for i in passing if i.type is kind]
    accepted = [i for i in passing if i.type is InspectionType.ACCEPTANCE]
    last = max(done or accepted, key=lambda i: (i.performed_on, i.recorded_at), default=None)
    if last is None:
        due = add_months(elevator.registered_at.date(), months)
        detail = f"No {label} recorded; due {due}, {plural(months, 'month')} after registration."
    elif done:
        due = last.next_due or add_months(last.performed_on, months)
        stated = (
            " (date stated on the report)"
            if last.next_due
            else f" (every {plural(months, 'month')})"
        )
        detail = f"{label[:1].upper()}{label[1:]} last passed {last.performed_on}; next due {due}"
        detail += stated + "."
    else:
        due = add_months(last.performed_on, months)
        detail = f"No {label} yet; due {due}, {plural(months, 'month')} after acceptance."
    soon_from = due - timedelta(days=TEST_DUE_SOON_DAYS)
    return ComplianceItem(
        elevator_id=elevator.id,
        rule=rule,
        due_on=due,
        status=_status(today, soon_from=soon_from, late_after=due, never=last is None),
        detail=detail,
        last_done_on=last.performed_on if last else None,
    )


def required_test_items(
    elevator: Elevator,
    inspections: Sequence[Inspection],
    *,
    today: date,
    rules: UnitRules,
) -> list[ComplianceItem]:
    """The position on ``today`` of every test the site's rule set requires of the unit."""
    return [
        _test_item(elevator, inspections, kind, months, today=today)
        for kind, months in rules.required_tests(elevator)
    ]


def has_overdue_required_test(
    elevator: Elevator,
    inspections: Sequence[Inspection],
    *,
    today: date,
    rules: UnitRules,
) -> bool:
    """Whether any required test is overdue or missing on ``today``."""
    items = required_test_items(elevator, inspections, today=today, rules=rules)
    return any(item.late for item in items)


def certificate_valid(elevator: Elevator, on: date) -> bool:
    """Whether the unit holds a certificate of operation valid on ``on`` (expiry day included)."""
    cert = elevator.certificate
    return cert is not None and cert.issued_on <= on <= cert.expires_on


def certificate_counts(elevator: Elevator, *, today: date, rules: UnitRules) -> bool:
    """Whether the unit's certificate of operation stands against compliance on ``today``:
    where the rule set requires one, missing or not valid that day."""
    return rules.certificate_required and not certificate_valid(elevator, today)


def certificate_item(elevator: Elevator, *, today: date, rules: UnitRules) -> ComplianceItem | None:
    """The unit's certificate-of-operation position on ``today`` (60/30-day alerts by default);
    None when there is none on record and the rule set requires none."""
    cert = elevator.certificate
    if cert is None:
        if not rules.certificate_required:
            return None
        return ComplianceItem(
            elevator_id=elevator.id,
            rule=ComplianceRule.CERTIFICATE,
            due_on=elevator.registered_at.date(),
            status=ComplianceStatus.MISSING,
            detail="No certificate of operation recorded.",
        )
    days_left = (cert.expires_on - today).days
    reached = [alert for alert in rules.certificate_alert_days if days_left <= alert]
    if days_left < 0:
        status, detail = (
            ComplianceStatus.OVERDUE,
            f"Certificate {cert.number} expired on {cert.expires_on}.",
        )
    elif reached:
        status = ComplianceStatus.DUE_SOON
        detail = (
            f"Certificate {cert.number} expires in {plural(days_left, 'day')} "
            f"({min(reached)}-day alert)."
        )
    else:
        status, detail = (
            ComplianceStatus.OK,
            f"Certificate {cert.number} valid until {cert.expires_on}.",
        )
    return ComplianceItem(
        elevator_id=elevator.id,
        rule=ComplianceRule.CERTIFICATE,
        due_on=cert.expires_on,
        status=status,
        detail=detail,
        last_done_on=cert.issued_on,
    )


def unit_compliance_items(
    elevator: Elevator,
    visits: Iterable[VisitSummary],
    inspections: Sequence[Inspection],
    *,
    today: date,
    rules: UnitRules,
) -> list[ComplianceItem]:
    """Every rule's position for one unit on ``today``; none for a decommissioned unit."""
    if not elevator.active:
        return []
    certificate = certificate_item(elevator, today=today, rules=rules)
    return [
        pm_item(elevator, visits, today=today, rules=rules),
        *required_test_items(elevator, inspections, today=today, rules=rules),
        *([certificate] if certificate is not None else []),
    ]


def fleet_compliance_items(
    units: Iterable[ComplianceSubject], *, today: date, rules: Callable[[Elevator], UnitRules]
) -> list[ComplianceItem]:
    """Every active unit's compliance items, earliest due date first (``rules`` gives each
    unit's rules, e.g. ``RulesBook.for_unit``)."""
    items = [
        item
        for unit in units
        for item in unit_compliance_items(
            unit.elevator, unit.visits, unit.inspections, today=today, rules=rules(unit.elevator)
        )
    ]
    return sorted(items, key=due_order)


def due_order(item: ComplianceItem) -> tuple[date, int, str]:
    """The order of compliance lists: earliest due first, then by rule, then by unit."""
    return (item.due_on, _RULE_ORDER[item.rule], str(item.elevator_id))
