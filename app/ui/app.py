"""The GUI entry point the CLI calls: ``run_gui(open_backend, data_dir=...) -> exit code``."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox

from app.domain.entities import User
from app.ids import SystemClock
from app.services.context import Actor
from app.services.ports import Clock
from app.services.queries import profiles
from app.ui.backend import Backend, BackendOpener
from app.ui.errors import ErrorPresenter, configure_logging
from app.ui.integrity import IntegrityStatus
from app.ui.main_window import MainWindow
from app.ui.runtime import CoreRuntime, Progress
from app.ui.session import Session
from app.ui.store_menu import NewStoreDialog, StoreMenu, create_store
from app.ui.stores import RecentStores, SignedInCheck, StoreFiles, StoreOpener
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import SignedIn, SyncOpener, SyncPort, SyncStatusInfo
from app.ui.sync.sign_in import signed_in_message
from app.ui.views.dialogs.pin import PinGate
from app.ui.views.dialogs.profile import ProfileDialog

log = logging.getLogger(__name__)

QUIT_AFTER_FIRST_PAINT = "SITESYNC_QUIT_AFTER_FIRST_PAINT"
"""Set, the app prints "painted" and leaves once its main window has painted (start-up timing)."""

APP_ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "sitesync.png"


class Startup(QObject):
    """Opens the backend on the worker, signs a profile in, then shows the main window.

    ``open_backend`` is an opener, or the path of a store to open through ``stores`` (which
    asks for its offline-unlock password, again if it is wrong; ``signed_in`` checks the password
    of a store's signed-in user). With ``stores``, the File menu opens and creates other stores:
    the window is handed over to each store opened.
    """

    def __init__(
        self,
        app: QApplication,
        open_backend: BackendOpener | Path,
        *,
        data_dir: Path,
        settings: QSettings,
        clock: Clock,
        quit_app: Callable[[], None] | None = None,
        open_sync: SyncOpener | None = None,
        stores: StoreFiles | None = None,
        signed_in: SignedInCheck | None = None,
    ) -> None:
        super().__init__()
        self.open_sync = open_sync
        self.sync: SyncBridge | None = None
        self.quit = quit_app or app.quit
        self.app, self.settings, self.clock, self.data_dir = app, settings, clock, data_dir
        self.errors = ErrorPresenter(log_file=data_dir / "logs" / "sitesync.log")
        # not a child: the runtime and its operations must outlive this object's deletion,
        # which may come from a slot of one of those operations
        self.runtime = CoreRuntime()
        self.runtime.start()
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self.integrity: IntegrityStatus | None = None
        self.closing = False
        self.exit_code = 0
        self.splash = QLabel("Opening SiteSync…")
        self.splash.setMinimumSize(320, 80)
        self.splash.setWindowTitle("SiteSync")
        self.splash.show()
        self.recent = RecentStores(settings)
        self.store_path: Path | None = None
        self.store_menu: StoreMenu | None = None
        self.gate: PinGate | None = None
        self.welcome: SignedIn | None = None
        """A sign-in that started the store being opened (said once its window shows)."""
        self.message: QMessageBox | None = None
        self.opener = (
            StoreOpener(self.runtime, stores, self.errors, self, signed_in=signed_in)
            if stores
            else None
        )
        if self.opener is not None:
            self.opener.opened.connect(self._store_opened)
            self.opener.cancelled.connect(self._gave_up)
            self.opener.failed.connect(self._gave_up)
        self.new_store: NewStoreDialog | None = None
        """Asks for the organization's name when the app starts on a file that does not exist."""
        if isinstance(open_backend, Path):
            if self.opener is None:
                raise ValueError("opening a store by its path needs the store files")
            if not open_backend.exists():
                self._offer_new_store(open_backend)
                return
            self.opener.open(open_backend)
            return

        async def open_job(_progress: Progress) -> Backend:
            return await open_backend()

        operation = self.runtime.submit(open_job, label="open the store")
        operation.finished.connect(self._opened)
        operation.failed.connect(lambda error: self._fatal(error, "open the store"))

    def _offer_new_store(self, path: Path) -> None:
        """Started on a file that does not exist: create the company's store there."""
        self.splash.hide()
        dialog = NewStoreDialog(None, intro=f"There is no store at {path} yet. Create one there?")
        dialog.file.setText(str(path))
        dialog.organization.setFocus()
        opener = self.opener
        assert opener is not None
        dialog.accepted.connect(lambda: create_store(opener, dialog))
        dialog.rejected.connect(self._gave_up)
        self.new_store = dialog
        dialog.open()

    def _gave_up(self, *_error: object) -> None:
        """No store was opened (password not given, or the store failed to open)."""
        if self.window is None:  # nothing to go back to: leave (the message was shown)
            self.splash.hide()
            self.exit_code = 1
            box = self.errors.open_box
            if _error and isinstance(box, QDialog) and box.isVisible():
                box.finished.connect(self.quit)
            else:
                QTimer.singleShot(0, self.quit)

    def _store_opened(self, backend: Backend, path: Path) -> None:
        """A store opened (at start, or from the File menu): the window moves to it."""
        self.recent.add(path)
        self.store_path = path
        old_session, old_window = self.session, self.window
        if old_window is not None:
            old_window.close()
            old_window.deleteLater()
            self.window = None
        if self.sync is not None:  # the old store's sync stops before that store closes
            self.sync.stop()
            self.sync = None
        if old_session is not None:
            old = old_session.backend

            async def close(_progress: Progress) -> None:
                await old.aclose()

            self.runtime.submit(close, label="close the store")
        self._opened(backend)

    def _fatal(self, error: BaseException, action: str) -> None:
        self.splash.hide()
        self.errors.present(error, action=action, parent=None)
        self.exit_code = 1
        box = self.errors.open_box
        if isinstance(box, QDialog) and box.isVisible():  # quit once the message was read
            box.finished.connect(self.quit)
        else:
            QTimer.singleShot(0, self.quit)

    def _opened(self, backend: Backend) -> None:
        self.session = Session(
            self.runtime, backend, clock=self.clock, errors=self.errors, data_dir=self.data_dir
        )
        if self.open_sync is None:
            self._load_profiles()
            return
        open_sync = self.open_sync

        async def sync_job(_progress: Progress) -> SyncPort | None:
            return await open_sync(backend)

        operation = self.runtime.submit(sync_job, label="set up sync")
        operation.finished.connect(self._sync_opened)
        operation.failed.connect(self._sync_failed)

    def _sync_opened(self, port: SyncPort | None) -> None:
        assert self.session is not None
        if port is not None:
            self.session.demo = port.demo
            self.sync = SyncBridge(self.session, port, self)
            self.sync.store_started.connect(self._signed_in_to_new_store)
        self._load_profiles()

    def _signed_in_to_new_store(self, result: SignedIn) -> None:
        """A sign-in started a new store for the organization: the window moves to it."""
        if result.opened is None or result.new_store is None:
            return
        self.welcome = result
        self._store_opened(cast(Backend, result.opened), result.new_store)

    def _sync_failed(self, error: BaseException) -> None:
        """Sync could not be set up: say so, and work on without it (nothing is lost)."""
        self.errors.present(error, action="set up sync", parent=None)
        self._load_profiles()

    def _load_profiles(self) -> None:
        assert self.session is not None
        self.session.read(
            profiles,
            self._profiles_read,
            label="load the profiles",
            on_error=lambda e: self._fatal(e, "load the profiles"),
        )

    def _profiles_read(self, users: list[User]) -> None:
        """A store signed in to a server works as its signed-in user; others ask for a profile."""
        if self.sync is None:
            self._choose_profile(users)
            return

        def status_read(status: SyncStatusInfo) -> None:
            email = (status.email or "").casefold() if status.joined else ""
            member = [u for u in users if email and u.email.casefold() == email]
            self._choose_profile(member or users, signed_in=bool(member))

        self.sync.refresh(status_read)

    def _choose_profile(self, users: list[User], *, signed_in: bool = False) -> None:
        assert self.session is not None
        self.splash.hide()
        remembered = str(self.settings.value("profile/user_id", ""))
        known = {str(u.id): u for u in users}
        if signed_in:  # the account's own profile, and no other (its PIN, if it has one)
            self.gate = PinGate(self.session, users[0], None)
            self.gate.passed.connect(self._signed_in)
            self.gate.cancelled.connect(self.quit)
            self.gate.choose_if_missing = False
            self.gate.start()
            return
        if remembered in known or len(users) == 1:
            # a supervisor's or administrator's profile asks for its PIN, if it has one
            self.gate = PinGate(self.session, known.get(remembered) or users[0], None)
            self.gate.passed.connect(self._signed_in)
            self.gate.cancelled.connect(self._profile_dialog)
            self.gate.start()
            return
        self._profile_dialog()

    def _signed_in(self, actor: Actor) -> None:
        assert self.session is not None
        self.session.switch_profile(actor)
        self._show_window()

    def _profile_dialog(self) -> None:
        assert self.session is not None
        server = self.sync.server if self.sync is not None else None
        dialog = ProfileDialog(self.session, server=server)
        dialog.chosen.connect(lambda _actor: self._show_window())
        dialog.rejected.connect(self.quit)
        dialog.open()

    def _show_window(self) -> None:
        assert self.session is not None
        self.window = MainWindow(self.session, self.settings, sync=self.sync)
        if self.opener is not None:
            self.opener.window = self.window
            self.store_menu = StoreMenu(
                self.window, self.session, self.opener, self.recent, current=self.store_path
            )
        self.window.show()
        if self.welcome is not None:
            self.message = signed_in_message(self.welcome, self.window)
            self.welcome = None
        if self.sync is not None:
            self.sync.start()
        self._check_integrity(self.session.backend, self.window)

    def _check_integrity(self, backend: Backend, window: MainWindow) -> None:
        """Start the store's full integrity check now the window is up; show how it ends."""
        bar = window.statusBar()
        self.integrity = IntegrityStatus(bar)  # owned by the window from the start
        bar.addPermanentWidget(self.integrity)

        async def check(_progress: Progress) -> float:
            return await backend.check_integrity()

        operation = self.runtime.submit(check, label="check the store")
        operation.finished.connect(self.integrity.passed)
        operation.failed.connect(self._damaged)

    def _damaged(self, error: BaseException) -> None:
        if self.closing:
            return  # the store closed before its check ended: nothing was found
        report = self.errors.present(error, action="check the store", parent=self.window)
        if self.integrity is not None:
            self.integrity.failed(report.message)

    def shutdown(self) -> None:
        """Close the store on the worker and stop it (at quit)."""
        self.closing = True
        if self.sync is not None:
            self.sync.stop()  # before the store closes: a run cut off loses nothing
        if self.session is not None:
            backend = self.session.backend

            async def close(_progress: Progress) -> None:
                await backend.aclose()

            try:
                self.runtime.run_sync(close, timeout=10)
            except Exception:
                log.exception("closing the store failed")
        self.runtime.stop()


def start_gui(
    app: QApplication,
    open_backend: BackendOpener | Path,
    *,
    data_dir: Path,
    clock: Clock | None = None,
    settings_path: Path | None = None,
    quit_app: Callable[[], None] | None = None,
    open_sync: SyncOpener | None = None,
    stores: StoreFiles | None = None,
    signed_in: SignedInCheck | None = None,
) -> Startup:
    """Set up logging and settings and start opening the backend; the event loop shows the rest."""
    app.setOrganizationName("SiteSync")
    app.setApplicationName("SiteSync")
    app.setDesktopFileName("sitesync")  # the Linux .desktop file (packaging/linux)
    app.setWindowIcon(QIcon(str(APP_ICON)))
    configure_logging(data_dir / "logs" / "sitesync.log")
    settings = (
        QSettings(str(settings_path), QSettings.Format.IniFormat) if settings_path else QSettings()
    )
    startup = Startup(
        app,
        open_backend,
        data_dir=data_dir,
        settings=settings,
        clock=clock or SystemClock(),
        quit_app=quit_app,
        open_sync=open_sync,
        stores=stores,
        signed_in=signed_in,
    )
    app.aboutToQuit.connect(startup.shutdown)
    return startup


def _quit_after_first_paint(startup: Startup) -> None:
    """For start-up benchmarks (bench/ui_startup.py): leave at once after the first paint."""

    def poll() -> None:
        window = startup.window
        if window is not None and window.isVisible():
            window.grab()  # paints it (offscreen too)
            print("painted", flush=True)
            os._exit(0)
        QTimer.singleShot(2, poll)

    QTimer.singleShot(0, poll)


def run_gui(
    open_backend: BackendOpener | Path,
    *,
    data_dir: Path,
    argv: Sequence[str] | None = None,
    clock: Clock | None = None,
    settings_path: Path | None = None,
    open_sync: SyncOpener | None = None,
    stores: StoreFiles | None = None,
    signed_in: SignedInCheck | None = None,
) -> int:
    """Run the desktop application until its window closes; returns the process exit code.

    ``open_backend`` is awaited on the core worker's loop (never on the Qt thread), or is the
    path of a store ``stores`` opens. ``open_sync`` is awaited on that loop too, with each
    opened backend: the store's sync, whose scheduler runs on that loop.
    """
    existing = QApplication.instance()
    app = (
        existing if isinstance(existing, QApplication) else QApplication(list(argv or sys.argv[:1]))
    )
    startup = start_gui(
        app,
        open_backend,
        data_dir=data_dir,
        clock=clock,
        settings_path=settings_path,
        open_sync=open_sync,
        stores=stores,
        signed_in=signed_in,
    )
    if os.environ.get(QUIT_AFTER_FIRST_PAINT):
        _quit_after_first_paint(startup)
    code = app.exec()
    return startup.exit_code or code
