"""In the field: a callback visit's defaults, what a save says, and where the errors are."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.commands import OpenIncident
from app.domain.enums import ElevatorStatus, IncidentChannel, VisitType
from app.services.incidents import open_incident
from app.ui.main_window import MainWindow
from app.ui.views.dialogs.status_and_addendum import StatusDialog
from app.ui.views.visit.form import VisitForm
from tests.ui.conftest import NOW
from tests.ui.factories import Fleet
from tests.ui.helpers import answer_checklist, draw_signature, tick

UNIT = "Harbour View/L2"


def _form(qtbot: QtBot, dialog: object) -> VisitForm:
    assert isinstance(dialog, VisitForm)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    return dialog


def test_attending_a_fresh_callback_needs_no_checklist_and_arrives_after_the_report(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    reported = NOW - timedelta(minutes=10, seconds=30)
    command = OpenIncident(
        elevator_id=fleet.units[UNIT],
        reported_at=reported,
        channel=IncidentChannel.PHONE,
        reported_trouble="Car stops between floors",
    )
    created = asyncio.run(open_incident(command, ctx=fleet.context()))
    incident = fleet.store.state.incidents[created.id]
    form = _form(qtbot, window.forms.attend_callback(incident))
    assert form.header.type.currentData() == VisitType.CALLBACK
    assert form.header.template.currentData() is None  # not the 21-item annual examination
    assert form.checklist.rows == {}
    assert reported <= form.header.arrived_at() <= NOW
    assert form.header.departed_at() >= form.header.arrived_at()
    # only the signatures are left to give: the defaults themselves pass validation
    draw_signature(form.signoff.tech_pad)
    QTest.keyClicks(form.signoff.customer_name, "Concierge")
    tick(qtbot, form.signoff.refused)
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert window.statusBar().currentMessage() == (
        "Callback visit at Harbour View / L2 completed and locked."
    )


def test_save_with_errors_lists_them_on_top_and_scrolls_to_the_first(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = _form(qtbot, window.forms.record_visit(fleet.units[UNIT]))
    qtbot.waitUntil(lambda: len(form.checklist.rows) > 5, timeout=5000)
    form.resize(900, 600)
    answer_checklist(qtbot, form.checklist)
    bar = form.scroll_area.verticalScrollBar() if form.scroll_area else None
    assert bar is not None
    bar.setValue(0)
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    banner = form.errors.banner
    assert not banner.isHidden()
    assert banner.text() == ("2 fields need correcting: Technician signature, Customer signoff.")
    assert bar.value() > 0  # the signature pad is far below the checklist's top


def test_a_status_change_names_the_site_and_says_what_was_done(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    window.open_unit(fleet.units[UNIT])
    page = window.fleet.page
    qtbot.waitUntil(lambda: page.change_status.isEnabled(), timeout=5000)
    QTest.mouseClick(page.change_status, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, StatusDialog)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Change the status of Harbour View / L2"
    dialog.status.setCurrentIndex(dialog.status.findText("Degraded"))
    QTest.keyClicks(dialog.reason, "Levelling off by 2 cm")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert fleet.store.state.elevators[fleet.units[UNIT]].status is ElevatorStatus.DEGRADED
    assert window.statusBar().currentMessage() == ("Harbour View / L2: status changed to degraded.")
