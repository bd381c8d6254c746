"""Self-check step: open the self-check store in the real main window, offscreen, and paint it.

It goes through the same start-up as ``sitesync --db``: the store opens on the core worker, the
remembered profile (a supervisor) is asked for its PIN and signs in with it, the main window
shows the dashboard with its charts; then the window is painted into an image, which must not
be blank.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Final

from app.selfcheck.checks import Check, describe
from app.selfcheck.store import CheckedStore

WINDOW_TIMEOUT_S: Final = 60.0


def _plugins(kind: str) -> list[str]:
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / kind
    names = {
        entry.name.removeprefix("lib").removeprefix("q").split(".")[0]
        for entry in (folder.iterdir() if folder.is_dir() else [])
    }
    return sorted(names)


def window_check(store: CheckedStore, folder: Path) -> Check:
    """Start the GUI on ``store`` offscreen; pass once the dashboard's charts are painted."""
    try:
        return _render(store, folder)
    except Exception as exc:
        return Check("window", False, describe(exc))


def _render(store: CheckedStore, folder: Path) -> Check:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the check paints into an image, never a screen
    from PySide6.QtCharts import QChartView
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

    from app.bootstrap import open_workspace
    from app.ui.app import start_gui

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    ini = folder / "settings.ini"
    remembered = QSettings(str(ini), QSettings.Format.IniFormat)
    remembered.setValue("profile/user_id", str(store.supervisor_id))
    remembered.sync()
    startup = start_gui(
        app,
        lambda: open_workspace(store.path),
        data_dir=folder,
        settings_path=ini,
        quit_app=lambda: None,
    )
    loop = QEventLoop()
    outcome: list[Check] = []
    deadline = time.monotonic() + WINDOW_TIMEOUT_S

    def finish(ok: bool, detail: str) -> None:
        outcome.append(Check("window", ok, detail))
        loop.quit()

    asked: list[object] = []

    def poll() -> None:
        if startup.errors.last is not None:
            report = startup.errors.last
            return finish(False, f"{report.title}: {report.message}")
        prompt = None if startup.gate is None else startup.gate.dialog
        if isinstance(prompt, QInputDialog) and prompt.isVisible() and prompt not in asked:
            if asked:
                return finish(False, "the supervisor's PIN was refused at start-up")
            asked.append(prompt)
            prompt.setTextValue(store.supervisor_pin)
            prompt.accept()
        elif isinstance(prompt, QMessageBox) and prompt.isVisible():
            return finish(False, f"start-up stopped at a message: {prompt.text()}")
        window = startup.window
        charts = [] if window is None else window.findChildren(QChartView)
        drawn = [view for view in charts if view.chart().series()]
        if window is not None and window.isVisible() and drawn:
            image = window.grab().toImage()
            step_x, step_y = max(1, image.width() // 24), max(1, image.height() // 24)
            colours = {
                image.pixel(x, y)
                for x in range(0, image.width(), step_x)
                for y in range(0, image.height(), step_y)
            }
            if image.isNull() or len(colours) < 4:
                return finish(False, "the main window painted a blank image")
            screen = window.current_view()
            return finish(
                True,
                f"{"signed in with the supervisor's PIN; " if asked else ''}"
                f"main window painted offscreen ({image.width()}x{image.height()}, {screen} "
                f"with {len(drawn)} charts); Qt platform plugins here: "
                f"{', '.join(_plugins('platforms')) or 'none found'}",
            )
        if time.monotonic() > deadline:
            return finish(False, f"the main window did not appear within {WINDOW_TIMEOUT_S:.0f} s")
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    loop.exec()
    if startup.window is not None:
        startup.window.close()
    box = startup.errors.open_box
    if box is not None:
        box.close()
    startup.shutdown()
    return outcome[0]
