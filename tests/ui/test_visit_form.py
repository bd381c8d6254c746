"""Recording a visit through the form, as a technician would."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.enums import ItemKind, VisitStatus
from app.ui.errors import ErrorReport
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.views.visit.form import VisitForm
from tests.ui.conftest import make_session
from tests.ui.factories import PNG_1PX, SUPERVISOR, Fleet
from tests.ui.helpers import answer_checklist, draw_signature, tick


def open_form(qtbot: QtBot, window: MainWindow, fleet: Fleet, unit: str) -> VisitForm:
    dialog = window.forms.record_visit(fleet.units[unit])
    assert isinstance(dialog, VisitForm)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: len(dialog.checklist.rows) > 5, timeout=5000)
    return dialog


def test_recording_a_visit_writes_the_expected_events(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    before = len(fleet.store.events)
    form = open_form(qtbot, window, fleet, "Quay House/L1")
    assert form.header.template.currentText().startswith("Monthly preventive maintenance")
    answer_checklist(qtbot, form.checklist)
    form.extras.parts.add_part(["DL-200", "Door roller", "2", "A1, A2"])
    photo = tmp_path / "machine-room.png"
    photo.write_bytes(PNG_1PX)
    form.extras.photos.add_files([str(photo)])
    assert form.extras.photos.list.count() == 1
    QTest.keyClicks(form.extras.notes, "Adjusted door closing force.")
    draw_signature(form.signoff.tech_pad)
    QTest.keyClicks(form.signoff.customer_name, "Pat Manager")
    tick(qtbot, form.signoff.refused)
    assert form.signoff.refused.isChecked()
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    new = fleet.store.events[before:]
    types = [e.type for e in new]
    assert types[0] == "visit.started"
    assert types.count("visit.item_recorded") == len(form.checklist.rows)
    assert types.count("visit.signed") == 2
    assert types[-2:] == ["visit.completed", "visit.locked"]
    assert "visit.part_used" in types
    assert "visit.note_added" in types
    attached = next(e for e in new if e.type == "visit.photo_attached")
    assert attached.payload.sha256 == hashlib.sha256(PNG_1PX).hexdigest()  # type: ignore[attr-defined]
    visit_id = new[0].entity_id
    visit = fleet.store.state.visits[visit_id]
    assert visit.status is VisitStatus.LOCKED
    assert fleet.blobs.blobs  # the drawn signature is stored as a PNG blob
    assert any(b.startswith(b"\x89PNG") and len(b) > 100 for b in fleet.blobs.blobs.values())
    assert form.draft.store.load(form.draft.key) is None  # the draft is gone once saved


def test_an_invalid_reading_blocks_saving_with_the_message_next_to_it(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    before = len(fleet.store.events)
    form = open_form(qtbot, window, fleet, "Quay House/L1")
    reading = next(r for r in form.checklist.rows.values() if r.item.kind is ItemKind.READING)
    answer_checklist(qtbot, form.checklist, readings={reading.item.key: "abc"})
    assert reading.out_of_band  # red as soon as it is typed
    draw_signature(form.signoff.tech_pad)
    tick(qtbot, form.signoff.refused)
    QTest.keyClicks(form.signoff.customer_name, "Pat")
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert not reading.error.isHidden()
    assert "is not a number" in reading.error.text()
    assert "1 checklist answer needs correcting" in form.errors.messages()["items"]
    assert form.isVisible()
    assert len(fleet.store.events) == before  # nothing saved


def test_out_of_band_reading_turns_red_and_fails_the_item(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = open_form(qtbot, window, fleet, "Quay House/L1")
    reading = next(r for r in form.checklist.rows.values() if r.item.kind is ItemKind.READING)
    QTest.keyClicks(reading.value, "9999")
    assert reading.out_of_band
    assert "Out of band" in reading.error.text()
    reading.value.clear()
    low = reading.item.min_value if reading.item.min_value is not None else 0
    QTest.keyClicks(reading.value, str(low))
    assert not reading.out_of_band


def test_completing_needs_signatures_and_every_mandatory_item(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    before = len(fleet.store.events)
    form = open_form(qtbot, window, fleet, "Quay House/L1")
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    messages = form.errors.messages()
    assert "mandatory item" in messages["items"]
    assert "Sign the visit" in messages["technician_signature"]
    assert "refused to sign" in messages["customer_signoff"]
    assert len(fleet.store.events) == before


def test_the_draft_survives_closing_the_form(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, session: Session
) -> None:
    form = open_form(qtbot, window, fleet, "Harbour View/L2")
    first = next(iter(form.checklist.rows))
    answer_checklist(qtbot, form.checklist)
    QTest.keyClicks(form.extras.notes, "Half done when the laptop died")
    draw_signature(form.signoff.tech_pad)
    qtbot.waitUntil(lambda: "Draft saved" in form.draft.status.text(), timeout=5000)
    form.close()  # as if the app had crashed: nothing was saved to the store
    again = open_form(qtbot, window, fleet, "Harbour View/L2")
    assert again.extras.notes.toPlainText() == "Half done when the laptop died"
    assert again.checklist.rows[first].answered()
    assert not again.signoff.tech_pad.empty
    assert "Restored your unsaved draft" in again.draft.status.text()


def test_after_a_crash_a_new_window_offers_to_restore_the_draft(
    qtbot: QtBot,
    window: MainWindow,
    fleet: Fleet,
    runtime: CoreRuntime,
    tmp_path: Path,
    settings: QSettings,
    shown_errors: list[ErrorReport],
) -> None:
    form = open_form(qtbot, window, fleet, "Harbour View/L2")
    answer_checklist(qtbot, form.checklist)
    form.extras.parts.add_part(["DL-200", "Door roller", "1", ""])
    QTest.keyClicks(form.extras.notes, "Typed before the battery died")
    draw_signature(form.signoff.tech_pad)
    qtbot.waitUntil(lambda: "Draft saved" in form.draft.status.text(), timeout=5000)
    before = len(fleet.store.events)
    # The crash: no save, no close event; a new session and window start on the same folder.
    restarted = MainWindow(
        make_session(runtime, fleet, tmp_path, SUPERVISOR, shown_errors), settings
    )
    qtbot.addWidget(restarted)
    restarted.show()
    banner = restarted.drafts
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert "Harbour View / L2" in banner.text.text()
    QTest.mouseClick(banner.restore, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(restarted.forms.last_dialog, VisitForm), timeout=5000)
    again = restarted.forms.last_dialog
    assert isinstance(again, VisitForm)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.save_button.isEnabled(), timeout=5000)
    assert again.extras.notes.toPlainText() == "Typed before the battery died"
    assert again.extras.parts.texts()[0][:3] == ["DL-200", "Door roller", "1"]
    assert all(row.answered() for row in again.checklist.rows.values())
    assert not again.signoff.tech_pad.empty
    assert "Restored your unsaved draft" in again.draft.status.text()
    assert len(fleet.store.events) == before  # nothing reached the store before saving
    QTest.keyClicks(again.signoff.customer_name, "Pat")
    tick(qtbot, again.signoff.refused)
    with qtbot.waitSignal(again.saved, timeout=5000):
        QTest.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert fleet.store.events[-1].type == "visit.locked"
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)  # the draft is gone


def test_a_draft_can_be_discarded_from_the_banner(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, session: Session, settings: QSettings
) -> None:
    form = open_form(qtbot, window, fleet, "Quay House/L2")
    QTest.keyClicks(form.extras.notes, "Never mind")
    qtbot.waitUntil(lambda: "Draft saved" in form.draft.status.text(), timeout=5000)
    form.reject()
    restarted = MainWindow(session, settings)
    qtbot.addWidget(restarted)
    restarted.show()
    banner = restarted.drafts
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    QTest.mouseClick(banner.discard, Qt.MouseButton.LeftButton)
    assert banner.question is not None
    banner.question.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
    assert form.draft.store.keys() == []


def test_cancelling_the_form_stops_its_autosave_and_keeps_the_draft(
    qtbot: QtBot, window: MainWindow, fleet: Fleet
) -> None:
    form = open_form(qtbot, window, fleet, "Quay House/L1")
    QTest.keyClicks(form.extras.notes, "Half-way through the doors.")
    assert form.draft._timer.isActive()  # an autosave is waiting
    form.reject()  # Cancel
    assert not form.draft._timer.isActive()
    assert form.draft.paused
    # the change that was waiting is written at once: the draft is kept for next time
    qtbot.waitUntil(lambda: form.draft.store.load(form.draft.key) is not None, timeout=5000)
    kept = form.draft.store.load(form.draft.key)
    assert kept is not None
    assert kept["notes"] == "Half-way through the doors."
    form.draft.touched()  # a late signal from a closed form starts nothing
    assert not form.draft._timer.isActive()
