"""The explainable health score of DOMAIN.md.

``score = 0.3 x age + 0.4 x maintenance compliance + 0.3 x incident frequency``, then capped.

Modelling decisions:

- The data window is the 12 calendar months ending with ``today``, today included:
  ``[today + 1 day - 12 months, today + 1 day)`` at midnight UTC.
- Age is completed calendar years since ``installation_date`` (a unit turns 5 on its fifth
  anniversary): 95 under 5, 85 under 10, 70 under 20, 55 from 20; 70 when the date is unknown.
- Maintenance compliance is ``metrics`` PM compliance over the window as of ``today`` (a due
  date whose window is still open does not count yet); 100 when nothing was due.
- Incident frequency maps countable callbacks per unit-year in service in the window:
  0 -> 100, < 2 -> 85, < 4 -> 65, < 6 -> 45, otherwise 25 (0 callbacks when never in service).
- Caps: a recorded certificate past its expiry, or an overdue or missing required test, caps
  the score at 40; an open ``inoperable`` deficiency caps it at 30. A unit with no certificate
  on record is not capped (UK units under LOLER carry none); it shows as ``missing`` among its
  compliance items instead. Every triggered cap is listed; the lowest one wins.
- The weighted sum is capped, then rounded half up to a whole number.
- Confidence comes from the last visit of any type that was started (in progress, completed or
  locked) by ``today``: 1.0 up to 30 days ago, falling linearly to 0.2 at 365 days, and 0.2
  beyond that or with no visit at all (rounded to 3 places).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from app.domain.compliance import has_overdue_required_test
from app.domain.downtime import Period, add_months
from app.domain.entities import ComplianceSettings
from app.domain.enums import DeficiencySeverity, DeficiencyStatus, VisitStatus
from app.domain.metrics import UnitRecord, unit_metrics
from app.domain.values import DomainModel
from app.domain.work import VisitSummary

AGE_WEIGHT = 0.3
MAINTENANCE_WEIGHT = 0.4
FREQUENCY_WEIGHT = 0.3
UNKNOWN_AGE_SCORE = 70
COMPLIANCE_CAP = 40
INOPERABLE_CAP = 30
FULL_CONFIDENCE_DAYS = 30
NO_CONFIDENCE_DAYS = 365
MIN_CONFIDENCE = 0.2


class HealthBand(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class HealthComponent(DomainModel):
    """One weighted part of the score and the input value it came from."""

    name: str
    score: float
    weight: float
    value: float | None
    detail: str


class HealthCap(DomainModel):
    """A ceiling the score was held under, and why."""

    limit: int
    reason: str


class HealthInputs(DomainModel):
    """The data the score was computed from."""

    period: Period
    today: date
    installation_date: date | None
    age_years: int | None
    pm_due: int
    pm_met: int
    pm_pending: int
    callbacks: int
    unit_years: float
    last_visit_on: date | None


class HealthScore(DomainModel):
    """A unit's score (0-100) with everything needed to explain it."""

    elevator_id: UUID
    score: int
    band: HealthBand
    weighted_score: float
    components: tuple[HealthComponent, ...]
    caps: tuple[HealthCap, ...]
    inputs: HealthInputs
    confidence: float


def health_band(score: int) -> HealthBand:
    """``good`` from 80, ``fair`` from 50, else ``poor``."""
    if score >= 80:
        return HealthBand.GOOD
    return HealthBand.FAIR if score >= 50 else HealthBand.POOR


def completed_years(since: date, today: date) -> int:
    """Whole calendar years from ``since`` to ``today`` (anniversaries count on the day)."""
    return today.year - since.year - ((today.month, today.day) < (since.month, since.day))


def age_score(age_years: int | None) -> int:
    """95 under 5 years, 85 under 10, 70 under 20, 55 older; 70 when the age is unknown."""
    if age_years is None:
        return UNKNOWN_AGE_SCORE
    for limit, score in ((5, 95), (10, 85), (20, 70)):
        if age_years < limit:
            return score
    return 55


def incident_frequency_score(callbacks_per_unit_year: float) -> int:
    """0 -> 100, < 2 -> 85, < 4 -> 65, < 6 -> 45, otherwise 25."""
    if callbacks_per_unit_year == 0:
        return 100
    for limit, score in ((2, 85), (4, 65), (6, 45)):
        if callbacks_per_unit_year < limit:
            return score
    return 25


