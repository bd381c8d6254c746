"""The Settings form: an administrator's change is one signed event and moves the dashboard
figure that depends on it; nobody else can change anything.

Two callbacks are added near the test's "now" on a unit with none: an entrapment reached 20
minutes after its report, and another callback on the same unit 10 days earlier. With the
defaults (a 60-minute entrapment target, a 30-day repeat window) the entrapment is on target
and the later callback is a repeat; a 15-minute target and a 5-day window undo each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.audit.chain import ChainReport
from app.domain.commands import ChangeOrganizationSettings, OpenIncident
from app.domain.enums import IncidentChannel, Role
from app.domain.metrics import FleetTotals
from app.domain.payloads import OrganizationSettingsChanged
from app.domain.settings import OrganizationSettings
from app.services.context import Actor
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


async def _organization(fleet: Fleet) -> None:
    """The organization with the default settings, as a new store starts."""
    cmd = ChangeOrganizationSettings(organization_name="Test Lifts Ltd")
    await change_organization_settings(cmd, ctx=fleet.context(ADMIN))


async def _callbacks_near_now(fleet: Fleet) -> None:
    await _organization(fleet)
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


def _entrapments(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.entrapment_responses == before.entrapment_responses
    assert after.entrapments_on_target == before.entrapments_on_target - 1
    assert "reached in 15 min" in board.tiles["entrapments"].note.text()


def _repeats(before: FleetTotals, after: FleetTotals, board: DashboardView) -> None:
    assert after.all_callbacks == before.all_callbacks
    assert after.repeat_callbacks == before.repeat_callbacks - 1
    assert "within 5 days of another" in board.tiles["repeats"].note.text()


CASES: dict[str, tuple[int, Check]] = {
    "entrapment_response_target_minutes": (15, _entrapments),
    "repeat_callback_window_days": (5, _repeats),
}


@pytest.mark.parametrize("field", list(CASES))
def test_an_administrators_change_is_one_signed_event_and_moves_its_figure(
    qtbot: QtBot,
    runtime: CoreRuntime,
    fleet: Fleet,
    tmp_path: Path,
    shown_errors: list[ErrorReport],
    field: str,
) -> None:
    asyncio.run(_callbacks_near_now(fleet))
    session, window = _window(qtbot, runtime, fleet, tmp_path, shown_errors, ADMIN)
    before, _board = _figures(qtbot, window, fleet)
    value, check = CASES[field]
    events = len(fleet.store.state.log)

    view = _settings(qtbot, window)
    assert all(widget.isEnabled() for widget in _editors(view))
    view.spins[field].setValue(value)
    QTest.mouseClick(view.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(fleet.store.state.log) > events, timeout=10000)
    qtbot.waitUntil(view.save.isEnabled, timeout=10000)

    new = fleet.store.state.log[events:]
    assert len(new) == 1  # one user action, one event
    sealed, event = new[0]
    assert isinstance(event.payload, OrganizationSettingsChanged)
    assert event.payload.model_dump(exclude_none=True) == {field: value}
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
    assert "needs the admin role" in shown_errors[-1].message
    assert len(fleet.store.state.log) == events
    (organization,) = fleet.store.state.organizations.values()
    assert organization.settings == OrganizationSettings()

    session.switch_profile(ADMIN)
    assert all(widget.isEnabled() for widget in _editors(view))
    session.switch_profile(actor)
    assert not any(widget.isEnabled() for widget in _editors(view))
