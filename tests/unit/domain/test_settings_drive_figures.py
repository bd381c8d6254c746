"""Each organization setting changes the figure it drives. Worked by hand."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app.domain.compliance import ComplianceStatus, certificate_item
from app.domain.downtime import Period
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.metrics import unit_metrics
from app.domain.rules import UnitRules
from app.domain.settings import OperatingHours
from tests.unit.domain.factories import at, certificate, change, elevator, incident, uid

DAY = Period(start=at(0), end=at(1))  # Wednesday 2025-01-01, midnight to midnight
MONTH = Period(start=at(0), end=at(30))


def test_operating_hours_decide_availability() -> None:
    # Out of service 20:00-23:00. Around the clock: 24 h, 3 h down, 21 / 24 = 87.5 %.
    # Open 07:00-19:00: 12 h, the outage falls after closing, so none: 100 %.
    history = [
        change(at(0, 20), ElevatorStatus.OUT_OF_SERVICE, cause=DowntimeCause.INCIDENT),
        change(at(0, 23), ElevatorStatus.OPERATIONAL),
    ]
    around = unit_metrics(elevator(), history, [], [], [], DAY, UnitRules())
    hours = OperatingHours(opens=time(7), closes=time(19))
    daytime = unit_metrics(elevator(), history, [], [], [], DAY, UnitRules(operating_hours=hours))

    assert (around.operating_hours, around.unplanned_downtime_hours) == (24, 3)
    assert around.availability_pct == pytest.approx(87.5)
    assert (daytime.operating_hours, daytime.unplanned_downtime_hours) == (12, 0)
    assert daytime.availability_pct == 100


def test_the_entrapment_response_target_decides_entrapments_on_target() -> None:
    # Technicians reached two entrapments after 20 and 45 minutes: both within 60, one within 30.
    incidents = [
        incident(at(2, 10), entrapment=True, arrived_after_min=20),
        incident(at(9, 15), entrapment=True, arrived_after_min=45).model_copy(
            update={"id": uid(701)}
        ),
    ]

    def on_target(minutes: int) -> float | None:
        rules = UnitRules(entrapment_response_target_minutes=minutes)
        return unit_metrics(
            elevator(), [], [], incidents, [], MONTH, rules
        ).entrapment_on_target_pct

    assert on_target(60) == 100
    assert on_target(30) == 50


def test_the_repeat_window_decides_which_callbacks_repeat() -> None:
    # Callbacks on day 2 and day 22: 20 days apart. A 30-day window makes the second a repeat
    # (1 of 2 = 50 %); a 14-day window makes neither one.
    incidents = [
        incident(at(2, 10)),
        incident(at(22, 10)).model_copy(update={"id": uid(701)}),
    ]

    def repeats(days: int) -> float | None:
        rules = UnitRules(repeat_callback_window_days=days)
        return unit_metrics(elevator(), [], [], incidents, [], MONTH, rules).repeat_callback_pct

    assert repeats(30) == 50
    assert repeats(14) == 0


def test_certificate_alert_days_decide_when_a_certificate_is_due_soon() -> None:
    # Expires 75 days after today: before the 60-day alert by default, inside a 90-day one.
    today = date(2025, 1, 1)
    cert = certificate(date(2024, 3, 17), today + timedelta(days=75))
    unit = elevator(certificate=cert)

    default = certificate_item(unit, today=today, rules=UnitRules())
    earlier = certificate_item(unit, today=today, rules=UnitRules(certificate_alert_days=(90, 30)))

    assert default is not None
    assert default.status is ComplianceStatus.OK
    assert earlier is not None
    assert earlier.status is ComplianceStatus.DUE_SOON
    assert "90-day alert" in earlier.detail
