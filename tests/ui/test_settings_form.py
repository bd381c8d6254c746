"""The Settings form: an administrator's change is one signed event and moves the dashboard
figure that depends on it; nobody else can change anything.

The seeded fleet's units were registered in January 2025 with their own 30-day PM interval;
"now" is 2 June 2025. Added here: two callbacks on a unit that has none (an entrapment reached
20 minutes after its report, and another callback 10 days earlier: with the defaults, a 60-minute
target and a 30-day repeat window, the entrapment is on target and the later call a repeat) and
a goods-only lift with no interval of its own, so the organization's defaults apply to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.audit.chain import ChainReport
from app.domain.commands import ChangeOrganizationSettings, OpenIncident, RegisterElevator
from app.domain.enums import DriveType, IncidentChannel, Manufacturer, Role, RuleSet
from app.domain.metrics import FleetTotals
from app.domain.payloads import OrganizationSettingsChanged
from app.domain.settings import OperatingHours, OrganizationSettings
from app.services.context import Actor
from app.services.elevators import register_elevator
from app.services.incidents import open_incident
from app.services.organization import change_organization_settings
from app.ui.errors import ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.screens.settings import SettingsView
from tests.ui.conftest import NOW, make_session
from tests.ui.factories import SUPERVISOR, TECHNICIAN, Fleet
from tests.ui.fake_backend import FakeBackend

ADMIN = Actor(UUID("00000000-0000-4000-8000-0000000000a1"), Role.ADMIN, "Ada Admin")


async def _organization(fleet: Fleet, **settings: Any) -> None:
    """The organization with ``settings`` (the defaults if none), as a new store starts."""
    cmd = ChangeOrganizationSettings(organization_name="Test Lifts Ltd", **settings)
    await change_organization_settings(cmd, ctx=fleet.context(ADMIN))


async def _seed(fleet: Fleet, **settings: Any) -> None:
    await _organization(fleet, **settings)
    site = next(iter(fleet.sites.values()))
    fleet.clock.current = NOW - timedelta(days=150)
    await register_elevator(
        RegisterElevator(
            site_id=site,
            unit_number="D1",
            manufacturer=Manufacturer.OTIS,
            drive_type=DriveType.HYDRAULIC,
            carries_passengers=False,
        ),
        ctx=fleet.context(ADMIN),
    )
    quiet = {incident.elevator_id for incident in fleet.store.state.incidents.values()}
    unit = next(u for u in fleet.units.values() if u not in quiet)
    ctx = fleet.context(SUPERVISOR)
    first = NOW - timedelta(days=15)
    fleet.clock.current = first + timedelta(minutes=5)
    await open_incident(
        OpenIncident(
            elevator_id=unit,
            reported_at=first,
            channel=IncidentChannel.PHONE,
            reported_trouble="Car stops between floors",
        ),
        ctx=ctx,
    )
    trapped = NOW - timedelta(days=5)
    fleet.clock.current = trapped + timedelta(minutes=30)
    await open_incident(
        OpenIncident(
            elevator_id=unit,
            reported_at=trapped,
            channel=IncidentChannel.PHONE,
            reported_trouble="Passenger trapped",
            entrapment=True,
            persons_trapped=1,
            release_at=trapped + timedelta(minutes=25),
            arrived_at=trapped + timedelta(minutes=20),
        ),
        ctx=ctx,
    )


def _window(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown: list[ErrorReport],
    actor: Actor,
) -> tuple[Session, MainWindow]:
    session = make_session(runtime, fleet, tmp_path, actor, shown)
    window = MainWindow(session, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return session, window


def _settings(qtbot: QtBot, window: MainWindow) -> SettingsView:
    window.go("Settings")
    view = window.views["Settings"]
    assert isinstance(view, SettingsView)
    qtbot.waitUntil(lambda: view.overview is not None, timeout=10000)
    return view


def _figures(qtbot: QtBot, window: MainWindow, fleet: Fleet) -> tuple[FleetTotals, DashboardView]:
    """The dashboard's figures once they follow the settings on record."""
    window.go("Dashboard")
    board = window.views["Dashboard"]
    assert isinstance(board, DashboardView)
    board.refresh()
    organizations = list(fleet.store.state.organizations.values())

    def current() -> bool:
        if board.board is None or board.board.stale:
            return False
        return not organizations or board.board.settings == organizations[0].settings

    qtbot.waitUntil(current, timeout=10000)
    assert board.board is not None
    return board.board.metrics, board


def _editors(view: SettingsView) -> list[QWidget]:
    return [
        view.rule_set,
        *view.spins.values(),
        view.alerts,
        view.around_the_clock,
        view.save,
        view.site_rule_set,
        view.apply_site,
    ]


type Check = Callable[[FleetTotals, FleetTotals, DashboardView], None]


