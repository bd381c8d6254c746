"""Health score worked by hand: bands, caps, rounding and confidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.downtime import Period, midnight_utc
from app.domain.enums import DeficiencySeverity, DeficiencyStatus, InspectionType, VisitType
from app.domain.health import (
    age_score,
    completed_years,
    health_band,
    health_period,
    health_score,
    incident_frequency_score,
    visit_confidence,
)
from app.domain.metrics import UnitRecord
from app.domain.rules import UnitRules
from app.domain.work import Deficiency, Inspection, Visit
from tests.unit.domain.factories import (
    certificate,
    deficiency,
    elevator,
    incident,
    inspection,
    visit,
)

RULES = UnitRules()
TODAY = date(2025, 6, 30)
TOMORROW = midnight_utc(TODAY + timedelta(days=1))


def fresh(
    *,
    installed: date | None = None,
    expires_on: date | None = None,
    deficiencies: tuple[Deficiency, ...] = (),
    inspections: tuple[Inspection, ...] = (),
    visits: tuple[Visit, ...] = (),
) -> UnitRecord:
    """A unit registered this morning: nothing due yet (100) and no callbacks (100)."""
    cert = certificate(date(2024, 7, 1), expires_on) if expires_on else None
    registered = midnight_utc(TODAY)
    unit = elevator(registered_at=registered, installation_date=installed, certificate=cert)
    return UnitRecord(
        elevator=unit, deficiencies=deficiencies, inspections=inspections, visits=visits
    )


@pytest.mark.parametrize(
    ("installed", "age", "age_points", "score"),
    [
        (date(2020, 7, 1), 4, 95, 99),  # 0.3 x 95 + 0.4 x 100 + 0.3 x 100 = 98.5 -> 99
        (date(2020, 6, 30), 5, 85, 96),  # fifth anniversary today: 25.5 + 70 = 95.5 -> 96
        (date(2015, 7, 1), 9, 85, 96),
        (date(2015, 6, 30), 10, 70, 91),  # 21 + 70
        (date(2005, 7, 1), 19, 70, 91),
        (date(2005, 6, 30), 20, 55, 87),  # 16.5 + 70 = 86.5 -> 87
        (None, None, 70, 91),  # unknown installation date
    ],
)
def test_age_bands(installed: date | None, age: int | None, age_points: int, score: int) -> None:
    result = health_score(fresh(installed=installed), today=TODAY, rules=RULES)

    age_part = result.components[0]
    assert (age_part.name, age_part.value, age_part.score) == ("age", age, age_points)
    assert result.score == score
    assert result.caps == ()


def test_completed_years_counts_anniversaries_on_the_day() -> None:
    assert completed_years(date(2020, 2, 29), date(2025, 2, 28)) == 4
    assert completed_years(date(2020, 2, 29), date(2025, 3, 1)) == 5
    assert age_score(None) == 70


@pytest.mark.parametrize(
    ("rate", "points"),
    [(0, 100), (0.01, 85), (1.99, 85), (2, 65), (3.99, 65), (4, 45), (5.99, 45), (6, 25), (12, 25)],
)
def test_incident_frequency_bands(rate: float, points: int) -> None:
    assert incident_frequency_score(rate) == points


def _half_year_unit(callbacks: int) -> UnitRecord:
    """In service for the last half unit-year (4383 h) with every PM done: only callbacks vary."""
    registered = TOMORROW - timedelta(hours=4383)  # 2024-12-30 09:00
    unit = elevator(registered_at=registered, interval_days=365)  # one PM due: registration day
    reports = tuple(incident(registered + timedelta(days=10 * (n + 1))) for n in range(callbacks))
    excluded = incident(registered + timedelta(days=5), excluded=True)
    done = visit(registered + timedelta(hours=1))
    return UnitRecord(elevator=unit, incidents=(*reports, excluded), visits=(done,))


@pytest.mark.parametrize(
    ("callbacks", "rate", "points", "score"),
    [
        (0, 0, 100, 91),  # 0.3 x 70 + 0.4 x 100 + 0.3 x 100 = 91
        (1, 2, 65, 81),  # 1 / 0.5 = 2 per unit-year: 21 + 40 + 19.5 = 80.5 -> 81 (half up)
        (2, 4, 45, 75),  # 21 + 40 + 13.5 = 74.5 -> 75
        (3, 6, 25, 69),  # 21 + 40 + 7.5 = 68.5 -> 69
    ],
)
def test_incident_frequency_through_the_score(
    callbacks: int, rate: float, points: int, score: int
) -> None:
    result = health_score(_half_year_unit(callbacks), today=TODAY, rules=RULES)

    frequency = result.components[2]
    assert result.inputs.unit_years == 0.5
    assert result.inputs.callbacks == callbacks  # the excluded callback never counts
    assert (frequency.value, frequency.score) == (rate, points)
    assert result.components[1].score == 100  # the one PM due was done
    assert result.score == score


def test_maintenance_compliance_component() -> None:
    # PM every 60 days (window 6 days) from registration on 2024-05-02: due 2024-07-01 (the
    # window start) + 0, 60, ..., 360 days = 7, the last on 2025-06-26, whose window runs to
    # Jul 2: still open today, so pending. Visits on the first three due dates only: 3 of 6
    # counted -> 50%.
    unit = elevator(
        registered_at=midnight_utc(date(2024, 5, 2)),
        installation_date=date(2022, 1, 1),
        interval_days=60,
    )
    start = date(2024, 7, 1)
    visits = tuple(visit(start + timedelta(days=60 * k)) for k in range(3))
    tests = (
        inspection(InspectionType.CAT1, date(2025, 1, 1)),
        inspection(InspectionType.CAT5, date(2024, 1, 1)),
    )
    record = UnitRecord(elevator=unit, visits=visits, inspections=tests)

    result = health_score(record, today=TODAY, rules=RULES)

    assert result.inputs.period == Period.of_dates(date(2024, 7, 1), date(2025, 7, 1))
    assert (result.inputs.pm_met, result.inputs.pm_due, result.inputs.pm_pending) == (3, 6, 1)
    assert result.components[1].score == 50
    assert result.score == 79  # 0.3 x 95 + 0.4 x 50 + 0.3 x 100 = 78.5 -> 79
    assert result.band == "fair"


def test_expired_certificate_caps_at_40() -> None:
    result = health_score(fresh(expires_on=date(2025, 6, 29)), today=TODAY, rules=RULES)

    assert result.weighted_score == pytest.approx(91)
    assert result.score == 40
    assert [c.limit for c in result.caps] == [40]
    assert "expired on 2025-06-29" in result.caps[0].reason


def test_certificate_expiring_today_is_not_capped() -> None:
    result = health_score(fresh(expires_on=TODAY), today=TODAY, rules=RULES)

    assert result.caps == ()


def test_overdue_required_test_caps_at_40() -> None:
    overdue = (inspection(InspectionType.CAT1, date(2024, 6, 1), next_due=date(2025, 6, 1)),)

    result = health_score(fresh(inspections=overdue), today=TODAY, rules=RULES)

    assert result.score == 40
    assert [c.reason for c in result.caps] == ["required test overdue: Category 1 test"]


def test_open_inoperable_deficiency_caps_at_30() -> None:
    record = fresh(deficiencies=(deficiency(DeficiencySeverity.INOPERABLE),))

    assert health_score(record, today=TODAY, rules=RULES).score == 30


def test_closed_or_lesser_deficiencies_do_not_cap() -> None:
    record = fresh(
        deficiencies=(
            deficiency(DeficiencySeverity.INOPERABLE, status=DeficiencyStatus.FIXED),
            deficiency(DeficiencySeverity.DEFICIENT),
        )
    )

    assert health_score(record, today=TODAY, rules=RULES).caps == ()


def test_lower_cap_wins_and_all_caps_are_listed() -> None:
    record = fresh(
        expires_on=date(2025, 1, 1), deficiencies=(deficiency(DeficiencySeverity.INOPERABLE),)
    )

    result = health_score(record, today=TODAY, rules=RULES)

    assert [c.limit for c in result.caps] == [40, 30]
    assert result.score == 30
    assert result.band == "poor"


@pytest.mark.parametrize(
    ("days_ago", "confidence"),
    [
        (0, 1.0),
        (30, 1.0),
        (97, 0.84),  # 1 - 0.8 x (97 - 30) / (365 - 30) = 1 - 0.8 x 0.2
        (365, 0.2),
        (500, 0.2),
        (None, 0.2),
    ],
)
def test_confidence_falls_with_days_since_last_visit(
    days_ago: int | None, confidence: float
) -> None:
    last = None if days_ago is None else TODAY - timedelta(days=days_ago)

    assert visit_confidence(last, TODAY) == confidence


def test_confidence_uses_the_last_started_visit_of_any_kind() -> None:
    visits = (
        visit(TODAY - timedelta(days=97), kind=VisitType.CALLBACK),
        visit(TODAY + timedelta(days=3)),  # in the future: not yet
    )

    result = health_score(fresh(visits=visits), today=TODAY, rules=RULES)

    assert result.inputs.last_visit_on == TODAY - timedelta(days=97)
    assert result.confidence == 0.84


@pytest.mark.parametrize(
    ("score", "band"), [(100, "good"), (80, "good"), (79, "fair"), (50, "fair"), (49, "poor")]
)
def test_health_band(score: int, band: str) -> None:
    assert health_band(score) == band


def test_health_period_is_the_trailing_twelve_months() -> None:
    assert health_period(TODAY) == Period.of_dates(date(2024, 7, 1), date(2025, 7, 1))