def visit_confidence(last_visit_on: date | None, today: date) -> float:
    """1.0 within 30 days of the last visit, linear to 0.2 at 365 days; 0.2 with no visit."""
    if last_visit_on is None:
        return MIN_CONFIDENCE
    days = (today - last_visit_on).days
    if days <= FULL_CONFIDENCE_DAYS:
        return 1.0
    if days >= NO_CONFIDENCE_DAYS:
        return MIN_CONFIDENCE
    fraction = (days - FULL_CONFIDENCE_DAYS) / (NO_CONFIDENCE_DAYS - FULL_CONFIDENCE_DAYS)
    return round(1.0 - (1.0 - MIN_CONFIDENCE) * fraction, 3)


def last_visit_on(visits: Iterable[VisitSummary], today: date) -> date | None:
    """The day of the most recent started visit on or before ``today``."""
    started = {VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED, VisitStatus.LOCKED}
    days = [v.performed_on for v in visits if v.status in started and v.performed_on]
    return max((d for d in days if d <= today), default=None)


def health_period(today: date) -> Period:
    """The trailing 12 calendar months ending with ``today`` (included)."""
    end = today + timedelta(days=1)
    return Period.of_dates(add_months(end, -12), end)


def _round_half_up(value: float) -> int:
    # Rounded to 9 places first so 98.49999999999999 from float sums reads as 98.5.
    return math.floor(round(value, 9) + 0.5)


def _caps(record: UnitRecord, today: date, settings: ComplianceSettings) -> list[HealthCap]:
    unit, caps = record.elevator, []
    if unit.certificate is not None and unit.certificate.expires_on < today:
        reason = f"certificate of operation expired on {unit.certificate.expires_on}"
        caps.append(HealthCap(limit=COMPLIANCE_CAP, reason=reason))
    if has_overdue_required_test(unit, record.inspections, today=today, settings=settings):
        caps.append(HealthCap(limit=COMPLIANCE_CAP, reason="a required test is overdue"))
    inoperable = [
        d
        for d in record.deficiencies
        if d.severity is DeficiencySeverity.INOPERABLE and d.status is DeficiencyStatus.OPEN
    ]
    if inoperable:
        reason = f"{len(inoperable)} open inoperable deficiency(ies)"
        caps.append(HealthCap(limit=INOPERABLE_CAP, reason=reason))
    return caps


def health_score(record: UnitRecord, *, today: date, settings: ComplianceSettings) -> HealthScore:
    """The unit's health score on ``today`` with breakdown, caps, inputs and confidence."""
    unit = record.elevator
    period = health_period(today)
    m = unit_metrics(
        unit,
        record.history,
        record.visits,
        record.incidents,
        record.inspections,
        period,
        settings,
        as_of=today,
    )
    installed = unit.installation_date
    age = completed_years(installed, today) if installed else None
    rate = m.callback_rate or 0.0
    components = (
        HealthComponent(
            name="age",
            score=age_score(age),
            weight=AGE_WEIGHT,
            value=age,
            detail="unknown installation date" if age is None else f"{age} years in service",
        ),
        HealthComponent(
            name="maintenance_compliance",
            score=m.pm_compliance_pct,
            weight=MAINTENANCE_WEIGHT,
            value=m.pm_compliance_pct,
            detail=f"{m.pm_met} of {m.pm_due} preventive visits done on time",
        ),
        HealthComponent(
            name="incident_frequency",
            score=incident_frequency_score(rate),
            weight=FREQUENCY_WEIGHT,
            value=rate,
            detail=f"{m.callbacks} countable callbacks in {m.unit_years:.2f} unit-years",
        ),
    )
    weighted = sum(c.weight * c.score for c in components)
    caps = _caps(record, today, settings)
    capped = min([weighted, *(c.limit for c in caps)])
    score = max(0, min(100, _round_half_up(capped)))
    last_visit = last_visit_on(record.visits, today)
    inputs = HealthInputs(
        period=period,
        today=today,
        installation_date=installed,
        age_years=age,
        pm_due=m.pm_due,
        pm_met=m.pm_met,
        pm_pending=len(m.pm.pending),
        callbacks=m.callbacks,
        unit_years=m.unit_years,
        last_visit_on=last_visit,
    )
    return HealthScore(
        elevator_id=unit.id,
        score=score,
        band=health_band(score),
        weighted_score=weighted,
        components=components,
        caps=tuple(caps),
        inputs=inputs,
        confidence=visit_confidence(last_visit, today),
    )
