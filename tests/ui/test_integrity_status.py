"""The store's full integrity check, run once the window is up: its outcome in the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.errors import StoreCorruptedError
from app.ui.app import Startup, start_gui
from app.ui.backend import Backend
from tests.ui.factories import TECHNICIAN, Fleet
from tests.ui.fake_backend import FakeBackend


def _start(qtbot: QtBot, backend: FakeBackend, tmp_path: Path) -> Startup:
    ini = tmp_path / "settings.ini"
    QSettings(str(ini), QSettings.Format.IniFormat).setValue(
        "profile/user_id", str(TECHNICIAN.user_id)
    )

    async def open_backend() -> Backend:
        return backend

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = start_gui(
        app, open_backend, data_dir=tmp_path, settings_path=ini, quit_app=lambda: None
    )
    qtbot.waitUntil(lambda: startup.window is not None, timeout=5000)
    assert startup.window is not None
    qtbot.addWidget(startup.window)
    return startup


def _stop(startup: Startup) -> None:
    if startup.errors.open_box is not None:
        startup.errors.open_box.close()
    assert startup.window is not None
    startup.window.close()
    startup.shutdown()


def test_a_sound_store_says_checked(qtbot: QtBot, fleet: Fleet, tmp_path: Path) -> None:
    startup = _start(qtbot, FakeBackend(fleet), tmp_path)
    status = startup.integrity
    assert status is not None
    qtbot.waitUntil(lambda: status.text() == "Store checked", timeout=5000)
    assert "found no damage" in status.toolTip()
    assert startup.errors.last is None
    _stop(startup)


def test_damage_found_after_opening_is_shown_with_the_next_step(
    qtbot: QtBot, fleet: Fleet, tmp_path: Path
) -> None:
    damage = StoreCorruptedError(
        "The local database x.sqlite is damaged: PRAGMA integrity_check reported: row 3 "
        "missing from index ix_elevators_status",
        hint="Close SiteSync, then restore a backup of the store.",
    )
    startup = _start(qtbot, FakeBackend(fleet, integrity_error=damage), tmp_path)
    status = startup.integrity
    assert status is not None
    qtbot.waitUntil(lambda: startup.errors.last is not None, timeout=5000)
    report = startup.errors.last
    assert report is not None
    assert report.title == "Could not check the store"
    assert "ix_elevators_status" in report.message
    assert report.hint == "Close SiteSync, then restore a backup of the store."
    assert status.text() == "Store damaged: nothing is saved"
    assert "ix_elevators_status" in status.toolTip()
    assert startup.window is not None
    assert startup.window.isVisible()  # the records stay readable; only writing stops
    _stop(startup)
