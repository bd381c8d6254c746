"""Inspections with the deficiencies they raise, the deficiency lifecycle (unit page and fleet
list), cancelling a scheduled visit and correcting an open callback, driven as a user would."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.commands import ScheduleVisit
from app.domain.enums import (
    DeficiencySeverity,
    DeficiencyStatus,
    IncidentStatus,
    InspectionResult,
    InspectionType,
    VisitStatus,
    VisitType,
)
from app.services.visits import schedule_visit
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.views.records.deficiencies import DeficienciesView
from app.ui.views.records.deficiency import DeficiencyStatusDialog, OpenDeficiencyDialog
from app.ui.views.records.inspection import InspectionDialog
from app.ui.views.records.visit_and_callback import CancelVisitDialog, EditCallbackDialog
from app.ui.views.screens.callbacks import CallbacksView
from app.ui.widgets.forms import find_data
from tests.ui.factories import SUPERVISOR, Fleet
from tests.ui.records_support import (
    click_save_expecting_problems,
    save,
    signed_types,
    type_into,
    wait_for_dialog,
)

DEFICIENT_UNIT = "Cotham Tower/L2"  # has an open, inoperable deficiency
DOWN = "Cotham Tower/L1"  # has an open callback


def _open_unit(qtbot: QtBot, window: MainWindow, fleet: Fleet, key: str) -> None:
    window.open_unit(fleet.units[key])
    page = window.fleet.page
    qtbot.waitUntil(
        lambda: page.detail is not None and page.records.inspection.isEnabled(), timeout=5000
    )


def test_recording_a_failed_inspection_opens_a_deficiency_per_defect(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _open_unit(qtbot, window, fleet, "Harbour View/L2")
    page = window.fleet.page
    QTest.mouseClick(page.records.inspection, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, InspectionDialog)
    offered = [dialog.type.itemData(i) for i in range(dialog.type.count())]
    assert offered[:3] == [InspectionType.CAT1, InspectionType.CAT5, InspectionType.ACCEPTANCE]
    assert dialog.type.currentText() == "Category 1 test"
    assert not dialog.raised.isEnabled()  # "passed" raises nothing
    dialog.outcome.setCurrentIndex(find_data(dialog.outcome, InspectionResult.FAILED))
    assert dialog.raised.isEnabled()
    shown = click_save_expecting_problems(dialog)
    assert shown["performed_by"] == "Who performed the inspection?"
    assert shown["defects"] == "List the defects the inspector found, one a line."
    assert dialog.focusWidget() is dialog.performed_by
    type_into(dialog.performed_by, "J. Inspector (State)")
    type_into(dialog.defects, "Pit light missing\n\nGovernor seal broken")
    dialog.performed_on.setDate(QDate(2025, 5, 30))
    dialog.correct_by.enabled.setChecked(True)
    dialog.correct_by.edit.setDate(QDate(2025, 7, 1))
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == [
        "inspection.recorded",
        "deficiency.opened",
        "deficiency.opened",
    ]
    inspection = fleet.store.state.inspections[fleet.store.events[before].entity_id]
    assert (inspection.type, inspection.result, inspection.performed_on) == (
        InspectionType.CAT1,
        InspectionResult.FAILED,
        date(2025, 5, 30),
    )
    assert inspection.defects == ("Pit light missing", "Governor seal broken")
    assert inspection.witnessed_by == "Sam Super"
    raised = [fleet.store.state.deficiencies[e.entity_id] for e in fleet.store.events[before + 1 :]]
    assert [(d.severity, d.due_date) for d in raised] == [
        (DeficiencySeverity.DEFICIENT, date(2025, 7, 1))
    ] * 2
    assert window.statusBar().currentMessage() == (
        "Category 1 test of Harbour View / L2 recorded; 2 deficiencies opened."
    )
    qtbot.waitUntil(lambda: page.tabs.deficiencies.rowCount() == 2, timeout=5000)


def test_opening_a_deficiency_by_hand_from_the_unit_page(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _open_unit(qtbot, window, fleet, "Quay House/L1")
    QTest.mouseClick(window.fleet.page.records.deficiency, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, OpenDeficiencyDialog)
    shown = click_save_expecting_problems(dialog)
    assert shown == {
        "description": "Describe the deficiency.",
        "": "Please correct this:\n• Describe the deficiency.",
    }
    dialog.severity.setCurrentIndex(find_data(dialog.severity, DeficiencySeverity.ADVISORY))
    type_into(dialog.description, "Car light flickers")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["deficiency.opened"]
    opened = fleet.store.state.deficiencies[fleet.store.events[-1].entity_id]
    assert (opened.elevator_id, opened.severity, opened.description) == (
        fleet.units["Quay House/L1"],
        DeficiencySeverity.ADVISORY,
        "Car light flickers",
    )
    assert window.statusBar().currentMessage() == (
        "Deficiency opened on Quay House / L1 (advisory)."
    )


def test_the_deficiency_lifecycle_from_the_unit_page_and_the_fleet_list(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    _open_unit(qtbot, window, fleet, DEFICIENT_UNIT)
    tabs = window.fleet.page.tabs
    qtbot.waitUntil(lambda: tabs.deficiencies.rowCount() == 1, timeout=5000)
    tabs.setCurrentIndex(2)
    table, _proxy = tabs.tables["unitDeficiencies"]
    assert not tabs.deficiency_buttons.change.isEnabled()
    table.selectRow(0)
    assert tabs.deficiency_buttons.change.isEnabled()
    QTest.mouseClick(tabs.deficiency_buttons.change, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, DeficiencyStatusDialog)
    offered = [dialog.status.itemData(i) for i in range(dialog.status.count())]
    assert offered == [DeficiencyStatus.FIXED, DeficiencyStatus.INVALID]
    shown = click_save_expecting_problems(dialog)
    assert shown["resolution"] == "Say how or why the deficiency was fixed."
    assert dialog.focusWidget() is dialog.resolution
    type_into(dialog.resolution, "Governor reset and tested")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["deficiency.status_changed"]
    deficiency_id = fleet.store.events[-1].entity_id
    assert fleet.store.state.deficiencies[deficiency_id].status is DeficiencyStatus.FIXED
    assert window.statusBar().currentMessage() == "Deficiency on Cotham Tower / L2 marked fixed."

    window.go("Deficiencies")
    view = window.views["Deficiencies"]
    assert isinstance(view, DeficienciesView)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)  # open or fixed
    view.status.setCurrentText("Open")
    assert view.proxy.rowCount() == 0
    view.status.setCurrentText("Fixed, to verify")
    assert view.proxy.rowCount() == 1
    view.site.setCurrentIndex(view.site.findText("Harbour View"))
    assert view.proxy.rowCount() == 0
    view.site.setCurrentIndex(view.site.findText("Cotham Tower"))
    assert view.proxy.rowCount() == 1
    view.table.selectRow(0)
    QTest.mouseClick(view.buttons.change, Qt.MouseButton.LeftButton)
    verify = wait_for_dialog(qtbot, window, DeficiencyStatusDialog)
    assert verify is not dialog
    verify.status.setCurrentIndex(find_data(verify.status, DeficiencyStatus.VERIFIED))
    before = len(fleet.store.events)
    save(qtbot, verify)
    assert signed_types(fleet, before) == ["deficiency.status_changed"]
    assert fleet.store.state.deficiencies[deficiency_id].status is DeficiencyStatus.VERIFIED
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 0, timeout=5000)
    view.status.setCurrentText("Verified")
    assert view.proxy.rowCount() == 1
    view.table.selectRow(0)
    assert not view.buttons.change.isEnabled()  # final
    assert view.buttons.change.toolTip() == "A verified deficiency is final."


def test_cancelling_a_scheduled_visit_with_a_reason(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, runtime: CoreRuntime
) -> None:
    unit_id = fleet.units["Quay House/L1"]

    async def plan(_progress: Progress) -> None:
        cmd = ScheduleVisit(
            elevator_id=unit_id, type=VisitType.PREVENTIVE, scheduled_date=date(2025, 6, 9)
        )
        await schedule_visit(cmd, ctx=fleet.context(SUPERVISOR))

    runtime.run_sync(plan)
    visit_id = fleet.store.events[-1].entity_id
    _open_unit(qtbot, window, fleet, "Quay House/L1")
    tabs = window.fleet.page.tabs
    qtbot.waitUntil(
        lambda: any(
            tabs.visits.row_at(r).visit.id == visit_id for r in range(tabs.visits.rowCount())
        ),
        timeout=5000,
    )
    row = next(
        r for r in range(tabs.visits.rowCount()) if tabs.visits.row_at(r).visit.id == visit_id
    )
    tabs.visit_table.selectRow(tabs._visit_proxy.proxy_row(row))
    assert tabs.visit_buttons.cancel.isEnabled()
    QTest.mouseClick(tabs.visit_buttons.cancel, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, CancelVisitDialog)
    assert dialog.summary.text() == "Preventive visit, scheduled for 2025-06-09"
    shown = click_save_expecting_problems(dialog)
    assert shown["reason"] == "Say why the visit is cancelled."
    type_into(dialog.reason, "Building closed for refurbishment")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["visit.cancelled"]
    assert fleet.store.state.visits[visit_id].status is VisitStatus.CANCELLED
    assert window.statusBar().currentMessage() == "Preventive visit to Quay House / L1 cancelled."
    qtbot.waitUntil(lambda: not tabs.visit_buttons.cancel.isEnabled(), timeout=5000)


def test_correcting_an_open_callback_from_the_callbacks_screen(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.go("Callbacks")
    view = window.views["Callbacks"]
    assert isinstance(view, CallbacksView)
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=5000)
    row = next(
        r
        for r in range(view.proxy.rowCount())
        if view.proxy.row_object(r).incident.elevator_id == fleet.units[DOWN]
    )
    view.table.selectRow(row)
    assert view.buttons.edit.isEnabled()
    QTest.mouseClick(view.buttons.edit, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, EditCallbackDialog)
    assert dialog.windowTitle() == "Edit the callback on Cotham Tower / L1"
    assert dialog.reporter.text() == "Front desk"
    type_into(dialog.fault_code, "E-42")
    type_into(dialog.root_cause, "Door operator belt worn")
    dialog.excluded.setChecked(True)
    shown = click_save_expecting_problems(dialog)
    assert shown["exclusion_reason"] == "Choose why the callback is excluded from the KPIs."
    assert dialog.focusWidget() is dialog.exclusion
    dialog.excluded.setChecked(False)
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["incident.updated"]
    incident = fleet.store.state.incidents[fleet.store.events[-1].entity_id]
    assert (incident.fault_code, incident.root_cause, incident.status) == (
        "E-42",
        "Door operator belt worn",
        IncidentStatus.OPEN,
    )
    assert incident.exclusion_reason is None
    assert window.statusBar().currentMessage() == "Callback on Cotham Tower / L1 saved."
