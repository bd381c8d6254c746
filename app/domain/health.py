"""The explainable health score of DOMAIN.md.

``score = 0.3 x age + 0.4 x maintenance compliance + 0.3 x incident frequency``, then capped.

Modelling decisions:

- The data window is the 12 calendar months ending with ``today``, today included:
  ``[today + 1 day - 12 months, today + 1 day)`` at midnight UTC, cut off at ``now`` when
  given (the time not yet past is not counted).
- Age is completed calendar years since ``installation_date`` (a unit turns 5 on its fifth
  anniversary): 95 under 5, 85 under 10, 70 under 20, 55 from 20; 70 when the date is unknown.
- Maintenance compliance is ``metrics`` PM compliance over the window as of ``today`` (a due
  date whose window is still open does not count yet); 100 when nothing was due.
- Incident frequency maps countable callbacks per unit-year in service in the window:
  0 -> 100, < 2 -> 85, < 4 -> 65, < 6 -> 45, otherwise 25 (0 callbacks when never in service).
  The rate divides by at least 90 days of exposure (``figures.MIN_EXPOSURE_DAYS``), so a new
  unit's first callback does not read as hundreds a year; the detail says when it applied.
- Caps follow the site's rule set: a certificate of operation past its expiry (where the rule
  set requires one), or an overdue or missing required test of the rule set, caps the score
  at 40; an open ``inoperable`` deficiency caps it at 30. A unit with no certificate on record
  is not capped; where one is required it shows as ``missing`` among its compliance items.
  Every triggered cap is listed; the lowest one wins.
- The weighted sum is capped, then rounded half up to a whole number.
- Confidence comes from the last visit of any type that was started (in progress, completed or
  locked) by ``today``: 1.0 up to 30 days ago, falling linearly to 0.2 at 365 days, and 0.2
  beyond that or with no visit at all (rounded to 3 places).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from app.domain.compliance import RULE_NAMES, required_test_items
from app.domain.downtime import Period, add_months
from app.domain.enums import DeficiencySeverity, DeficiencyStatus, VisitStatus
from app.domain.figures import MIN_EXPOSURE_DAYS
from app.domain.metrics import UnitMetrics, UnitRecord, unit_metrics
from app.domain.pm import visit_day
from app.domain.rules import UnitRules
from app.domain.values import DomainModel
from app.domain.wording import plural
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
    exposure_unit_years: float
    """What the callback rate divided by (at least the 90-day floor)."""
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


def last_visit_on(
    visits: Iterable[VisitSummary], today: date, time_zone: str = "UTC"
) -> date | None:
    """The day (at the site) of the most recent started visit on or before ``today``."""
    started = {VisitStatus.IN_PROGRESS, VisitStatus.COMPLETED, VisitStatus.LOCKED}
    days = [visit_day(v, time_zone) for v in visits if v.status in started]
    return max((d for d in days if d is not None and d <= today), default=None)


def health_period(today: date, now: datetime | None = None) -> Period:
    """The trailing 12 calendar months ending with ``today`` (included), cut off at ``now``."""
    end = today + timedelta(days=1)
    period = Period.of_dates(add_months(end, -12), end)
    return period if now is None else period.ending_by(now)


def _round_half_up(value: float) -> int:
    # Rounded to 9 places first so 98.49999999999999 from float sums reads as 98.5.
    return math.floor(round(value, 9) + 0.5)


def _caps(record: UnitRecord, today: date, rules: UnitRules) -> list[HealthCap]:
    unit, caps = record.elevator, []
    cert = unit.certificate
    if rules.certificate_required and cert is not None and cert.expires_on < today:
        reason = f"certificate of operation expired on {cert.expires_on}"
        caps.append(HealthCap(limit=COMPLIANCE_CAP, reason=reason))
    late = [
        i for i in required_test_items(unit, record.inspections, today=today, rules=rules) if i.late
    ]
    if late:
        names = ", ".join(RULE_NAMES[i.rule] for i in late)
        caps.append(HealthCap(limit=COMPLIANCE_CAP, reason=f"required test overdue: {names}"))
    inoperable = [
        d
        for d in record.deficiencies
        if d.severity is DeficiencySeverity.INOPERABLE and d.status is DeficiencyStatus.OPEN
    ]
    if inoperable:
        reason = plural(len(inoperable), "open inoperable deficiency")
        caps.append(HealthCap(limit=INOPERABLE_CAP, reason=reason))
    return caps


def caps_text(caps: Sequence[HealthCap]) -> str:
    """``capped at 40: certificate of operation expired on 2025-01-31``, one per cap."""
    return "; ".join(f"capped at {c.limit}: {c.reason}" for c in caps)


def pm_detail(met: int, due: int) -> str:
    """``3 of 4 preventive visits done on time``; with none due, says so (counts as 100)."""
    if due == 0:
        return "no preventive visits due (counts as 100)"
    return f"{met} of {plural(due, 'preventive visit')} done on time"


def frequency_detail(m: UnitMetrics) -> str:
    """``2 countable callbacks in 0.98 unit-years`` with the floor named when it applied."""
    text = f"{plural(m.callbacks, 'countable callback')} in {m.unit_years:.2f} unit-years"
    if m.exposure_floored:
        text += f" (counted as {m.exposure_unit_years:.2f}: at least {MIN_EXPOSURE_DAYS} days)"
    return text


def health_score(
    record: UnitRecord, *, today: date, rules: UnitRules, now: datetime | None = None
) -> HealthScore:
    """The unit's health score on ``today`` with breakdown, caps, inputs and confidence; the
    data window ends at ``now`` when given (else at the end of ``today``)."""
    unit = record.elevator
    period = health_period(today, now)
    m = unit_metrics(
        unit,
        record.history,
        record.visits,
        record.incidents,
        record.inspections,
        period,
        rules,
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
            detail="unknown installation date"
            if age is None
            else f"{plural(age, 'year')} in service",
        ),
        HealthComponent(
            name="maintenance_compliance",
            score=m.pm_compliance_pct,
            weight=MAINTENANCE_WEIGHT,
            value=m.pm_compliance_pct,
            detail=pm_detail(m.pm_met, m.pm_due),
        ),
        HealthComponent(
            name="incident_frequency",
            score=incident_frequency_score(rate),
            weight=FREQUENCY_WEIGHT,
            value=rate,
            detail=f"{frequency_detail(m)} = {rate:.2f} per unit-year",
        ),
    )
    weighted = sum(c.weight * c.score for c in components)
    caps = _caps(record, today, rules)
    capped = min([weighted, *(c.limit for c in caps)])
    score = max(0, min(100, _round_half_up(capped)))
    last_visit = last_visit_on(record.visits, today, rules.time_zone)
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
        exposure_unit_years=m.exposure_unit_years,
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
