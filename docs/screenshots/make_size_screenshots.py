"""Render the main screens and the visit form on small and common laptop screens to PNGs in
docs/screenshots/sizes/ (NAME-1024x600.png and NAME-1366x768.png).

Run from the repository root:
    QT_QPA_PLATFORM=offscreen uv run python docs/screenshots/make_size_screenshots.py

The window runs over the UI tests' seeded fleet (tests/ui/factories.py) with the tests' sync
port (tests/ui/fake_sync.py). Each window is as large as the screen less 64 pixels of height
for the title bar and the task bar, as a maximized window gets; a form opens at its preferred
size, no larger than that.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.errors import ErrorPresenter
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.form import VisitForm
from tests.ui.factories import SUPERVISOR, Fleet, seed_fleet
from tests.ui.fake_backend import FakeBackend
from tests.ui.fake_sync import FakeSyncPort

OUT = Path(__file__).resolve().parent / "sizes"
NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
SCREENS = (QSize(1024, 600), QSize(1366, 768))
DECORATION = QSize(0, 64)
SCREENS_SHOWN = (
    ("dashboard", "Dashboard"),
    ("work", "Work"),
    ("callbacks", "Callbacks"),
    ("customers-sites", "Customers & Sites"),
    ("deficiencies", "Deficiencies"),
    ("audit", "Audit"),
    ("sync-page", "Sync"),
)


class Clock:
    def now(self) -> datetime:
        return NOW


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 20.0) -> None:
    """Process events until ``done()`` or the timeout, then let the layouts settle."""
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    settle = time.monotonic() + 0.3
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.01)
    if not done():
        raise SystemExit("timed out waiting for the screen to load")


def save(widget: QWidget, name: str, screen: QSize) -> None:
    path = OUT / f"{name}-{screen.width()}x{screen.height()}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def shoot(app: QApplication, window: MainWindow, fleet: Fleet, screen: QSize) -> None:
    room = screen - DECORATION
    window.resize(room)
    for name, view in SCREENS_SHOWN:
        window.go(view)
        shown = window.views[view]
        if isinstance(shown, DashboardView):
            wait(app, lambda d=shown: d.board is not None)  # type: ignore[misc]
        elif isinstance(shown, WorkView):  # the seeded visits are all locked: show them
            shown.scope.setCurrentText("All open and recent visits")
            wait(app, lambda w=shown: w.proxy.rowCount() > 0)  # type: ignore[misc]
        else:
            wait(app, lambda: True)
        save(window, name, screen)
    window.open_unit(fleet.units["Harbour View/L1"])
    page = window.fleet.page
    wait(app, lambda: page.detail is not None)
    save(window, "unit-page", screen)
    form = window.forms.record_visit(fleet.units["Harbour View/L1"])
    assert isinstance(form, VisitForm)
    form.resize(form.size().boundedTo(room))  # the size it opens at, within the screen
    wait(app, lambda: len(form.checklist.rows) > 5)
    save(form, "visit-form", screen)
    form.reject()


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    OUT.mkdir(exist_ok=True)
    fleet = asyncio.run(seed_fleet())
    with tempfile.TemporaryDirectory() as folder:
        runtime = CoreRuntime()
        runtime.start()
        clock = Clock()
        session = Session(
            runtime,
            FakeBackend(fleet, clock=clock),
            clock=clock,
            errors=ErrorPresenter(log_file=Path(folder) / "log.txt"),
            data_dir=Path(folder),
            actor=SUPERVISOR,
        )
        bridge = SyncBridge(session, FakeSyncPort())
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(session, settings, sync=bridge)
        window.show()
        bridge.start()
        wait(app, lambda: bridge.state.status is not None)
        for screen in SCREENS:
            shoot(app, window, fleet, screen)
        window.close()
        bridge.stop()
        runtime.stop()


if __name__ == "__main__":
    main()
