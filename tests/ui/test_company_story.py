"""A lift company's first day with SiteSync, through the app alone, on a real SQLite store.

It starts the app on a file that does not exist yet and creates its store there, enters a
customer, a site and units by hand and more from a fleet file, adds a technician and a
supervisor, records a visit and a callback as the technician, an inspection and the
deficiencies it raises as the supervisor, switches profiles with PINs, and checks what the
dashboard, compliance and the audit trail say. Nothing is faked: the store, its device key
(sealed under an offline-unlock password: this computer has no secure keyring), the services
and the dialogs are the real ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles, open_workspace
from app.domain.enums import (
    DeficiencyStatus,
    ElevatorStatus,
    InspectionResult,
    Role,
    VisitStatus,
)
from app.ui.app import Startup, start_gui
from app.ui.main_window import MainWindow
from app.ui.store_menu import ImportReport
from app.ui.views.dialogs.add_profile import AddProfileDialog
from app.ui.views.dialogs.close_callback import CloseCallbackDialog
from app.ui.views.dialogs.log_callback import CallbackForm
from app.ui.views.dialogs.profile import ProfileDialog
from app.ui.views.records.customer_site import CustomerDialog, SiteDialog
from app.ui.views.records.customers import CustomersView
from app.ui.views.records.deficiencies import DeficienciesView
from app.ui.views.records.deficiency import DeficiencyStatusDialog
from app.ui.views.records.inspection import InspectionDialog
from app.ui.views.records.unit_form import UnitDialog
from app.ui.views.screens.audit import AuditView
from app.ui.views.screens.callbacks import CallbacksView
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.visit.form import VisitForm
from app.ui.widgets.forms import find_data
from tests.ui.helpers import answer_checklist, draw_signature, tick
from tests.ui.records_support import save, type_into, wait_for_dialog

PASSWORD = "lifts and ladders"
"""The offline-unlock password chosen for the store (no secure keyring here)."""
ADMIN_PIN = "9753"
SUPERVISOR_PIN = "4826"
FLEET_CSV = (
    "customer,site,site_address,unit_number,manufacturer,drive_type,capacity_kg\n"
    "Harbour Estates,Pier House,1 Pier Road,L1,KONE,traction,630\n"
    "Harbour Estates,Pier House,1 Pier Road,L2,Otis,hydraulic,1000\n"
)
WAIT = 15000


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def _password(qtbot: QtBot, startup: Startup, text: str) -> None:
    opener = startup.opener
    assert opener is not None
    qtbot.waitUntil(lambda: opener.dialog is not None and opener.dialog.isVisible(), timeout=WAIT)
    assert opener.dialog is not None
    opener.dialog.setTextValue(text)
    opener.dialog.accept()


def _window(startup: Startup) -> MainWindow:
    assert startup.window is not None
    return startup.window


def _profiles(qtbot: QtBot, window: MainWindow, count: int) -> ProfileDialog:
    dialog = window.switch_profile()
    qtbot.waitUntil(lambda: dialog.list.count() == count, timeout=WAIT)
    return dialog


def _switch(qtbot: QtBot, window: MainWindow, name: str, count: int, pin: str = "") -> None:
    """File → Switch profile, choose ``name``; type its PIN when asked."""
    dialog = _profiles(qtbot, window, count)
    row = next(r for r in range(dialog.list.count()) if name in dialog.list.item(r).text())
    dialog.list.setCurrentRow(row)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    if pin:
        qtbot.waitUntil(
            lambda: dialog.gate is not None and isinstance(dialog.gate.dialog, QInputDialog),
            timeout=WAIT,
        )
        assert dialog.gate is not None
        asked = dialog.gate.dialog
        assert isinstance(asked, QInputDialog)
        assert f"Enter the PIN of {name}" in asked.labelText()
        asked.setTextValue(pin)
        asked.accept()
    qtbot.waitUntil(lambda: name in window.profile_label.text(), timeout=WAIT)


def _add_profile(
    qtbot: QtBot, window: MainWindow, count: int, name: str, email: str, role: Role, pin: str
) -> None:
    dialog = _profiles(qtbot, window, count)
    assert dialog.add_button.isVisible()
    QTest.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    form = dialog.form
    assert isinstance(form, AddProfileDialog)
    type_into(form.name, name)
    type_into(form.email, email)
    form.role.setCurrentIndex(find_data(form.role, role))
    if pin:
        type_into(form.pin, pin)
        type_into(form.again, pin)
    else:
        assert not form.pin.isEnabled()
    save(qtbot, form)
    qtbot.waitUntil(lambda: dialog.list.count() == count + 1, timeout=WAIT)
    assert name in dialog.list.currentItem().text()  # the new profile is selected
    dialog.reject()


def _open_unit(qtbot: QtBot, window: MainWindow, site: str, unit: str) -> None:
    """Find a unit the way a person does: Sites & Units, type in the finder, open it."""
    window.go("Sites & Units")
    fleet = window.fleet
    qtbot.waitUntil(lambda: fleet.model.rowCount() > 0, timeout=WAIT)
    row = next(r for r in fleet.model.rows() if r.site_name == site and r.unit_number == unit)
    window.open_unit(row.elevator_id)
    page = fleet.page
    qtbot.waitUntil(
        lambda: (
            page.detail is not None
            and page.detail.elevator.id == row.elevator_id
            and page.records.inspection.isEnabled()
        ),
        timeout=WAIT,
    )


def test_a_company_runs_its_first_day_in_the_app(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    store = tmp_path / "acme-lifts.sqlite"
    startup = start_gui(
        _app(),
        store,
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.ini",
        quit_app=lambda: None,
        stores=StoreFiles(),
    )
    try:
        _story(qtbot, startup, tmp_path)
    finally:
        if startup.window is not None:
            startup.window.close()
        startup.shutdown()

    async def verify() -> int:
        ws = await open_workspace(store, password=lambda: PASSWORD)
        try:
            return await ws.store.count_events()
        finally:
            await ws.close()

    assert asyncio.run(verify()) > 40  # the store reopens, with everything in it


def _story(qtbot: QtBot, startup: Startup, tmp_path: Path) -> None:
    # -- 1. a new store: the app starts on a file that does not exist and offers to create it
    qtbot.waitUntil(lambda: startup.new_store is not None, timeout=WAIT)
    offer = startup.new_store
    assert offer is not None
    assert offer.isVisible()
    assert offer.file.text() == str(tmp_path / "acme-lifts.sqlite")
    offer.organization.setText("Acme Lifts")
    offer.pin.setText(ADMIN_PIN)  # the administrator's PIN, chosen with the store
    offer.again.setText(ADMIN_PIN)
    offer.ok.click()
    _password(qtbot, startup, PASSWORD)  # no secure keyring: an offline-unlock password
    # the administrator's profile asks for the PIN chosen with the store
    qtbot.waitUntil(
        lambda: startup.gate is not None and isinstance(startup.gate.dialog, QInputDialog),
        timeout=WAIT,
    )
    assert startup.gate is not None
    asked = startup.gate.dialog
    assert isinstance(asked, QInputDialog)
    assert "Enter the PIN of Administrator" in asked.labelText()
    asked.setTextValue(ADMIN_PIN)
    asked.accept()
    qtbot.waitUntil(lambda: startup.window is not None, timeout=WAIT)
    window = _window(startup)
    assert "Acme Lifts" in window.store_label.text()
    assert window.profile_label.text() == "Signed in: Administrator (Admin)"

    # -- 2. the fleet by hand: a customer, a site, a unit
    window.go("Customers & Sites")
    customers = window.views["Customers & Sites"]
    assert isinstance(customers, CustomersView)
    QTest.mouseClick(customers.add_customer, Qt.MouseButton.LeftButton)
    customer = wait_for_dialog(qtbot, window, CustomerDialog)
    type_into(customer.name, "Temple Gate Hotels")
    type_into(customer.contact_name, "Dana Reyes")
    save(qtbot, customer)
    qtbot.waitUntil(lambda: customers.customers.rowCount() == 1, timeout=WAIT)
    customers.customer_table.selectRow(0)
    QTest.mouseClick(customers.add_site, Qt.MouseButton.LeftButton)
    site = wait_for_dialog(qtbot, window, SiteDialog)
    assert site.customer.currentText() == "Temple Gate Hotels"
    type_into(site.name, "Temple Gate")
    type_into(site.address, "2 Temple Gate\nBristol BS1 6PL")
    site.time_zone.setCurrentText("Europe/London")
    type_into(site.access_notes, "Keys at the front desk")
    save(qtbot, site)
    qtbot.waitUntil(lambda: customers.sites.rowCount() == 1, timeout=WAIT)
    customers.site_table.selectRow(0)
    for number in ("L1", "L2"):
        QTest.mouseClick(customers.add_unit, Qt.MouseButton.LeftButton)
        unit = wait_for_dialog(qtbot, window, UnitDialog)
        assert unit.site.currentText().startswith("Temple Gate")
        type_into(unit.unit_number, number)
        type_into(unit.serial, f"SN-{number}")
        save(qtbot, unit)
        window.forms.records.last_dialog = None
    assert window.statusBar().currentMessage().startswith("Unit L2")

    # -- 3. more units from a fleet file (File → Import fleet)
    menu = startup.store_menu
    assert menu is not None
    fleet_file = tmp_path / "fleet.csv"
    fleet_file.write_text(FLEET_CSV, "utf-8")
    menu.import_file(fleet_file)
    qtbot.waitUntil(lambda: isinstance(menu.report, ImportReport), timeout=WAIT)
    assert menu.report is not None
    assert menu.report.text.toPlainText() == (
        "Imported 2 units; created 1 customer and 1 site from fleet.csv."
    )
    menu.report.accept()
    window.go("Sites & Units")
    qtbot.waitUntil(lambda: window.fleet.model.rowCount() == 4, timeout=WAIT)

    # -- 4. the people: a supervisor (with a PIN) and a technician
    _add_profile(
        qtbot, window, 1, "Priya Shah", "priya@acme.example", Role.SUPERVISOR, SUPERVISOR_PIN
    )
    _add_profile(qtbot, window, 2, "Tom Becker", "tom@acme.example", Role.TECHNICIAN, "")
    _switch(qtbot, window, "Tom Becker", 3)
    assert window.profile_label.text() == "Signed in: Tom Becker (Technician)"
    assert not window.go_actions["Dashboard"].isEnabled()  # a technician has no dashboard

    _technicians_day(qtbot, window)
    _supervisors_day(qtbot, window)


def _fill_visit(qtbot: QtBot, form: VisitForm) -> None:
    qtbot.waitUntil(lambda: form.save_button.isEnabled(), timeout=WAIT)
    answer_checklist(qtbot, form.checklist)
    draw_signature(form.signoff.tech_pad)
    type_into(form.signoff.customer_name, "Dana Reyes")
    draw_signature(form.signoff.customer_pad)
    assert form.completion.complete.isChecked()
    assert form.completion.lock.isChecked()
    with qtbot.waitSignal(form.saved, timeout=WAIT):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)


def _technicians_day(qtbot: QtBot, window: MainWindow) -> None:
    # -- 5. a maintenance visit: checklist, readings, a part, both signatures; locked
    _open_unit(qtbot, window, "Temple Gate", "L1")
    page = window.fleet.page
    assert page.detail is not None
    unit_id = page.detail.elevator.id
    form = window.forms.record_visit(unit_id)
    assert isinstance(form, VisitForm)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: len(form.checklist.rows) > 5, timeout=WAIT)
    form.extras.parts.add_part(["DL-200", "Door roller", "2", "A1, A2"])
    _fill_visit(qtbot, form)
    assert window.statusBar().currentMessage().endswith("at Temple Gate / L1 completed and locked.")
    qtbot.waitUntil(lambda: page.tabs.visits.rowCount() == 1, timeout=WAIT)
    visit = page.tabs.visits.row_at(0).visit
    assert visit.status is VisitStatus.LOCKED

    # -- 6. a callback comes in, is attended and closed
    dialog = window.forms.log_callback(unit_id)
    assert isinstance(dialog, CallbackForm)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.unit.count() > 1, timeout=WAIT)
    type_into(dialog.reporter, "Front desk")
    type_into(dialog.trouble, "Doors reopen at every floor")
    tick(qtbot, dialog.out_of_service)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    window.go("Callbacks")
    callbacks = window.views["Callbacks"]
    assert isinstance(callbacks, CallbacksView)
    qtbot.waitUntil(lambda: callbacks.proxy.rowCount() == 1, timeout=WAIT)
    callbacks.table.selectRow(0)
    QTest.mouseClick(callbacks.buttons.attend, Qt.MouseButton.LeftButton)
    attend = window.forms.last_dialog
    assert isinstance(attend, VisitForm)
    qtbot.addWidget(attend)
    qtbot.waitUntil(lambda: attend.save_button.isEnabled(), timeout=WAIT)
    # no checklist by default (not the annual examination), as the user guide says
    assert attend.header.template.currentText() == "(no checklist)"
    _fill_visit(qtbot, attend)
    qtbot.waitUntil(lambda: callbacks.proxy.rowCount() == 1, timeout=WAIT)
    callbacks.table.selectRow(0)
    QTest.mouseClick(callbacks.buttons.close_button, Qt.MouseButton.LeftButton)
    close = window.forms.last_dialog
    assert isinstance(close, CloseCallbackDialog)
    qtbot.addWidget(close)
    type_into(close.corrective, "Cleaned and realigned the door detector")
    assert close.back.isChecked()
    with qtbot.waitSignal(close.saved, timeout=WAIT):
        QTest.mouseClick(close.save_button, Qt.MouseButton.LeftButton)
    assert window.statusBar().currentMessage() == (
        "Callback closed (Doors reopen at every floor); the unit is back in service."
    )
    qtbot.waitUntil(lambda: callbacks.proxy.rowCount() == 0, timeout=WAIT)  # none open


def _supervisors_day(qtbot: QtBot, window: MainWindow) -> None:
    # -- 7. the supervisor takes the laptop: the PIN is asked
    _switch(qtbot, window, "Priya Shah", 3, pin=SUPERVISOR_PIN)
    assert window.go_actions["Dashboard"].isEnabled()

    # -- 8. an inspection with defects opens deficiencies
    _open_unit(qtbot, window, "Pier House", "L1")
    page = window.fleet.page
    QTest.mouseClick(page.records.inspection, Qt.MouseButton.LeftButton)
    inspection = wait_for_dialog(qtbot, window, InspectionDialog)
    inspection.outcome.setCurrentIndex(find_data(inspection.outcome, InspectionResult.FAILED))
    type_into(inspection.performed_by, "R. Patel (insurer's engineer)")
    type_into(inspection.defects, "Pit light missing\nGovernor seal broken")
    save(qtbot, inspection)
    assert window.statusBar().currentMessage() == (
        "Category 1 test of Pier House / L1 recorded; 2 deficiencies opened."
    )
    qtbot.waitUntil(lambda: page.tabs.deficiencies.rowCount() == 2, timeout=WAIT)

    # -- 9. one deficiency fixed, then verified, from the Deficiencies screen
    window.go("Deficiencies")
    deficiencies = window.views["Deficiencies"]
    assert isinstance(deficiencies, DeficienciesView)
    qtbot.waitUntil(lambda: deficiencies.proxy.rowCount() == 2, timeout=WAIT)
    for before, status, resolution in (
        (DeficiencyStatus.OPEN, DeficiencyStatus.FIXED, "New pit light fitted"),
        (DeficiencyStatus.FIXED, DeficiencyStatus.VERIFIED, ""),
    ):

        def pit_light(wanted: DeficiencyStatus = before) -> int:
            """The row of the pit light's deficiency once the list shows it ``wanted``."""
            for r in range(deficiencies.proxy.rowCount()):
                found = deficiencies.proxy.row_object(r).deficiency
                if found.description.startswith("Pit light missing") and found.status is wanted:
                    return r
            return -1

        qtbot.waitUntil(lambda: pit_light() >= 0, timeout=WAIT)
        row = pit_light()
        deficiencies.table.selectRow(row)
        window.forms.records.last_dialog = None
        QTest.mouseClick(deficiencies.buttons.change, Qt.MouseButton.LeftButton)
        change = wait_for_dialog(qtbot, window, DeficiencyStatusDialog)
        change.status.setCurrentIndex(find_data(change.status, status))
        if resolution:
            type_into(change.resolution, resolution)
        save(qtbot, change)
        assert window.statusBar().currentMessage() == (
            f"Deficiency on Pier House / L1 marked {status.value}."
        )
    deficiencies.status.setCurrentText("Verified")
    qtbot.waitUntil(lambda: deficiencies.proxy.rowCount() == 1, timeout=WAIT)

    # -- 10. the dashboard and compliance reflect the day
    window.go("Dashboard")
    dashboard = window.views["Dashboard"]
    assert isinstance(dashboard, DashboardView)
    qtbot.waitUntil(
        lambda: (
            dashboard.board is not None
            and not dashboard.board.stale
            and dashboard.board.metrics.unit_count == 4
        ),
        timeout=WAIT,
    )
    board = dashboard.board
    assert board is not None
    assert board.by_status[ElevatorStatus.OPERATIONAL] == 4  # the callback's unit is back
    assert board.open_callbacks == ()
    # the day's callback counts in the last 12 months: logged, attended and closed today
    assert (board.metrics.callbacks, board.metrics.closed_callbacks) == (1, 1)

    # -- 11. the audit trail is intact
    window.go("Audit")
    audit = window.views["Audit"]
    assert isinstance(audit, AuditView)
    QTest.mouseClick(audit.verify, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Chain intact" in audit.chain.text(), timeout=WAIT)
