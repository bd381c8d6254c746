"""A visit saved in progress, continued later in one save, completed, locked, corrected."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.domain.commands import CancelVisit
from app.domain.enums import ItemKind, VisitStatus
from app.domain.work import Visit
from app.services.visits import cancel_visit
from app.ui.errors import ErrorReport
from app.ui.main_window import MainWindow
from app.ui.views.dialogs.status_and_addendum import AddendumDialog
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.form import VisitForm
from tests.ui.factories import PNG_1PX, Fleet
from tests.ui.helpers import answer_checklist, draw_signature, tick

UNIT = "Quay House/L1"


def _visit(fleet: Fleet, visit_id: UUID) -> Visit:
    return fleet.store.state.visits[visit_id]


def _open_form(qtbot: QtBot, dialog: object) -> VisitForm:
    assert isinstance(dialog, VisitForm)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    return dialog


def _save(qtbot: QtBot, form: VisitForm) -> None:
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)


def _start_in_progress(qtbot: QtBot, window: MainWindow, fleet: Fleet, photo: Path) -> UUID:
    """Record half a visit and save it without completing it."""
    form = _open_form(qtbot, window.forms.record_visit(fleet.units[UNIT]))
    rows = [r for r in form.checklist.rows.values() if r.item.kind is ItemKind.PASS_FAIL]
    for row in rows[:3]:
        button = row.findChild(QWidget, f"pass_{row.item.key}")
        assert button is not None
        tick(qtbot, button)
    form.extras.parts.add_part(["DL-200", "Door roller", "2", "A1, A2"])
    form.extras.photos.add_files([str(photo)])
    QTest.keyClicks(form.extras.notes, "Doors adjusted; back after lunch.")
    draw_signature(form.signoff.tech_pad)
    tick(qtbot, form.completion.complete)
    assert not form.completion.complete.isChecked()
    assert not form.completion.lock.isEnabled()
    _save(qtbot, form)
    visit_id = fleet.store.events[-1].entity_id
    visit = _visit(fleet, visit_id)
    assert visit.status is VisitStatus.IN_PROGRESS
    assert len(visit.results) == 3
    return visit_id


def _work_view(qtbot: QtBot, window: MainWindow, visit_id: UUID, status: VisitStatus) -> WorkView:
    """The Work view with the visit selected once it shows ``status``."""
    window.go("Work")
    view = window.views["Work"]
    assert isinstance(view, WorkView)

    def row_of_visit() -> int:
        for row in range(view.proxy.rowCount()):
            line = view.proxy.row_object(row)
            if line.visit.id == visit_id and line.visit.status is status:
                return row
        return -1

    qtbot.waitUntil(lambda: row_of_visit() >= 0, timeout=5000)
    view.table.selectRow(row_of_visit())
    return view


def test_an_in_progress_visit_is_continued_completed_locked_and_corrected(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG_1PX)
    visit_id = _start_in_progress(qtbot, window, fleet, photo)
    view = _work_view(qtbot, window, visit_id, VisitStatus.IN_PROGRESS)
    line = view.proxy.row_object(view.table.currentIndex().row())
    assert line.visit.status is VisitStatus.IN_PROGRESS
    assert line.technician == "Sam Super"
    assert view.buttons.resume.isEnabled()
    assert not view.buttons.lock.isEnabled()

    QTest.mouseClick(view.buttons.resume, Qt.MouseButton.LeftButton)
    form = _open_form(qtbot, window.forms.last_dialog)
    assert form.windowTitle() == "Continue the visit"
    assert not form.header.unit.isEnabled()
    assert not form.header.template.isEnabled()
    answered = [k for k, r in form.checklist.rows.items() if r.recorded is not None]
    assert len(answered) == 3
    assert all(form.checklist.rows[k].answered() for k in answered)
    assert form.extras.parts.recorded == 1
    assert form.extras.parts.table.item(0, 0).text() == "DL-200"  # type: ignore[union-attr]
    assert form.extras.photos.recorded == 1
    assert not form.extras.photos.list.item(0).icon().isNull()  # a thumbnail from the blob store
    assert "Doors adjusted" in form.extras.recorded_notes.text()
    assert form.signoff.tech_pad.recorded
    assert not form.signoff.tech_pad.empty

    before = len(fleet.store.events)
    answer_checklist(qtbot, form.checklist)  # clicks Pass again on the recorded ones too
    form.extras.parts.add_part(["BR-7", "Brake pad", "1", ""])
    QTest.keyClicks(form.extras.notes, "Brake pads replaced.")
    QTest.keyClicks(form.signoff.customer_name, "Pat Manager")
    draw_signature(form.signoff.customer_pad)
    tick(qtbot, form.completion.lock)  # complete, but do not lock yet
    assert form.completion.complete.isChecked()
    assert not form.completion.lock.isChecked()
    _save(qtbot, form)

    new = [e.type for e in fleet.store.events[before:]]
    assert new.count("visit.item_recorded") == len(form.checklist.rows) - 3  # only new answers
    assert new.count("visit.part_used") == 1
    assert new.count("visit.note_added") == 1
    assert new.count("visit.signed") == 1  # the customer; the technician had signed
    assert new[-1] == "visit.completed"
    visit = _visit(fleet, visit_id)
    assert visit.status is VisitStatus.COMPLETED
    assert [p.part_number for p in visit.parts] == ["DL-200", "BR-7"]
    assert len(visit.notes) == 2
    assert visit.customer_signoff is not None
    assert visit.customer_signoff.name == "Pat Manager"
    assert form.draft.store.load(form.draft.key) is None

    work = window.views["Work"]
    assert isinstance(work, WorkView)
    work.scope.setCurrentText("Completed, waiting to be locked")  # no longer open work
    view = _work_view(qtbot, window, visit_id, VisitStatus.COMPLETED)
    assert view.buttons.lock.isEnabled()
    QTest.mouseClick(view.buttons.lock, Qt.MouseButton.LeftButton)
    box = window.findChild(QMessageBox, "confirmBox")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: _visit(fleet, visit_id).status is VisitStatus.LOCKED, timeout=5000)

    view.scope.setCurrentIndex(1)  # locked visits are no longer open work
    view = _work_view(qtbot, window, visit_id, VisitStatus.LOCKED)
    assert view.buttons.addendum.isEnabled()
    QTest.mouseClick(view.buttons.addendum, Qt.MouseButton.LeftButton)
    dialog = window.forms.last_dialog
    assert isinstance(dialog, AddendumDialog)
    qtbot.addWidget(dialog)
    QTest.keyClicks(dialog.text, "Brake pad part number was BR-7A.")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [a.text for a in _visit(fleet, visit_id).addenda] == ["Brake pad part number was BR-7A."]


def test_a_failed_save_stores_nothing_and_saving_again_stores_everything_once(
    qtbot: QtBot, window: MainWindow, fleet: Fleet, tmp_path: Path
) -> None:
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG_1PX)
    visit_id = _start_in_progress(qtbot, window, fleet, photo)
    form = _open_form(qtbot, window.forms.open_visit(_visit(fleet, visit_id)))
    reading = next(r for r in form.checklist.rows.values() if r.item.kind is ItemKind.READING)
    low = reading.item.min_value if reading.item.min_value is not None else 0
    QTest.keyClicks(reading.value, str(low))
    form.extras.parts.add_part(["GV-1", "Governor rope", "1", ""])
    QTest.keyClicks(form.extras.notes, "Governor rope replaced.")
    gone = tmp_path / "gone.png"
    gone.write_bytes(PNG_1PX)
    form.extras.photos.add_files([str(gone)])
    gone.unlink()  # the file disappears before saving: the save fails
    tick(qtbot, form.completion.complete)
    before = len(fleet.store.events)
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "photos" in form.errors.messages(), timeout=5000)
    assert "gone.png cannot be read" in form.errors.messages()["photos"]
    assert len(fleet.store.events) == before  # nothing of it was stored
    visit = _visit(fleet, visit_id)
    assert [p.part_number for p in visit.parts] == ["DL-200"]
    assert len(visit.notes) == 1
    assert form.extras.notes.toPlainText() == "Governor rope replaced."  # the form keeps it all
    assert form.save_button.isEnabled()

    form.extras.photos.list.setCurrentRow(form.extras.photos.list.count() - 1)
    form.extras.photos._remove()
    _save(qtbot, form)
    visit = _visit(fleet, visit_id)
    assert [p.part_number for p in visit.parts] == ["DL-200", "GV-1"]  # each once
    assert [n.text for n in visit.notes][-1] == "Governor rope replaced."
    assert len(visit.notes) == 2
    result = visit.result(reading.item.key)
    assert result is not None
    assert visit.status is VisitStatus.IN_PROGRESS


def test_a_draft_of_a_visit_finished_elsewhere_is_refused_with_a_reason(
    qtbot: QtBot,
    window: MainWindow,
    fleet: Fleet,
    tmp_path: Path,
    settings: QSettings,
    shown_errors: list[ErrorReport],
) -> None:
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG_1PX)
    visit_id = _start_in_progress(qtbot, window, fleet, photo)
    form = _open_form(qtbot, window.forms.open_visit(_visit(fleet, visit_id)))
    QTest.keyClicks(form.extras.notes, "Not saved yet")
    qtbot.waitUntil(lambda: "Draft saved" in form.draft.status.text(), timeout=5000)
    form.reject()
    cancel = CancelVisit(visit_id=visit_id, reason="Recorded twice by mistake")
    asyncio.run(cancel_visit(cancel, ctx=fleet.context()))  # e.g. from a synced device
    restarted = MainWindow(window.session, settings)
    qtbot.addWidget(restarted)
    restarted.show()
    qtbot.waitUntil(lambda: restarted.drafts.isVisible(), timeout=5000)
    QTest.mouseClick(restarted.drafts.restore, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=5000)
    assert "was cancelled meanwhile" in shown_errors[-1].message
    assert "Discard the draft" in shown_errors[-1].hint