def _regulatory(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.active_units == before.active_units
    assert after.compliant_units < before.compliant_units  # tests now overdue
    shown = board.tiles["regulatory"].note.text()
    assert shown == f"{after.compliant_units} of {after.active_units} units compliant"
    assert board.board is not None
    assert board.board.overdue


def _pm_due(before: FleetTotals, after: FleetTotals, _board: DashboardView) -> None:
    assert after.pm_due > before.pm_due  # the unit without its own interval is due more often


def _pm_window(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.pm_due == before.pm_due
    assert after.pm_met > before.pm_met  # a wider window takes in visits that were late
    assert f"{after.pm_compliance_pct:.0f}%" in board.tiles["pmCompliance"].value.text()


def _expiring(_before: FleetTotals, _after: FleetTotals, board: DashboardView) -> None:
    assert board.board is not None
    assert [row.days_left for row in board.board.expiring] == [18]  # 48 days is no longer near


def _hours(before: FleetTotals, after: FleetTotals, _board: DashboardView) -> None:
    assert after.operating_hours < before.operating_hours / 2  # 12 h, 5 days of 7
    assert after.service_availability_pct != before.service_availability_pct


def _entrapments(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.entrapment_responses == before.entrapment_responses
    assert after.entrapments_on_target == before.entrapments_on_target - 1
    assert "reached in 15 min" in board.tiles["entrapments"].note.text()


def _repeats(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.all_callbacks == before.all_callbacks
    assert after.repeat_callbacks == before.repeat_callbacks - 1
    assert "within 5 days of another" in board.tiles["repeats"].note.text()


LOLER, CUSTOM = {"rule_set": RuleSet.UK_LOLER}, {"rule_set": RuleSet.CUSTOM}
SHORT_LOLER = {"loler_passenger_interval_months": 3, "loler_goods_interval_months": 3}
CASES: dict[str, tuple[dict[str, Any], object, Check]] = {
    # setting: (settings on record first, the value typed in the form, what it changes)
    "rule_set": (SHORT_LOLER, RuleSet.UK_LOLER, _regulatory),
    "default_maintenance_interval_days": ({}, 10, _pm_due),
    "pm_window_percent": ({}, 40, _pm_window),
    "cat1_interval_months": ({}, 3, _regulatory),
    "cat5_interval_months": ({}, 3, _regulatory),
    "loler_passenger_interval_months": (LOLER, 3, _regulatory),
    "loler_goods_interval_months": (LOLER, 3, _regulatory),
    "custom_interval_months": (CUSTOM, 3, _regulatory),
    "certificate_alert_days": ({}, (30,), _expiring),
    "entrapment_response_target_minutes": ({}, 15, _entrapments),
    "repeat_callback_window_days": ({}, 5, _repeats),
    "operating_hours": (
        {},
        OperatingHours(opens=time(7), closes=time(19), days=(1, 2, 3, 4, 5)),
        _hours,
    ),
}


def _type(view: SettingsView, field: str, value: object) -> None:
    if field == "rule_set":
        view.rule_set.setCurrentIndex(view.rule_set.findData(value))
    elif field == "certificate_alert_days":
        view.alerts.clear()
        QTest.keyClicks(view.alerts, "30")
    elif field == "operating_hours":
        view.around_the_clock.setChecked(False)  # the form offers 07:00-19:00, Mon-Fri
    else:
        view.spins[field].setValue(int(str(value)))


@pytest.mark.parametrize("field", list(CASES))
def test_an_administrators_change_is_one_signed_event_and_moves_its_figure(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
    field: str,
) -> None:
    assert set(CASES) == set(OrganizationSettings.model_fields)  # every setting is covered
    preset, value, check = CASES[field]
    asyncio.run(_seed(fleet, **preset))
    session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors, ADMIN)
    before, _board = _figures(qtbot, window, fleet)
    events = len(fleet.store.state.log)

    view = _settings(qtbot, window)
    assert all(widget.isEnabled() for widget in _editors(view))
    _type(view, field, value)
    QTest.mouseClick(view.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(fleet.store.state.log) > events, timeout=10000)
    qtbot.waitUntil(view.save.isEnabled, timeout=10000)

    new = fleet.store.state.log[events:]
    assert len(new) == 1  # one user action, one event
    sealed, event = new[0]
    assert isinstance(event.payload, OrganizationSettingsChanged)
    assert set(event.payload.model_dump(exclude_none=True)) == {field}  # only what changed
    assert getattr(event.payload, field) == value
    assert sealed.body.actor_id == str(ADMIN.user_id)
    assert sealed.body.type == OrganizationSettingsChanged.TYPE
    backend = session.backend
    assert isinstance(backend, FakeBackend)
    chain: ChainReport = runtime.run_sync(lambda _p: backend.verify_chain(lambda _d, _t: None))
    assert chain.events == len(fleet.store.state.log)  # signature and link verified

    after, board = _figures(qtbot, window, fleet)
    check(before, after, board)
    assert not view.errors.any
    assert not shown_errors


@pytest.mark.parametrize("actor", [SUPERVISOR, TECHNICIAN], ids=["supervisor", "technician"])
def test_only_an_administrator_can_edit_the_settings(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
    actor: Actor,
) -> None:
    asyncio.run(_organization(fleet))
    session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors, actor)
    view = _settings(qtbot, window)
    assert not any(widget.isEnabled() for widget in _editors(view))
    assert not any(box.isEnabled() for box in view.days)
    assert "Only an administrator can change them." in view.note.text()

    # even if the form were saved, the change is refused and nothing is recorded
    events = len(fleet.store.state.log)
    view.spins["repeat_callback_window_days"].setValue(5)
    view.save_settings()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10000)
    assert "This needs an administrator" in shown_errors[-1].message
    assert shown_errors[-1].hint.startswith("Ask an administrator to do it")
    assert len(fleet.store.state.log) == events
    (organization,) = fleet.store.state.organizations.values()
    assert organization.settings == OrganizationSettings()

    session.switch_profile(ADMIN)
    assert all(widget.isEnabled() for widget in _editors(view))
    session.switch_profile(actor)
    assert not any(widget.isEnabled() for widget in _editors(view))
