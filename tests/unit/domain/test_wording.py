"""Counted nouns and their articles read as English."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from app.domain.compliance import ComplianceItem, ComplianceRule, ComplianceStatus, status_text
from app.domain.health import pm_detail
from app.domain.wording import agreeing, plural, slug, with_article


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (1, "day", "1 day"),
        (0, "day", "0 days"),
        (2, "day", "2 days"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "open inoperable deficiency", "2 open inoperable deficiencies"),
        (1200, "event", "1,200 events"),
    ],
)
def test_plural_counts_the_noun(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_an_irregular_plural_can_be_named() -> None:
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"


def test_the_verb_agrees_with_the_count() -> None:
    assert agreeing(1, "has", "have") == "has"
    assert agreeing(4, "has", "have") == "have"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("admin", "an admin"), ("supervisor", "a supervisor"), ("technician", "a technician")],
)
def test_the_article_follows_the_sound(word: str, expected: str) -> None:
    assert with_article(word) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Temple Gate Hotel / L3", "temple-gate-hotel-l3"),
        ("  Quay House -- L2  ", "quay-house-l2"),
        ("Acme_Lifts", "acme-lifts"),
    ],
)
def test_a_slug_has_one_hyphen_between_words(title: str, expected: str) -> None:
    assert slug(title) == expected


def _item(status: ComplianceStatus, last: date | None, rule: ComplianceRule) -> ComplianceItem:
    return ComplianceItem(
        elevator_id=UUID(int=1),
        rule=rule,
        due_on=date(2025, 9, 1),
        status=status,
        detail="",
        last_done_on=last,
    )


@pytest.mark.parametrize(
    ("status", "last", "rule", "expected"),
    [
        (ComplianceStatus.OK, None, ComplianceRule.CAT1_TEST, "Not recorded (not due yet)"),
        (ComplianceStatus.DUE_SOON, None, ComplianceRule.CAT5_TEST, "Due soon, never recorded"),
        (ComplianceStatus.OK, date(2025, 3, 1), ComplianceRule.CAT1_TEST, "Ok"),
        (ComplianceStatus.DUE_SOON, date(2025, 3, 1), ComplianceRule.CAT1_TEST, "Due soon"),
        (ComplianceStatus.MISSING, None, ComplianceRule.PREVENTIVE_MAINTENANCE, "Missing"),
        (ComplianceStatus.OVERDUE, date(2024, 1, 1), ComplianceRule.CAT1_TEST, "Overdue"),
        (ComplianceStatus.OK, None, ComplianceRule.CERTIFICATE, "Ok"),
    ],
)
def test_a_compliance_status_says_when_nothing_was_ever_recorded(
    status: ComplianceStatus, last: date | None, rule: ComplianceRule, expected: str
) -> None:
    assert status_text(_item(status, last, rule)) == expected


def test_maintenance_compliance_with_nothing_due_says_so() -> None:
    assert pm_detail(0, 0) == "no preventive visits due (counts as 100)"
    assert pm_detail(1, 1) == "1 of 1 preventive visit done on time"
    assert pm_detail(2, 3) == "2 of 3 preventive visits done on time"
