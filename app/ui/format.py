"""How values read on screen: statuses, times, durations, numbers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from PySide6.QtGui import QColor

from app.domain.enums import ElevatorStatus
from app.domain.health import HealthBand
from app.domain.site_time import local_time

STATUS_COLORS = {
    ElevatorStatus.OPERATIONAL: QColor("#2e7d32"),
    ElevatorStatus.DEGRADED: QColor("#b26a00"),
    ElevatorStatus.OUT_OF_SERVICE: QColor("#c62828"),
    ElevatorStatus.MAINTENANCE: QColor("#1565c0"),
    ElevatorStatus.DECOMMISSIONED: QColor("#616161"),
}
BAND_COLORS = {
    HealthBand.GOOD: QColor("#2e7d32"),
    HealthBand.FAIR: QColor("#b26a00"),
    HealthBand.POOR: QColor("#c62828"),
}
ERROR_COLOR = "#c62828"


def label(value: StrEnum | str | None) -> str:
    """``out_of_service`` -> ``Out of service``; names like ``KONE`` stay as they are."""
    if value is None:
        return ""
    text = str(value.value if isinstance(value, StrEnum) else value)
    if any(ch.isupper() for ch in text):
        return text
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def when(moment: datetime | None) -> str:
    """``2025-06-02 09:30`` in the computer's local time; empty for None."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def saved_when(text: object, *, fallback: str = "an earlier session") -> str:
    """A stored ISO moment (a draft's ``saved_at``) as ``when`` shows it, or ``fallback``."""
    try:
        return when(datetime.fromisoformat(str(text)))
    except ValueError:
        return fallback


def at_site(moment: datetime | None, time_zone: str) -> str:
    """``2025-06-02 09:30`` as the clock at the site reads it (``when`` with no time zone)."""
    if moment is None:
        return ""
    return local_time(moment, time_zone, with_date=True) if time_zone else when(moment)


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def duration(span: timedelta) -> str:
    """``2 d 3 h``, ``3 h 05 min`` or ``12 min``."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def number(value: float | None, digits: int = 1, suffix: str = "") -> str:
    """A figure, or an em dash when there is none."""
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"
