"""Times as people at a site read them: local clock readings, and order checks naming them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.errors import ValidationError


def local_time(moment: datetime, time_zone: str, *, with_date: bool) -> str:
    """``moment`` in the site's time zone: ``HH:MM`` or ``YYYY-MM-DD HH:MM``."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def check_not_before(
    later: datetime,
    earlier: datetime,
    *,
    later_name: str,
    earlier_name: str,
    field: str,
    time_zone: str,
) -> None:
    """Raise a ValidationError if ``later`` is before ``earlier`` (times shown at the site)."""
    if later >= earlier:
        return
    day = local_time(later, time_zone, with_date=True)[:10]
    with_date = day != local_time(earlier, time_zone, with_date=True)[:10]
    shown_later = local_time(later, time_zone, with_date=with_date)
    shown_earlier = local_time(earlier, time_zone, with_date=with_date)
    raise ValidationError(
        f"{later_name.capitalize()} {shown_later} is before {earlier_name} {shown_earlier}.",
        field=field,
        hint=f"Check the {later_name} time.",
    )
