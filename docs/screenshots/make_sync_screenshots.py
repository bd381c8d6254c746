"""Render the Sync page and the sign-in dialog offscreen to PNGs in docs/screenshots/.

Run from the repository root:
    QT_QPA_PLATFORM=offscreen uv run python docs/screenshots/make_sync_screenshots.py

The window runs over the UI tests' seeded fleet with the tests' hand-written sync port
(tests/ui/fake_sync.py) holding a prepared sync state: a few runs, one refused change and one
conflict between two technicians. The widgets are the app's own, at 1366x768.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.errors import ErrorPresenter
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import SyncRun
from tests.ui.factories import SUPERVISOR, seed_fleet
from tests.ui.fake_backend import FakeBackend
from tests.ui.fake_sync import Attention, Conflict, FakeSyncPort, Status

OUT = Path(__file__).resolve().parent
NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 20.0) -> None:
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


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    fleet = asyncio.run(seed_fleet())
    unit, other = fleet.units["Harbour View/L1"], fleet.units["Cotham Tower/L2"]
    runs = [
        SyncRun(
            NOW - timedelta(hours=3, minutes=m),
            NOW - timedelta(hours=3, minutes=m - 1),
            o,
            s,
            r,
            c,
            j,
            pr,
        )
        for m, o, s, r, c, j, pr in [
            (50, "failed", 0, 0, 0, 0, "The server could not be reached."),
            (20, "ok", 12, 40, 0, 0, None),
            (5, "ok", 3, 7, 1, 1, None),
        ]
    ]
    port = FakeSyncPort(
        status_now=Status(
            joined=True,
            server_url="https://sync.acme-lifts.example",
            email="sam@example.com",
            pending=0,
            last_success_at=NOW - timedelta(minutes=4),
            needs_attention=(
                Attention(
                    "e1",
                    "rejected",
                    "The unit is decommissioned: its status can no longer change.",
                    "elevator",
                    str(other),
                    "elevator.status_changed",
                ),
            ),
            open_conflicts=(
                Conflict(
                    "c1", "elevator", str(unit), "status", '"maintenance"', '"out_of_service"'
                ),
                Conflict(
                    "c2", "elevator", str(unit), "model", '"MonoSpace 500"', '"MonoSpace 700"'
                ),
            ),
        ),
        runs=runs,
    )
    with tempfile.TemporaryDirectory() as folder:
        runtime = CoreRuntime()
        runtime.start()
        clock = Clock()
        errors = ErrorPresenter(log_file=Path(folder) / "log.txt")
        session = Session(
            runtime,
            FakeBackend(fleet, clock=clock),
            clock=clock,
            errors=errors,
            data_dir=Path(folder),
            actor=SUPERVISOR,
        )
        bridge = SyncBridge(session, port)
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(session, settings, sync=bridge)
        window.resize(1366, 768)
        window.show()
        bridge.start()
        wait(app, lambda: bridge.state.status is not None)
        bridge.changed_offline.emit((("elevator", str(unit)), ("elevator", str(other))))
        assert window.sync is not None
        banner = window.sync.banner
        wait(app, lambda: banner.isVisible())
        window.go("Sync")
        page = window.views["Sync"]
        wait(app, lambda: len(page.cards) == 2 and page.runs.rowCount() == 3)  # type: ignore[attr-defined]
        save(window, "sync-page.png")

        port.status_now = replace(port.status_now, joined=False, pending=3)
        bridge.refresh()
        wait(app, lambda: bridge.state.status is not None and not bridge.state.status.joined)
        dialog = window.sync.sign_in()
        dialog.server.setText("https://sync.acme-lifts.example")
        dialog.email.setText("sam@example.com")
        dialog.password.setText("not it")
        dialog.ok.click()
        wait(app, lambda: bool(dialog.errors.messages()))
        save(dialog, "sign-in.png")
        dialog.close()
        window.close()
        bridge.stop()
        runtime.stop()


if __name__ == "__main__":
    main()
