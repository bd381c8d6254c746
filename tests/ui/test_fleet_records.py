"""Entering a fleet by hand: customers, sites and units, edited and renewed, from the screens."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.domain.enums import DriveType, ElevatorStatus, Manufacturer, Role, RuleSet
from app.services.context import Actor
from app.ui.main_window import MainWindow
from app.ui.views.records.customer_site import CustomerDialog, SiteDialog
from app.ui.views.records.customers import CustomersView
from app.ui.views.records.unit_form import CertificateDialog, UnitDialog
from app.ui.widgets.forms import find_data
from tests.ui.factories import TECHNICIAN, Fleet
from tests.ui.records_support import (
    click_save_expecting_problems,
    save,
    signed_types,
    type_into,
    wait_for_dialog,
)

ADMIN = Actor(TECHNICIAN.user_id, Role.ADMIN, "Ada Admin")


def _customers(qtbot: QtBot, window: MainWindow) -> CustomersView:
    window.go("Customers & Sites")
    view = window.views["Customers & Sites"]
    assert isinstance(view, CustomersView)
    qtbot.waitUntil(lambda: view.customers.rowCount() == 2, timeout=5000)
    return view


def _select_customer(view: CustomersView, name: str) -> None:
    found = view.customers.find_row(lambda c: c.name == name)
    view.customer_table.selectRow(view.customer_proxy.proxy_row(found))


def test_adding_a_customer_lists_every_problem_then_records_it(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _customers(qtbot, window)
    QTest.mouseClick(view.add_customer, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, CustomerDialog)
    type_into(dialog.contact_email, "not-an-address")
    shown = click_save_expecting_problems(dialog)
    assert shown["name"] == "The customer name is required."
    assert shown[""].startswith("Please correct this:")
    assert dialog.focusWidget() is dialog.name  # the first invalid field
    type_into(dialog.name, "Temple Gate Hotels")
    shown = click_save_expecting_problems(dialog)  # the command checks the e-mail address
    assert "'not-an-address' is not an e-mail address." in shown["contact_email"]
    assert dialog.focusWidget() is dialog.contact_email
    type_into(dialog.contact_email, "Facilities@Temple-Gate.example")
    type_into(dialog.contact_name, "Priya Shah")
    type_into(dialog.contact_phone, "+44 117 496 0000")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["customer.created"]
    customer = fleet.store.state.customers[fleet.store.events[-1].entity_id]
    assert (customer.name, customer.contact_name, customer.contact_email) == (
        "Temple Gate Hotels",
        "Priya Shah",
        "facilities@temple-gate.example",
    )
    assert window.statusBar().currentMessage() == "Customer Temple Gate Hotels added."
    qtbot.waitUntil(lambda: view.customers.rowCount() == 3, timeout=5000)


def test_editing_a_customer_changes_only_what_changed(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _customers(qtbot, window)
    _select_customer(view, "Cotham Trust")
    QTest.mouseClick(view.edit_customer, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, CustomerDialog)
    assert dialog.name.text() == "Cotham Trust"
    type_into(dialog.contact_phone, "0117 000 0001")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["customer.updated"]
    assert fleet.store.events[-1].payload.model_dump(exclude_none=True) == {
        "contact_phone": "0117 000 0001"
    }
    assert window.statusBar().currentMessage() == "Customer Cotham Trust saved."


def test_a_supervisor_adds_a_site_but_only_an_administrator_sets_its_rule_set(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _customers(qtbot, window)
    _select_customer(view, "Harbour Estates")
    qtbot.waitUntil(lambda: view.sites.rowCount() == 2, timeout=5000)
    QTest.mouseClick(view.add_site, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, SiteDialog)
    assert dialog.customer.currentText() == "Harbour Estates"
    assert not dialog.rule_set.isEnabled()
    assert dialog.rule_set.toolTip() == "Only an administrator can choose a site's rule set."
    dialog.time_zone.setCurrentText("Mars/Olympus")
    shown = click_save_expecting_problems(dialog)
    assert set(shown) == {"", "name", "address", "time_zone"}
    assert "Please correct these:" in shown[""]
    assert "'Mars/Olympus' is not a known time zone" in shown["time_zone"]
    assert dialog.focusWidget() is dialog.name
    type_into(dialog.name, "Dock Street")
    type_into(dialog.address, "4 Dock Street\nBristol BS1 4QA")
    dialog.time_zone.setCurrentText("Europe/London")
    type_into(dialog.access_notes, "Keys at the front desk")
    type_into(dialog.emergency, "Night porter 0117 496 0101")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["site.created"]
    site = fleet.store.state.sites[fleet.store.events[-1].entity_id]
    assert site.customer_id == fleet.customers["Harbour Estates"]
    assert (site.address, site.time_zone, site.rule_set) == (
        "4 Dock Street\nBristol BS1 4QA",
        "Europe/London",
        None,
    )
    assert (site.access_notes, site.emergency_contacts) == (
        "Keys at the front desk",
        "Night porter 0117 496 0101",
    )
    assert window.statusBar().currentMessage() == "Site Dock Street added."
    qtbot.waitUntil(lambda: view.sites.rowCount() == 3, timeout=5000)


def test_an_administrator_sets_a_sites_rule_set(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.session.switch_profile(ADMIN)
    view = _customers(qtbot, window)
    _select_customer(view, "Cotham Trust")
    qtbot.waitUntil(lambda: view.sites.rowCount() == 1, timeout=5000)
    view.site_table.selectRow(0)
    QTest.mouseClick(view.edit_site, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, SiteDialog)
    assert dialog.name.text() == "Cotham Tower"
    assert not dialog.customer.isEnabled()
    assert dialog.rule_set.isEnabled()
    dialog.rule_set.setCurrentIndex(find_data(dialog.rule_set, RuleSet.UK_LOLER))
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["site.updated"]
    assert fleet.store.state.sites[fleet.sites["Cotham Tower"]].rule_set is RuleSet.UK_LOLER


def test_adding_a_unit_with_every_field_of_the_import_file(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    view = _customers(qtbot, window)
    _select_customer(view, "Cotham Trust")
    qtbot.waitUntil(lambda: view.sites.rowCount() == 1, timeout=5000)
    view.site_table.selectRow(0)
    QTest.mouseClick(view.add_unit, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, UnitDialog)
    assert dialog.site.currentData() == fleet.sites["Cotham Tower"]
    type_into(dialog.numbers["capacity_kg"], "heavy")
    dialog.certificate.setChecked(True)
    shown = click_save_expecting_problems(dialog)
    assert shown["unit_number"] == "A unit number is required, e.g. 'L1'."
    assert shown["capacity_kg"].startswith("Capacity must be a whole number of kilograms")
    assert shown["certificate.number"] == "The certificate number is required."
    assert dialog.focusWidget() is dialog.unit_number
    type_into(dialog.unit_number, "L1")  # taken by an active unit at this site
    type_into(dialog.numbers["capacity_kg"], "1000")
    type_into(dialog.certificate.number, "CO-7781")
    dialog.certificate.issued.setDate(QDate(2025, 5, 1))
    dialog.certificate.expires.setDate(QDate(2026, 4, 30))
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "unit_number" in dialog.errors.messages(), timeout=5000)
    assert "Unit 'L1' already exists at Cotham Tower" in dialog.errors.messages()["unit_number"]
    type_into(dialog.unit_number, "L3")
    type_into(dialog.serial, "SN-9001")
    type_into(dialog.conveyance, "EL-778")
    dialog.manufacturer.setCurrentIndex(find_data(dialog.manufacturer, Manufacturer.KONE))
    type_into(dialog.model, "MonoSpace 500")
    dialog.drive.setCurrentIndex(find_data(dialog.drive, DriveType.MRL_TRACTION))
    type_into(dialog.numbers["rated_speed_mps"], "1,6")
    type_into(dialog.numbers["floors_served"], "12")
    type_into(dialog.numbers["design_life_years"], "25")
    type_into(dialog.numbers["maintenance_interval_days"], "60")
    dialog.installed.enabled.setChecked(True)
    dialog.installed.edit.setDate(QDate(2019, 3, 14))
    dialog.passengers.setChecked(False)
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["elevator.registered"]
    unit = fleet.store.state.elevators[fleet.store.events[-1].entity_id]
    assert (unit.site_id, unit.unit_number, unit.status) == (
        fleet.sites["Cotham Tower"],
        "L3",
        ElevatorStatus.OPERATIONAL,
    )
    assert (unit.serial_number, unit.conveyance_id, unit.manufacturer, unit.model) == (
        "SN-9001",
        "EL-778",
        Manufacturer.KONE,
        "MonoSpace 500",
    )
    assert (unit.drive_type, unit.capacity_kg, unit.rated_speed_mps, unit.floors_served) == (
        DriveType.MRL_TRACTION,
        1000,
        Decimal("1.6"),
        12,
    )
    assert (unit.design_life_years, unit.maintenance_interval_days) == (25, 60)
    assert (unit.installation_date, unit.carries_passengers) == (date(2019, 3, 14), False)
    assert unit.certificate is not None
    assert (unit.certificate.number, unit.certificate.expires_on) == ("CO-7781", date(2026, 4, 30))
    assert window.statusBar().currentMessage() == "Unit L3 added at Cotham Tower."


def test_editing_a_unit_and_renewing_its_certificate_from_the_unit_page(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    unit_id = fleet.units["Quay House/L2"]
    window.open_unit(unit_id)
    page = window.fleet.page
    qtbot.waitUntil(lambda: page.records.edit.isEnabled(), timeout=5000)
    QTest.mouseClick(page.records.edit, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window, UnitDialog)
    assert dialog.unit_number.text() == "L2"
    assert not dialog.site.isEnabled()
    type_into(dialog.numbers["maintenance_interval_days"], "")  # back to the default
    type_into(dialog.numbers["floors_served"], "6")
    before = len(fleet.store.events)
    save(qtbot, dialog)
    assert signed_types(fleet, before) == ["elevator.updated"]
    assert fleet.store.events[-1].payload.model_dump(exclude_unset=True) == {
        "floors_served": 6,
        "maintenance_interval_days": None,
    }
    assert window.statusBar().currentMessage() == "Unit L2 at Quay House saved."

    old = fleet.store.state.elevators[unit_id].certificate
    assert old is not None
    qtbot.waitUntil(lambda: page.records.certificate.isEnabled(), timeout=5000)
    QTest.mouseClick(page.records.certificate, Qt.MouseButton.LeftButton)
    renewal = wait_for_dialog(qtbot, window, CertificateDialog)
    renewal.certificate.expires.setDate(QDate(old.expires_on.year, old.expires_on.month, 1))
    shown = click_save_expecting_problems(renewal)
    assert shown["certificate.number"] == "The certificate number is required."
    assert "not after the one on record" in shown["certificate.expires_on"]
    type_into(renewal.certificate.number, "C-2025-004")
    renewal.certificate.issued.setDate(QDate(2025, 6, 1))
    renewal.certificate.expires.setDate(QDate(2026, 6, 30))
    before = len(fleet.store.events)
    save(qtbot, renewal)
    assert signed_types(fleet, before) == ["elevator.updated"]
    new = fleet.store.state.elevators[unit_id].certificate
    assert new is not None
    assert (new.number, new.issued_on, new.expires_on) == (
        "C-2025-004",
        date(2025, 6, 1),
        date(2026, 6, 30),
    )
    assert window.statusBar().currentMessage() == (
        "Certificate of Quay House / L2 renewed: expires 2026-06-30."
    )
    qtbot.waitUntil(lambda: "certificate C-2025-004" in page.facts.text(), timeout=5000)


def test_the_unit_page_acts_on_no_unit_while_the_next_one_loads(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    """Between choosing another unit and its page arriving, no button acts on the one shown."""
    page = window.fleet.page
    window.open_unit(fleet.units["Quay House/L1"])
    qtbot.waitUntil(lambda: page.records.inspection.isEnabled(), timeout=5000)
    assert page.title.text() == "Quay House / L1"
    second = fleet.units["Quay House/L2"]
    window.open_unit(second)  # its page is read on the core thread: not here yet
    acting = (*page.records.buttons(), page.change_status, page.record_visit, page.export)
    assert not any(button.isEnabled() for button in acting)
    assert page.records.detail is None
    assert window.forms.current_title == ""
    QTest.mouseClick(page.records.inspection, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(button.isEnabled() for button in acting), timeout=5000)
    assert page.title.text() == "Quay House / L2"
    assert page.records.detail is not None
    assert page.records.detail.elevator.id == second
    assert not window.findChildren(QDialog), "the click on the disabled button opened nothing"
