"""Compliance items per unit and fleet: PM, Category 1/5 tests, LOLER, certificates."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.compliance import (
    ComplianceRule,
    ComplianceStatus,
    certificate_item,
    certificate_valid,
    fleet_compliance_items,
    has_overdue_required_test,
    pm_item,
    required_test_items,
    unit_compliance_items,
)
from app.domain.downtime import midnight_utc
from app.domain.entities import Elevator
from app.domain.enums import DriveType, ElevatorStatus, InspectionResult, InspectionType, RuleSet
from app.domain.metrics import UnitRecord
from app.domain.pm import pm_window_days
from app.domain.rules import UnitRules
from app.domain.work import Inspection
from tests.unit.domain.factories import certificate, elevator, inspection, uid, visit

RULES = UnitRules()
LOLER = UnitRules(rule_set=RuleSet.UK_LOLER)
OK, SOON = ComplianceStatus.OK, ComplianceStatus.DUE_SOON
OVERDUE, MISSING = ComplianceStatus.OVERDUE, ComplianceStatus.MISSING
CAT1, CAT5 = InspectionType.CAT1, InspectionType.CAT5
UNIT = elevator()  # registered 2024-01-02


def _by_rule(
    unit: Elevator, inspections: list[Inspection], today: date
) -> dict[ComplianceRule, tuple[date, ComplianceStatus]]:
    items = required_test_items(unit, inspections, today=today, rules=RULES)
    return {i.rule: (i.due_on, i.status) for i in items}


@pytest.mark.parametrize(
    ("interval", "window"),
    [(30, 3), (45, 5), (14, 1), (1, 1), (365, 37)],  # 4.5 rounds up; at least one day
)
def test_pm_window_is_ten_percent_rounded_half_up(interval: int, window: int) -> None:
    assert pm_window_days(interval, 10) == window


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2025, 2, 21), OK),
        (date(2025, 2, 22), SOON),  # due Feb 25 - 3-day window
        (date(2025, 2, 28), SOON),  # due Feb 25 + 3: last day of the window
        (date(2025, 3, 1), OVERDUE),
    ],
)
def test_pm_item_follows_the_calendar_not_the_last_visit(
    today: date, status: ComplianceStatus
) -> None:
    # Registered 2024-01-02: due 2024-02-01 + 30 k days, so Dec 27, Jan 26, Feb 25. The visits
    # meet Dec 27 and Jan 26 (a day early); the next is due Feb 25, not Jan 25 + 30 days.
    visits = [visit(date(2024, 12, 28)), visit(date(2025, 1, 25))]

    item = pm_item(UNIT, visits, today=today, rules=RULES)

    assert item.due_on == date(2025, 2, 25)
    assert item.last_done_on == date(2025, 1, 25)
    assert item.status is status


def test_pm_item_never_done_is_missing_once_past_registration_plus_interval() -> None:
    item = pm_item(UNIT, [], today=date(2025, 1, 1), rules=RULES)

    assert item.due_on == date(2024, 2, 1)  # registered Jan 2 + 30 days
    assert item.status is MISSING
    assert item.late


def test_pm_item_never_done_on_a_new_unit_is_not_yet_missing() -> None:
    unit = elevator(registered_at=midnight_utc(date(2025, 1, 1)))  # first due Jan 31

    assert pm_item(unit, [], today=date(2025, 1, 10), rules=RULES).status is OK
    assert pm_item(unit, [], today=date(2025, 1, 29), rules=RULES).status is SOON


def test_pm_item_ignores_visits_after_today() -> None:
    visits = [visit(date(2025, 1, 10)), visit(date(2025, 3, 1))]

    item = pm_item(UNIT, visits, today=date(2025, 2, 20), rules=RULES)

    assert item.status is OVERDUE


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2025, 1, 29), OK),
        (date(2025, 1, 30), SOON),  # Mar 1 - 30 days
        (date(2025, 3, 1), SOON),  # due today: still in date
        (date(2025, 3, 2), OVERDUE),
    ],
)
def test_category_1_uses_next_due(today: date, status: ComplianceStatus) -> None:
    tests = [
        inspection(CAT1, date(2024, 2, 20), next_due=date(2025, 3, 1)),
        inspection(CAT5, date(2024, 2, 20)),
    ]

    assert _by_rule(UNIT, tests, today)[ComplianceRule.CAT1_TEST] == (date(2025, 3, 1), status)


def test_category_1_without_next_due_is_twelve_months_after_the_test() -> None:
    tests = [inspection(CAT1, date(2024, 3, 15))]

    due, _ = _by_rule(UNIT, tests, date(2025, 1, 1))[ComplianceRule.CAT1_TEST]

    assert due == date(2025, 3, 15)


def test_failed_test_does_not_reset_the_clock() -> None:
    tests = [
        inspection(CAT1, date(2023, 5, 1)),
        inspection(CAT1, date(2024, 5, 1), result=InspectionResult.FAILED),
    ]

    items = required_test_items(UNIT, tests, today=date(2024, 6, 1), rules=RULES)

    assert items[0].due_on == date(2024, 5, 1)  # 12 months after the 2023 pass
    assert items[0].status is OVERDUE
    assert items[0].last_done_on == date(2023, 5, 1)


def test_tests_never_done_are_missing_from_registration_plus_interval() -> None:
    by_rule = _by_rule(UNIT, [], date(2025, 1, 3))

    assert by_rule[ComplianceRule.CAT1_TEST] == (date(2025, 1, 2), MISSING)  # 2024-01-02 + 12 m
    assert by_rule[ComplianceRule.CAT5_TEST] == (date(2029, 1, 2), OK)  # + 60 months
    assert has_overdue_required_test(UNIT, [], today=date(2025, 1, 3), rules=RULES)
    assert not has_overdue_required_test(UNIT, [], today=date(2025, 1, 2), rules=RULES)


def test_acceptance_inspection_is_the_baseline_for_a_new_installation() -> None:
    tests = [inspection(InspectionType.ACCEPTANCE, date(2024, 6, 1))]

    by_rule = _by_rule(UNIT, tests, date(2025, 1, 3))

    assert by_rule[ComplianceRule.CAT1_TEST] == (date(2025, 6, 1), OK)
    assert by_rule[ComplianceRule.CAT5_TEST] == (date(2029, 6, 1), OK)


def test_category_5_is_required_for_hydraulic_units_too() -> None:
    unit = elevator(drive_type=DriveType.HYDRAULIC)

    assert ComplianceRule.CAT5_TEST in _by_rule(unit, [], date(2025, 1, 1))


def test_the_site_rule_set_decides_which_tests_are_required() -> None:
    tests = [
        inspection(CAT1, date(2024, 12, 1)),
        inspection(CAT5, date(2024, 12, 1)),
        inspection(InspectionType.LOLER, date(2024, 9, 1)),
    ]
    loler = UnitRules(rule_set=RuleSet.UK_LOLER)
    today = date(2025, 3, 2)

    # ASME A17.1: a LOLER examination on record is required by nothing
    assert set(_by_rule(UNIT, tests, today)) == {
        ComplianceRule.CAT1_TEST,
        ComplianceRule.CAT5_TEST,
    }
    items = required_test_items(UNIT, tests, today=today, rules=loler)
    # UK LOLER: only the thorough examination, every 6 months for a passenger lift
    assert [(i.rule, i.due_on, i.status) for i in items] == [
        (ComplianceRule.LOLER_EXAMINATION, date(2025, 3, 1), OVERDUE)
    ]
    assert has_overdue_required_test(UNIT, tests, today=today, rules=loler)
    goods = elevator(carries_passengers=False)  # goods only: every 12 months
    items = required_test_items(goods, tests, today=today, rules=loler)
    assert [(i.due_on, i.status) for i in items] == [(date(2025, 9, 1), OK)]


CERT = certificate(date(2024, 7, 1), date(2025, 6, 30))


@pytest.mark.parametrize(
    ("today", "status", "detail"),
    [
        (date(2025, 4, 30), OK, "valid until 2025-06-30"),  # 61 days left
        (date(2025, 5, 1), SOON, "expires in 60 days (60-day alert)"),
        (date(2025, 5, 31), SOON, "expires in 30 days (30-day alert)"),
        (date(2025, 6, 29), SOON, "expires in 1 day (30-day alert)"),
        (date(2025, 6, 30), SOON, "expires in 0 days (30-day alert)"),
        (date(2025, 7, 1), OVERDUE, "expired on 2025-06-30"),
    ],
)
def test_certificate_alerts(today: date, status: ComplianceStatus, detail: str) -> None:
    item = certificate_item(elevator(certificate=CERT), today=today, rules=RULES)

    assert item is not None
    assert item.due_on == date(2025, 6, 30)
    assert item.status is status
    assert detail in item.detail


def test_certificate_valid_through_its_expiry_day() -> None:
    unit = elevator(certificate=CERT)

    assert not certificate_valid(unit, date(2024, 6, 30))  # not issued yet
    assert certificate_valid(unit, date(2025, 6, 30))
    assert not certificate_valid(unit, date(2025, 7, 1))
    assert not certificate_valid(UNIT, date(2025, 1, 1))  # none recorded


def test_missing_certificate_item_where_the_rule_set_requires_one() -> None:
    item = certificate_item(UNIT, today=date(2025, 1, 1), rules=RULES)

    assert item is not None
    assert (item.status, item.due_on) == (MISSING, date(2024, 1, 2))
    # UK LOLER has no certificate of operation: none on record is nothing missing
    assert certificate_item(UNIT, today=date(2025, 1, 1), rules=LOLER) is None
    # one on record is still tracked, with its alerts
    tracked = certificate_item(elevator(certificate=CERT), today=date(2025, 7, 1), rules=LOLER)
    assert tracked is not None
    assert tracked.status is OVERDUE


def test_overdue_pm_is_not_an_overdue_required_test() -> None:
    tests = [inspection(CAT1, date(2024, 12, 1)), inspection(CAT5, date(2024, 12, 1))]
    today = date(2025, 1, 20)

    items = unit_compliance_items(elevator(certificate=CERT), [], tests, today=today, rules=RULES)

    assert [(i.rule, i.status) for i in items] == [
        (ComplianceRule.PREVENTIVE_MAINTENANCE, MISSING),
        (ComplianceRule.CAT1_TEST, OK),
        (ComplianceRule.CAT5_TEST, OK),
        (ComplianceRule.CERTIFICATE, OK),
    ]
    assert not has_overdue_required_test(UNIT, tests, today=today, rules=RULES)


def test_fleet_items_are_sorted_by_date_and_skip_decommissioned_units() -> None:
    today = date(2025, 1, 20)

    def record(n: int, registered: date, last_pm: date, status: ElevatorStatus) -> UnitRecord:
        unit = elevator(
            n=n, certificate=CERT, status=status, registered_at=midnight_utc(registered)
        )
        tests = (
            inspection(CAT1, date(2024, 12, n), unit=uid(n)),
            inspection(CAT5, date(2024, 12, n), unit=uid(n)),
        )
        return UnitRecord(elevator=unit, visits=(visit(last_pm, unit=uid(n)),), inspections=tests)

    records = [
        # PM due every 30 days from 2024-02-06: Jan 1 met, Jan 31 next
        record(2, date(2024, 1, 7), date(2025, 1, 1), ElevatorStatus.OPERATIONAL),
        # PM due every 30 days from 2024-02-01: Dec 27 met, Jan 26 next
        record(1, date(2024, 1, 2), date(2024, 12, 28), ElevatorStatus.OPERATIONAL),
        record(3, date(2024, 1, 2), date(2024, 11, 1), ElevatorStatus.DECOMMISSIONED),
    ]

    items = fleet_compliance_items(records, today=today, rules=lambda _unit: RULES)

    assert {i.elevator_id for i in items} == {uid(1), uid(2)}
    assert [(i.due_on, i.rule, i.elevator_id) for i in items] == [
        (date(2025, 1, 26), ComplianceRule.PREVENTIVE_MAINTENANCE, uid(1)),
        (date(2025, 1, 31), ComplianceRule.PREVENTIVE_MAINTENANCE, uid(2)),
        (date(2025, 6, 30), ComplianceRule.CERTIFICATE, uid(1)),
        (date(2025, 6, 30), ComplianceRule.CERTIFICATE, uid(2)),
        (date(2025, 12, 1), ComplianceRule.CAT1_TEST, uid(1)),
        (date(2025, 12, 2), ComplianceRule.CAT1_TEST, uid(2)),
        (date(2029, 12, 1), ComplianceRule.CAT5_TEST, uid(1)),
        (date(2029, 12, 2), ComplianceRule.CAT5_TEST, uid(2)),
    ]
