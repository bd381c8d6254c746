"""Dates that cannot be: nothing recorded in the future, nothing before the unit existed.

Device clocks drift, so "in the future" allows ``CLOCK_SKEW``. Dates are compared as people at
the site read them: a day is a day in the site's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.errors import ValidationError
from app.domain.site_time import local_time

CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far ahead of this device's clock a time may be and still count as now."""


@lru_cache(maxsize=256)  # looked up for every visit of every unit the fleet figures read
def zone(time_zone: str) -> ZoneInfo:
    """The zone named ``time_zone`` (UTC for a name this computer does not know)."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, time_zone: str) -> date:
    """The day ``moment`` falls on at a site in ``time_zone``."""
    if time_zone == "UTC" and moment.tzinfo is UTC:
        return moment.date()
    return moment.astimezone(zone(time_zone)).date()


def check_not_future(
    moment: datetime, now: datetime, *, what: str, field: str, time_zone: str, hint: str
) -> None:
    """Raise unless ``moment`` is no later than ``now`` (plus the clock-skew allowance)."""
    if moment <= now + CLOCK_SKEW:
        return
    shown = local_time(moment, time_zone, with_date=True)
    raise ValidationError(
        f"The {what} {shown} is in the future (it is now "
        f"{local_time(now, time_zone, with_date=True)} at the site).",
        field=field,
        hint=hint,
    )


def check_day_not_future(day: date, today: date, *, what: str, field: str, hint: str) -> None:
    """Raise unless ``day`` is on or before ``today`` (the site's date)."""
    if day > today:
        raise ValidationError(
            f"The {what} {day} is in the future (today is {today}).", field=field, hint=hint
        )


def check_not_before_installation(
    day: date, installed: date | None, *, what: str, unit: str, field: str
) -> None:
    """Raise if ``day`` is before the unit's installation date."""
    if installed is not None and day < installed:
        raise ValidationError(
            f"The {what} {day} is before unit '{unit}' was installed ({installed}).",
            field=field,
            hint="Check the date, or correct the unit's installation date.",
        )


def check_installed_before_records(
    installed: date, records: Iterable[tuple[date, str]], *, unit: str
) -> None:
    """Raise if ``installed`` is after the unit's earliest dated record (``(day, what)``: a
    visit's day at the site, an inspection's date): no work is done on a unit not installed."""
    earliest = min(records, default=None)
    if earliest is None or installed <= earliest[0]:
        return
    day, what = earliest
    raise ValidationError(
        f"The installation date {installed} is after the {what} of {day} on unit '{unit}': a "
        "unit is installed before any work on it.",
        field="installation_date",
        hint=f"Enter {day} or an earlier day, or check the date of the {what} of {day}.",
    )
