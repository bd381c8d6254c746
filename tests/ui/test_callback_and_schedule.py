"""Attending a callback with a linked visit, closing it; scheduling a visit and starting it."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.enums import ElevatorStatus, IncidentStatus, VisitStatus, VisitType
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.views.dialogs.close_callback import CloseCallbackDialog
from app.ui.views.dialogs.schedule_visit import ScheduleDialog
from app.ui.views.screens.callbacks import CallbacksView
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.form import VisitForm
from app.ui.widgets.forms import find_data
from tests.ui.factories import TECHNICIAN, Fleet
from tests.ui.helpers import answer_checklist, draw_signature, tick

DOWN = "Cotham Tower/L1"  # its open callback took it out of service


def _fill_and_save(qtbot: QtBot, form: VisitForm) -> None:
    answer_checklist(qtbot, form.checklist)
    draw_signature(form.signoff.tech_pad)
    QTest.keyClicks(form.signoff.customer_name, "Concierge")
    tick(qtbot, form.signoff.refused)
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)


def test_attending_a_callback_links_the_visit_and_the_unit_page_closes_it(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.go("Callbacks")
    view = window.views["Callbacks"]
    assert isinstance(view, CallbacksView)
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=5000)
    rows = range(view.proxy.rowCount())
    row = next(
        r
        for r in rows
        if view.unit_of(view.proxy.row_object(r)).elevator_id  # type: ignore[union-attr]
        == fleet.units[DOWN]
    )
    view.table.selectRow(row)
    incident = view.selected_incident()
    assert incident is not None
    assert view.buttons.attend.isEnabled()
    QTest.mouseClick(view.buttons.attend, Qt.MouseButton.LeftButton)
    form = window.forms.last_dialog
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=5000)
    assert form.windowTitle() == "Attend the callback"
    assert form.header.type.currentData() == VisitType.CALLBACK
    assert not form.header.type.isEnabled()
    assert "Doors not closing" in form.header.subject.text()
    assert not form.header.unit.isEnabled()
    _fill_and_save(qtbot, form)
    visit_id = fleet.store.events[-1].entity_id
    visit = fleet.store.state.visits[visit_id]
    assert visit.type is VisitType.CALLBACK
    assert visit.incident_id == incident.id
    updated = fleet.store.state.incidents[incident.id]
    assert updated.arrived_at == visit.arrived_at  # the response time is recorded

    window.open_unit(fleet.units[DOWN])
    page = window.fleet.page
    qtbot.waitUntil(lambda: page.tabs.callbacks.rowCount() == 1, timeout=5000)
    page.tabs.setCurrentIndex(1)
    page.tabs.callback_table.selectRow(0)
    buttons = page.tabs.callback_buttons
    assert buttons.attend.isEnabled()
    QTest.mouseClick(buttons.close_button, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, CloseCallbackDialog)
    qtbot.addWidget(dialog)
    assert dialog.back.isChecked()
    QTest.keyClicks(dialog.corrective, "Door lock contact replaced")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    closed = fleet.store.state.incidents[incident.id]
    assert closed.status is IncidentStatus.CLOSED
    unit = fleet.store.state.elevators[fleet.units[DOWN]]
    assert unit.status is ElevatorStatus.OPERATIONAL
    qtbot.waitUntil(lambda: not buttons.close_button.isEnabled(), timeout=5000)


def test_a_supervisor_schedules_a_visit_and_the_technician_starts_it(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, session: Session
) -> None:
    window.go("Work")
    view = window.views["Work"]
    assert isinstance(view, WorkView)
    assert view.schedule.isVisible()
    QTest.mouseClick(view.schedule, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, ScheduleDialog)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Choose the unit" in dialog.errors.messages()["elevator_id"]
    dialog.unit.setCurrentIndex(find_data(dialog.unit, fleet.units["Harbour View/L2"]))
    dialog.day.setDate(QDate(2025, 6, 9))
    dialog.technician.setCurrentIndex(dialog.technician.findText("Tia Tech"))
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    scheduled_id = fleet.store.events[-1].entity_id
    planned = fleet.store.state.visits[scheduled_id]
    assert planned.status is VisitStatus.SCHEDULED
    assert planned.scheduled_date == date(2025, 6, 9)
    assert planned.technician_id == TECHNICIAN.user_id

    session.switch_profile(TECHNICIAN)
    assert not view.schedule.isVisible()
    window.go("Work")

    def scheduled_row() -> int:
        rows = range(view.proxy.rowCount())
        return next((r for r in rows if view.proxy.row_object(r).visit.id == scheduled_id), -1)

    qtbot.waitUntil(lambda: scheduled_row() >= 0, timeout=5000)
    line = view.proxy.row_object(scheduled_row())
    assert (line.visit.status, line.technician) == (VisitStatus.SCHEDULED, "Tia Tech")
    view.table.selectRow(scheduled_row())
    assert view.buttons.start.isEnabled()
    QTest.mouseClick(view.buttons.start, Qt.MouseButton.LeftButton)
    form = window.forms.last_dialog
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=5000)
    assert form.windowTitle() == "Start the scheduled visit"
    assert "scheduled for 2025-06-09" in form.header.subject.text()
    assert form.header.type.currentData() == VisitType.PREVENTIVE
    _fill_and_save(qtbot, form)
    visit = fleet.store.state.visits[scheduled_id]
    assert visit.status is VisitStatus.LOCKED  # the scheduled visit itself was recorded
    assert visit.technician_id == TECHNICIAN.user_id
