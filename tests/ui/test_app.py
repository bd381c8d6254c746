"""The CLI's entry point: opens the backend off the Qt thread, signs in, shows the window.

``run_gui`` is ``start_gui`` plus ``app.exec()``; the tests drive ``start_gui`` with qtbot, since
a finished ``app.exec()`` would end every later event loop of the test session.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.domain.errors import StoreCorruptedError
from app.ui.app import start_gui
from app.ui.backend import Backend
from tests.ui.factories import TECHNICIAN, Fleet
from tests.ui.fake_backend import FakeBackend


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def test_start_gui_opens_the_remembered_profile_and_closes_the_store(
    qtbot: QtBot, fleet: Fleet, tmp_path: Path
) -> None:
    ini = tmp_path / "settings.ini"
    QSettings(str(ini), QSettings.Format.IniFormat).setValue(
        "profile/user_id", str(TECHNICIAN.user_id)
    )
    backend = FakeBackend(fleet)

    async def open_backend() -> Backend:
        return backend

    quits: list[bool] = []
    startup = start_gui(
        _app(),
        open_backend,
        data_dir=tmp_path,
        settings_path=ini,
        quit_app=lambda: quits.append(True),
    )
    assert startup.splash.isVisible()  # shown while the store opens on the worker
    qtbot.waitUntil(lambda: startup.window is not None, timeout=5000)
    assert startup.window is not None
    assert startup.window.profile_label.text() == "Signed in: Tia Tech (Technician)"
    assert not startup.splash.isVisible()
    startup.window.close()
    startup.shutdown()
    assert backend.closed
    assert not startup.runtime.running
    assert (tmp_path / "logs" / "sitesync.log").exists()
    assert quits == []


def test_a_store_that_cannot_open_gives_a_clear_message_and_exit_code_1(
    qtbot: QtBot, tmp_path: Path
) -> None:
    async def open_backend() -> Backend:
        raise StoreCorruptedError(
            "The database file is damaged.", hint="Restore it from the backup."
        )

    quits: list[bool] = []
    startup = start_gui(
        _app(),
        open_backend,
        data_dir=tmp_path,
        settings_path=tmp_path / "s.ini",
        quit_app=lambda: quits.append(True),
    )
    qtbot.waitUntil(lambda: isinstance(startup.errors.open_box, QMessageBox), timeout=5000)
    box = startup.errors.open_box
    assert isinstance(box, QMessageBox)
    assert box.text() == "The database file is damaged."
    assert box.informativeText() == "Restore it from the backup."
    assert "Traceback" in box.detailedText()
    assert startup.exit_code == 1
    assert quits == []  # the app stays until the message is read
    box.done(0)
    qtbot.waitUntil(lambda: quits == [True], timeout=2000)
    startup.shutdown()


def test_start_gui_starts_sync_with_the_window_and_stops_it_before_the_store_closes(
    qtbot: QtBot, fleet: Fleet, tmp_path: Path
) -> None:
    from tests.ui.fake_sync import FakeSyncPort

    ini = tmp_path / "settings.ini"
    QSettings(str(ini), QSettings.Format.IniFormat).setValue(
        "profile/user_id", str(TECHNICIAN.user_id)
    )
    backend = FakeBackend(fleet)
    port = FakeSyncPort()
    order: list[str] = []

    async def open_backend() -> Backend:
        return backend

    async def open_sync(opened: object) -> FakeSyncPort:
        assert opened is backend  # given the opened store, on the worker
        return port

    original_stop, original_close = port.stop, backend.aclose

    async def stop() -> None:
        order.append("sync stopped")
        await original_stop()

    async def aclose() -> None:
        order.append("store closed")
        await original_close()

    port.stop = stop  # type: ignore[method-assign]
    backend.aclose = aclose  # type: ignore[method-assign]
    startup = start_gui(
        _app(), open_backend, data_dir=tmp_path, settings_path=ini, open_sync=open_sync
    )
    qtbot.waitUntil(lambda: startup.window is not None, timeout=5000)
    window = startup.window
    assert window is not None
    chrome = window.sync
    assert chrome is not None
    assert "Sync" in window.views
    qtbot.waitUntil(lambda: port.started, timeout=5000)
    qtbot.waitUntil(lambda: "Not signed in" in chrome.indicator.text(), timeout=5000)
    window.close()
    startup.shutdown()
    assert order == ["sync stopped", "store closed"]
