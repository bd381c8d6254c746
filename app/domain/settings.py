"""An organization's settings: rule set, intervals, alerts, targets and operating hours.

An organization records its settings as events (``organization.created``,
``organization.settings_changed``); a store without them uses the defaults below, which are
DOMAIN.md's. Each site follows one rule set, the organization's unless the site names its own:

- **ASME A17.1** (US and Canada): a Category 1 test every ``cat1_interval_months`` and a
  Category 5 test every ``cat5_interval_months``; a certificate of operation is required.
- **UK LOLER**: a thorough examination every ``loler_passenger_interval_months`` for a lift
  that carries people and every ``loler_goods_interval_months`` for a goods-only lift; there is
  no certificate of operation in the UK (one on record is still tracked, see ``compliance``).
- **Custom**: a periodic inspection every ``custom_interval_months``, for a jurisdiction with
  its own schedule; a certificate of operation is required.

``app.domain.rules`` resolves them for one site (``UnitRules``).
"""

from __future__ import annotations

from datetime import time
from typing import Final, Self

from pydantic import Field, field_validator, model_validator

from app.domain.enums import InspectionType, RuleSet
from app.domain.values import DomainModel

RULE_SET_NAMES: Final = {
    RuleSet.ASME_A17_1: "ASME A17.1",
    RuleSet.UK_LOLER: "UK LOLER",
    RuleSet.CUSTOM: "Custom intervals",
}
"""How each rule set is named on screen and in messages."""

WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class OperatingHours(DomainModel):
    """When the organization counts units as needed in service, in each site's local time.

    ``days`` are ISO weekdays (1 = Monday ... 7 = Sunday); a unit is needed from ``opens`` to
    ``closes`` on each of them. Without operating hours a unit is needed around the clock.
    """

    opens: time
    closes: time
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)

    @field_validator("opens", "closes")
    @classmethod
    def _whole_minutes(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("operating hours are local times, without a time zone")
        return value.replace(second=0, microsecond=0)

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(d < 1 or d > 7 for d in value):
            raise ValueError("operating days must be weekdays 1 (Monday) to 7 (Sunday)")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError("closing time must be after the opening time")
        return self

    @property
    def daily_hours(self) -> float:
        """Hours needed in service on an operating day."""
        opens = self.opens.hour * 60 + self.opens.minute
        closes = self.closes.hour * 60 + self.closes.minute
        return (closes - opens) / 60

    def describe(self) -> str:
        """``07:00-19:00 Mon-Fri`` or ``07:00-19:00 Mon, Wed, Sat``."""
        days = list(self.days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            shown = f"{WEEKDAY_NAMES[days[0] - 1]}-{WEEKDAY_NAMES[days[-1] - 1]}"
        else:
            shown = ", ".join(WEEKDAY_NAMES[d - 1] for d in days)
        if len(days) == 7:
            shown = "every day"
        return f"{self.opens:%H:%M}-{self.closes:%H:%M} {shown}"


class OrganizationSettings(DomainModel):
    """What an organization configures; the defaults are DOMAIN.md's."""

    rule_set: RuleSet = RuleSet.ASME_A17_1
    """The rule set of every site that does not name its own."""
    default_maintenance_interval_days: int = Field(default=30, ge=1, le=366)
    """The preventive-maintenance interval of every unit that has none of its own."""
    pm_window_percent: int = Field(default=10, ge=0, le=50)
    """A preventive visit within this share of the interval either side of its due date is on
    time (rounded half up to whole days, at least one day)."""
    cat1_interval_months: int = Field(default=12, ge=1, le=120)
    cat5_interval_months: int = Field(default=60, ge=1, le=120)
    loler_passenger_interval_months: int = Field(default=6, ge=1, le=120)
    loler_goods_interval_months: int = Field(default=12, ge=1, le=120)
    custom_interval_months: int = Field(default=12, ge=1, le=120)
    certificate_alert_days: tuple[int, ...] = (60, 30)
    """Days before a certificate of operation expires at which it is flagged (largest first)."""
    entrapment_response_target_minutes: int = Field(default=60, ge=1, le=24 * 60)
    repeat_callback_window_days: int = Field(default=30, ge=1, le=365)
    """A callback this soon after another on the same unit is a repeat callback."""
    operating_hours: OperatingHours | None = None
    """When units are needed in service (availability); None means around the clock."""

    @field_validator("certificate_alert_days")
    @classmethod
    def _alerts(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(d < 1 or d > 366 for d in value):
            raise ValueError("certificate alerts must be 1 to 366 days before expiry")
        return tuple(sorted(set(value), reverse=True))

    def test_interval_months(self, kind: InspectionType, *, carries_passengers: bool) -> int | None:
        """Months from one inspection of ``kind`` to the next under these settings."""
        return {
            InspectionType.CAT1: self.cat1_interval_months,
            InspectionType.CAT5: self.cat5_interval_months,
            InspectionType.LOLER: self.loler_passenger_interval_months
            if carries_passengers
            else self.loler_goods_interval_months,
            InspectionType.PERIODIC: self.custom_interval_months,
            InspectionType.ACCEPTANCE: None,
        }[kind]
