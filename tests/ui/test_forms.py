"""Callback form, status change and addendum, driven as a user would."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.enums import ElevatorStatus, VisitStatus
from app.ui.main_window import MainWindow
from app.ui.views.dialogs.close_callback import CloseCallbackDialog
from app.ui.views.dialogs.log_callback import CallbackForm
from app.ui.views.dialogs.status_and_addendum import AddendumDialog, StatusDialog
from app.ui.views.screens.callbacks import CallbacksView
from app.ui.views.screens.settings import SettingsView
from tests.ui.conftest import NOW
from tests.ui.factories import Fleet
from tests.ui.helpers import tick


def _unit_page(qtbot: QtBot, window: MainWindow, fleet: Fleet, unit: str) -> None:
    window.open_unit(fleet.units[unit])
    qtbot.waitUntil(lambda: window.fleet.page.detail is not None, timeout=5000)


def test_logging_an_entrapment_records_the_callback_and_takes_the_unit_down(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _unit_page(qtbot, window, fleet, "Quay House/L2")
    QTest.mouseClick(window.fleet.page.log_callback, Qt.MouseButton.LeftButton)
    form = window.forms.last_dialog
    assert isinstance(form, CallbackForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.unit.currentIndex() > 0, timeout=5000)
    QTest.keyClicks(form.trouble, "Car stuck between floors 3 and 4")
    QTest.keyClicks(form.reporter, "Concierge")
    tick(qtbot, form.out_of_service)
    tick(qtbot, form.entrapment)
    assert form.persons.value() == 1
    QTest.keyClicks(form.fault_code, "E-42")
    before = len(fleet.store.events)
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    new = fleet.store.events[before:]
    assert [e.type for e in new] == [
        "incident.opened",
        "incident.updated",
        "elevator.status_changed",
    ]
    incident = fleet.store.state.incidents[new[0].entity_id]
    assert incident.entrapment is True
    assert incident.reporter == "Concierge"
    assert incident.fault_code == "E-42"
    qtbot.waitUntil(lambda: window.fleet.page.tabs.callbacks.rowCount() == 1, timeout=5000)


def test_callback_form_refuses_a_release_before_the_report(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = window.forms.log_callback(fleet.units["Quay House/L2"])
    assert isinstance(form, CallbackForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.unit.currentIndex() > 0, timeout=5000)
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "Describe the reported trouble." in form.errors.messages()["reported_trouble"]
    QTest.keyClicks(form.trouble, "Stuck")
    tick(qtbot, form.entrapment)
    tick(qtbot, form.release_at.enabled)
    form.release_at.edit.setDateTime(form.reported_at.dateTime().addSecs(-3600))
    before = len(fleet.store.events)
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "before the callback was reported" in form.errors.messages()["release_at"]
    assert len(fleet.store.events) == before


def test_a_status_change_appears_on_the_dashboard(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    dashboard = window.views["Dashboard"]
    qtbot.waitUntil(lambda: getattr(dashboard, "board", None) is not None, timeout=5000)
    before = dashboard.board.by_status[ElevatorStatus.MAINTENANCE]  # type: ignore[attr-defined]
    _unit_page(qtbot, window, fleet, "Harbour View/L1")
    QTest.mouseClick(window.fleet.page.change_status, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, StatusDialog)
    qtbot.addWidget(dialog)
    dialog.status.setCurrentIndex(dialog.status.findData(ElevatorStatus.MAINTENANCE))
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "reason is required" in dialog.errors.messages()["reason"]  # nothing saved yet
    QTest.keyClicks(dialog.reason, "Annual overhaul")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Maintenance" in window.fleet.page.status.text(), timeout=5000)
    window.go("Dashboard")
    qtbot.waitUntil(
        lambda: dashboard.board.by_status[ElevatorStatus.MAINTENANCE] == before + 1,  # type: ignore[attr-defined]
        timeout=5000,
    )
    assert dashboard.status_chart.counts[ElevatorStatus.MAINTENANCE] == before + 1  # type: ignore[attr-defined]


def test_an_addendum_can_be_added_to_a_locked_visit(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _unit_page(qtbot, window, fleet, "Harbour View/L1")
    tabs = window.fleet.page.tabs
    assert not tabs.addendum.isEnabled()
    tabs.visit_table.selectRow(0)
    visit = tabs.selected_visit()
    assert visit is not None
    assert visit.status is VisitStatus.LOCKED
    assert tabs.addendum.isEnabled()
    QTest.mouseClick(tabs.addendum, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, AddendumDialog)
    qtbot.addWidget(dialog)
    QTest.keyClicks(dialog.text, "Levelling reading was taken at floor 2, not the main floor.")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert fleet.store.events[-1].type == "visit.addendum_added"
    assert fleet.store.events[-1].entity_id == visit.id


def test_closing_a_callback_puts_the_unit_back_in_service(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.go("Callbacks")
    view = window.views["Callbacks"]
    assert isinstance(view, CallbacksView)
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=5000)
    down = fleet.units["Cotham Tower/L1"]
    units = [view.unit_of(view.proxy.row_object(r)) for r in range(view.proxy.rowCount())]
    row = next(r for r, unit in enumerate(units) if unit is not None and unit.elevator_id == down)
    view.table.selectRow(row)
    QTest.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, CloseCallbackDialog)
    qtbot.addWidget(dialog)
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.errors.messages()), timeout=5000)
    assert "corrective action" in dialog.errors.messages()["corrective_action"]  # from the service
    QTest.keyClicks(dialog.corrective, "Replaced door lock contact")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [e.type for e in fleet.store.events[-2:]] == [
        "incident.closed",
        "elevator.status_changed",
    ]
    unit = fleet.store.state.elevators[down]
    assert unit.status is ElevatorStatus.OPERATIONAL
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=5000)  # open callbacks only


def test_a_status_change_recorded_after_the_fact_takes_effect_when_it_happened(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _unit_page(qtbot, window, fleet, "Harbour View/L2")
    QTest.mouseClick(window.fleet.page.change_status, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, StatusDialog)
    qtbot.addWidget(dialog)
    dialog.status.setCurrentIndex(dialog.status.findData(ElevatorStatus.OUT_OF_SERVICE))
    QTest.keyClicks(dialog.reason, "Door operator fault found on the morning round")
    dialog.effective.set_value(NOW + timedelta(hours=2))  # the clock reads 09:00
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "effective_at" in dialog.errors.messages(), timeout=5000)
    assert "is in the future" in dialog.errors.messages()["effective_at"]
    dialog.effective.set_value(NOW - timedelta(hours=1, minutes=30))  # 07:30
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    unit = fleet.store.state.elevators[fleet.units["Harbour View/L2"]]
    assert (unit.status, unit.status_since) == (
        ElevatorStatus.OUT_OF_SERVICE,
        NOW - timedelta(hours=1, minutes=30),
    )
    history = window.fleet.page.tabs.history
    qtbot.waitUntil(lambda: history.rowCount() == 1, timeout=5000)
    line = history.row_at(0)
    assert line.change.changed_at == NOW - timedelta(hours=1, minutes=30)
    assert line.change.recorded_at is not None  # recorded later than it took effect
    assert str(history.index(0, 0).data()) == "2025-06-02 07:30"  # at the site (its zone: UTC)


def test_settings_are_shown_to_everyone_but_changed_by_administrators_only(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.go("Settings")
    view = window.views["Settings"]
    assert isinstance(view, SettingsView)
    qtbot.waitUntil(lambda: view.overview is not None and view.sites.rowCount() == 3, timeout=5000)
    assert view.spins["cat1_interval_months"].value() == 12  # DOMAIN.md's defaults
    assert view.alerts.text() == "60, 30"
    assert view.around_the_clock.isChecked()
    assert not view.save.isEnabled()  # a supervisor sees them, read only
    assert not view.apply_site.isEnabled()
    assert "Only an administrator can change them." in view.note.text()
