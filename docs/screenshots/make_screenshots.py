"""Render the main screens offscreen to PNGs in docs/screenshots/ (a 1366x768 window).

Run from the repository root:
    QT_QPA_PLATFORM=offscreen uv run python docs/screenshots/make_screenshots.py

The data is a real demo store (58 units, seed 7, as of 2026-11-26) built through the real
services in a temporary folder and opened with ``app.bootstrap.open_workspace``: the same
Workspace the desktop app uses as its backend. A few visits are then scheduled and one is saved
in progress through the dialogs, as a user would, so that the Work screen has open work.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QDate, QSettings
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from app.bootstrap import Workspace, create_demo_store, open_workspace
from app.domain.entities import User
from app.domain.enums import ItemKind, Role, RuleSet, VisitStatus
from app.services.queries import profiles
from app.ui.errors import ErrorPresenter
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.store_menu import NewStoreDialog
from app.ui.views.dialogs.log_callback import CallbackForm
from app.ui.views.dialogs.profile import actor_of
from app.ui.views.dialogs.schedule_visit import ScheduleDialog
from app.ui.views.screens.audit import AuditView
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.screens.settings import SettingsView
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.form import VisitForm
from app.ui.widgets.forms import find_data
from app.ui.widgets.signature_pad import SignaturePad

OUT = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 26)


class DemoClock:
    """The screenshots' 'now': the morning of the demo's last day."""

    def now(self) -> datetime:
        return datetime(AS_OF.year, AS_OF.month, AS_OF.day, 9, 30, tzinfo=UTC)


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Process events until ``done()`` or the timeout."""
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()
    if not done():
        raise SystemExit("timed out waiting for the screen to load")


def save(widget: QWidget, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))
    print(f"wrote {path}")


def draw(pad: SignaturePad) -> None:
    """A handwriting-like stroke on a signature pad."""
    points = [[24 + k * 2.2, 52 - 20 * math.sin(k / 5) * math.exp(-k / 90)] for k in range(110)]
    pad.set_strokes([points, [[60, 40], [75, 62], [92, 38]]])


def build(folder: Path) -> Path:
    path = folder / "demo.sqlite"
    summary, events = asyncio.run(
        create_demo_store(path, units=58, seed=7, as_of=AS_OF, now=DemoClock().now())
    )
    print(f"demo store: {summary.units} units, {events} events in {path}")
    return path


