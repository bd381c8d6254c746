"""Down intervals from status history: classification, merging, clipping, decommissioning."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from app.domain.downtime import (
    DowntimeKind,
    Period,
    add_months,
    classify,
    downtime,
    merge_periods,
    operating_window,
)
from app.domain.enums import DowntimeCause, ElevatorStatus
from tests.unit.domain.factories import at, change, elevator, worked_example_history

OOS = ElevatorStatus.OUT_OF_SERVICE
OPERATIONAL = ElevatorStatus.OPERATIONAL
MAINTENANCE = ElevatorStatus.MAINTENANCE
THIRTY_DAYS = Period(start=at(0), end=at(30))  # 30 x 24 = 720 h


def test_worked_example_planned_unplanned_and_merged_outages() -> None:
    result = downtime(elevator(), worked_example_history(), THIRTY_DAYS)

    assert result.operating_hours == 720  # 30 days x 24 h
    assert result.planned_hours == 10
    assert result.unplanned_hours == 3 + 5  # the overlapping 2 h add nothing
    assert result.outages == 2
    assert result.unplanned == (
        Period(start=at(5), end=at(5, 3)),
        Period(start=at(10), end=at(10, 5)),
    )


def test_merge_periods_joins_overlapping_and_touching_intervals() -> None:
    merged = merge_periods(
        [
            Period(start=at(0, 10), end=at(0, 11)),  # separate
            Period(start=at(0, 2), end=at(0, 4)),  # overlaps 02:00-03:00 with the next
            Period(start=at(0, 0), end=at(0, 3)),
            Period(start=at(0, 4), end=at(0, 5)),  # touches 04:00
            Period(start=at(0, 1), end=at(0, 2)),  # inside
        ]
    )

    assert merged == [Period(start=at(0), end=at(0, 5)), Period(start=at(0, 10), end=at(0, 11))]


def test_downtime_is_clipped_to_the_period() -> None:
    history = [
        change(at(-1, 20), OOS, cause=DowntimeCause.INCIDENT),  # 4 h before the period starts
        change(at(0, 4), OPERATIONAL),
        change(at(29, 22), OOS, cause=DowntimeCause.INCIDENT),  # still down when it ends
    ]

    result = downtime(elevator(), history, THIRTY_DAYS)

    assert result.unplanned_hours == 4 + 2  # 00:00-04:00 on day 0, 22:00-24:00 on day 29
    assert result.outages == 2


def test_decommissioned_unit_leaves_operating_time() -> None:
    history = [
        change(at(14, 20), OOS, cause=DowntimeCause.INCIDENT),
        change(at(15), ElevatorStatus.DECOMMISSIONED),
        change(at(20), OPERATIONAL),  # ignored: decommissioned is terminal
    ]

    result = downtime(elevator(), history, THIRTY_DAYS)

    assert result.window == Period(start=at(0), end=at(15))
    assert result.operating_hours == 15 * 24  # 360 h
    assert result.unplanned_hours == 4  # 20:00-24:00 on day 14, then the unit is gone
    assert result.outages == 1


def test_unit_registered_mid_period_starts_its_window_at_registration() -> None:
    unit = elevator(registered_at=at(10, 12))

    assert operating_window(unit, [], THIRTY_DAYS) == Period(start=at(10, 12), end=at(30))
    assert downtime(unit, [], THIRTY_DAYS).operating_hours == 30 * 24 - (10 * 24 + 12)  # 468


def test_unit_registered_after_the_period_has_no_window() -> None:
    result = downtime(elevator(registered_at=at(31)), [], THIRTY_DAYS)

    assert result.window is None
    assert result.operating_hours == 0
    assert result.outages == 0


@pytest.mark.parametrize(
    ("status", "cause", "kind"),
    [
        (OPERATIONAL, None, None),
        (ElevatorStatus.DEGRADED, DowntimeCause.INCIDENT, None),  # degraded still carries people
        (MAINTENANCE, None, DowntimeKind.PLANNED),
        (MAINTENANCE, DowntimeCause.INCIDENT, DowntimeKind.PLANNED),
        (OOS, DowntimeCause.PLANNED, DowntimeKind.PLANNED),
        (OOS, DowntimeCause.INCIDENT, DowntimeKind.UNPLANNED),
        (OOS, DowntimeCause.OTHER, DowntimeKind.UNPLANNED),
        (OOS, None, DowntimeKind.UNPLANNED),
    ],
)
def test_classification(
    status: ElevatorStatus, cause: DowntimeCause | None, kind: DowntimeKind | None
) -> None:
    assert classify(status, cause) is kind


def test_planned_out_of_service_then_incident_are_split_by_kind() -> None:
    history = [
        change(at(1), OOS, cause=DowntimeCause.PLANNED),  # 6 h planned work
        change(at(1, 6), MAINTENANCE, cause=DowntimeCause.PLANNED),  # 2 h more, same outage
        change(at(1, 8), ElevatorStatus.DEGRADED),  # in service
        change(at(1, 9), OOS, cause=DowntimeCause.INCIDENT),  # 1 h unplanned
        change(at(1, 10), OPERATIONAL),
    ]

    result = downtime(elevator(), history, THIRTY_DAYS)

    assert result.planned == (Period(start=at(1), end=at(1, 8)),)  # 6 h + 2 h merged
    assert result.unplanned_hours == 1


def test_status_before_the_first_change_comes_from_its_previous() -> None:
    # The unit was registered in maintenance; the first change ends that on day 1.
    history = [change(at(1), OPERATIONAL, previous=MAINTENANCE)]

    assert downtime(elevator(), history, THIRTY_DAYS).planned_hours == 24


def test_without_history_the_current_status_holds_since_registration() -> None:
    unit = elevator(registered_at=at(29), status=OOS)

    assert downtime(unit, [], THIRTY_DAYS).unplanned_hours == 24


def test_change_stamped_before_registration_takes_effect_at_registration() -> None:
    unit = elevator(registered_at=at(3))
    history = [change(at(2), OOS, cause=DowntimeCause.INCIDENT), change(at(3, 2), OPERATIONAL)]

    assert downtime(unit, history, THIRTY_DAYS).unplanned_hours == 2


def test_period_rejects_end_before_start() -> None:
    with pytest.raises(ValidationError):
        Period(start=at(1), end=at(0))


def test_period_of_dates_and_hours() -> None:
    period = Period.of_dates(date(2025, 2, 1), date(2025, 3, 1))

    assert period.hours == 28 * 24


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 3, 10), 60, date(2030, 3, 10)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