def main() -> int:
    app = QApplication(sys.argv[:1])
    data_dir = Path(tempfile.mkdtemp(prefix="sitesync-shots-"))
    path = build(data_dir)
    runtime = CoreRuntime()
    runtime.start()

    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(path)

    workspace = runtime.run_sync(open_job, timeout=60)
    users: list[User] = runtime.run_sync(lambda _p: profiles(workspace.unit_of_work))
    supervisor = next(u for u in users if u.role is Role.SUPERVISOR)
    technician = next(u for u in users if u.role is Role.TECHNICIAN)
    session = Session(
        runtime,
        workspace,
        clock=DemoClock(),
        errors=ErrorPresenter(log_file=data_dir / "log.txt"),
        data_dir=data_dir,
        actor=actor_of(supervisor),
    )
    settings = QSettings(str(data_dir / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(session, settings)
    window.resize(1366, 768)
    window.show()
    board = window.views["Dashboard"]
    assert isinstance(board, DashboardView)
    wait(app, lambda: board.board is not None)
    save(window, "dashboard.png")

    # The unit with the lowest health score: the most to show on its page.
    assert board.board is not None
    worst = board.board.lowest_health[0] if board.board else None
    assert worst is not None
    window.open_unit(worst.elevator_id)
    page = window.fleet.page
    wait(app, lambda: page.detail is not None and window.fleet.model.rowCount() > 0)
    save(window, "unit-page.png")

    # A UK lift under LOLER: thorough examinations instead of Category 1 and 5 tests.
    uk = next(
        r
        for r in board.board.lowest_health
        if r.time_zone == "Europe/London" and r.elevator_id != worst.elevator_id
    )
    window.open_unit(uk.elevator_id)
    wait(app, lambda: page.detail is not None and page.detail.elevator.id == uk.elevator_id)
    page.tabs.setCurrentIndex(4)  # Compliance
    app.processEvents()
    save(window, "unit-page-loler.png")
    page.tabs.setCurrentIndex(0)

    # Open work: two visits scheduled by the supervisor, one saved in progress by a technician.
    rows = window.fleet.model.rows()
    for row, day in ((rows[3], QDate(2026, 11, 27)), (rows[9], QDate(2026, 11, 30))):
        dialog = window.forms.schedule_visit(row.elevator_id)
        assert isinstance(dialog, ScheduleDialog)
        wait(app, lambda d=dialog: d.save_button.isEnabled())  # type: ignore[misc]
        dialog.day.setDate(day)
        dialog.technician.setCurrentIndex(find_data(dialog.technician, technician.id))
        dialog.save()
        wait(app, lambda d=dialog: not d.isVisible())  # type: ignore[misc]
    session.switch_profile(actor_of(technician))
    partial = window.forms.record_visit(rows[5].elevator_id)
    assert isinstance(partial, VisitForm)
    wait(app, lambda: len(partial.checklist.rows) > 5)
    for item in list(partial.checklist.rows.values())[:6]:
        if item.item.kind is ItemKind.PASS_FAIL:
            item.choices.button(0).setChecked(True)
    partial.extras.parts.add_part(["KM-713", "Door roller", "2", ""])
    partial.extras.notes.setPlainText(
        "Door rollers worn; replacements fitted, test run after lunch."
    )
    draw(partial.signoff.tech_pad)
    partial.completion.complete.setChecked(False)
    partial.save()
    wait(app, lambda: not partial.isVisible())
    window.go("Work")
    work = window.views["Work"]
    assert isinstance(work, WorkView)
    wait(app, lambda: work.proxy.rowCount() >= 3)
    work.table.selectRow(
        next(
            r
            for r in range(work.proxy.rowCount())
            if work.proxy.row_object(r).visit.status is VisitStatus.IN_PROGRESS
        )
    )
    app.processEvents()
    save(window, "work.png")

    resume = work.buttons.resume
    resume.click()
    cont = window.forms.last_dialog
    assert isinstance(cont, VisitForm)
    wait(app, lambda: cont.save_button.isEnabled())
    save(cont, "visit-continue.png")
    bottom = cont.findChild(QScrollArea)
    assert bottom is not None
    bottom.verticalScrollBar().setValue(bottom.verticalScrollBar().maximum())
    app.processEvents()
    save(cont, "visit-continue-signoff.png")
    cont.reject()

    visit = window.forms.record_visit(worst.elevator_id)
    assert isinstance(visit, VisitForm)
    visit.resize(1000, 700)
    wait(app, lambda: len(visit.checklist.rows) > 5)
    items = list(visit.checklist.rows.values())
    items[0].choices.button(0).setChecked(True)
    reading = next(r for r in items if r.item.kind is ItemKind.READING)
    reading.value.setText("14")  # out of band: turns red
    items[2].choices.button(1).setChecked(True)
    visit.extras.notes.setPlainText("Levelling out by 14 mm at the main floor; deficiency opened.")
    draw(visit.signoff.tech_pad)
    save(visit, "visit-form.png")
    scroll = visit.findChild(QScrollArea)
    assert scroll is not None
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    visit.signoff.customer_name.setText("Pat Manager")
    visit.signoff.refused.setChecked(True)
    visit.extras.parts.add_part(["DL-200", "Door roller", "2", "A1, A2"])
    photo = QImage(320, 240, QImage.Format.Format_RGB32)
    photo.fill(QColor("#78909c"))
    photo.save(str(data_dir / "machine-room.png"))
    visit.extras.photos.add_files([str(data_dir / "machine-room.png")])
    wait(
        app,
        lambda: (
            not visit.extras.photos.list.item(visit.extras.photos.list.count() - 1).icon().isNull()
        ),
    )
    save(visit, "visit-form-signoff.png")
    visit.reject()

    callback = window.forms.log_callback(worst.elevator_id)
    assert isinstance(callback, CallbackForm)
    wait(app, lambda: callback.unit.currentIndex() > 0)
    callback.trouble.setPlainText("Car stopped between floors 3 and 4, alarm pressed")
    callback.reporter.setText("Concierge")
    callback.entrapment.setChecked(True)
    callback.out_of_service.setChecked(True)
    save(callback, "callback-form.png")
    callback.reject()

    window.open_unit(worst.elevator_id)
    window.go("Audit")
    audit = window.views["Audit"]
    assert isinstance(audit, AuditView)
    audit.scope.setCurrentIndex(1)  # the unit's own trail
    wait(app, lambda: audit.model.rowCount() > 0)
    audit.start_verify()
    wait(app, lambda: audit.verify.isEnabled(), timeout=120)
    save(window, "audit.png")
    settings_screen(app, window, session, next(u for u in users if u.role is Role.ADMIN))
    new_store_dialog()
    window.close()

    async def close(_progress: Progress) -> None:
        await workspace.aclose()

    runtime.run_sync(close)
    runtime.stop()
    return 0


def settings_screen(app: QApplication, window: MainWindow, session: Session, admin: User) -> None:
    """The Settings screen as the administrator sees it (everyone else: read only)."""
    session.switch_profile(actor_of(admin))
    window.go("Settings")
    view = window.views["Settings"]
    assert isinstance(view, SettingsView)
    wait(app, lambda: view.overview is not None and view.sites.rowCount() > 0)
    save(window, "settings.png")


def new_store_dialog() -> None:
    """File → New store, filled in for a UK company."""
    dialog = NewStoreDialog()
    dialog.organization.setText("Northgate Lift Services Ltd")
    dialog.rule_set.setCurrentIndex(dialog.rule_set.findData(RuleSet.UK_LOLER))
    dialog.file.setText("/home/sam/Documents/northgate.sqlite")
    dialog.pin.setText("2468")
    dialog.again.setText("2468")
    dialog.resize(640, dialog.sizeHint().height())
    save(dialog, "new-store.png")


if __name__ == "__main__":
    raise SystemExit(main())
