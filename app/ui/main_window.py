"""The main window: navigation, the screens, menus and shortcuts, the status bar."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QByteArray, QSettings, QSize
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.context import Actor
from app.ui.actions import Actions
from app.ui.format import label
from app.ui.help import HelpWindows
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.chrome import SyncChrome
from app.ui.sync.page import SyncView
from app.ui.views.dialogs.profile import ProfileDialog
from app.ui.views.records.customers import CustomersView
from app.ui.views.records.deficiencies import DeficienciesView
from app.ui.views.screens.audit import AuditView
from app.ui.views.screens.base import View
from app.ui.views.screens.callbacks import CallbacksView
from app.ui.views.screens.compliance import ComplianceView
from app.ui.views.screens.dashboard import DashboardView
from app.ui.views.screens.settings import SettingsView
from app.ui.views.screens.sites_and_units import FleetView
from app.ui.views.screens.work import WorkView
from app.ui.views.visit.draft_banner import DraftBanner
from app.ui.widgets.reflow import fit_on_screen

SUPERVISOR_ONLY = frozenset({"Dashboard", "Compliance"})


class MainWindow(QMainWindow):
    """Thin shell: builds the screens, routes navigation, keeps the status bar current."""

    def __init__(
        self,
        session: Session,
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        sync: SyncBridge | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.settings = session, settings
        self.setWindowTitle("SiteSync")
        self.setObjectName("mainWindow")
        self.setMinimumSize(800, 480)  # a 1024x600 netbook screen, less its title bar
        self.forms = Actions(session, self)
        self.fleet = FleetView(session, self.forms)
        self.views: dict[str, View] = {
            "Dashboard": DashboardView(session),
            "Sites & Units": self.fleet,
            "Work": WorkView(session, self.forms),
            "Callbacks": CallbacksView(session, self.forms),
            "Deficiencies": DeficienciesView(session, self.forms.records),
            "Customers & Sites": CustomersView(session, self.forms.records),
            "Compliance": ComplianceView(session),
            "Audit": AuditView(session, self.forms),
            "Settings": SettingsView(session),
        }
        sync_page = SyncView(session, sync) if sync is not None else None
        if sync_page is not None:
            self.views["Sync"] = sync_page
            audit = self.views["Audit"]
            assert isinstance(audit, AuditView)
            audit.sync = sync
        if sync is not None:
            self.forms.exports.sync = sync.port
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(160)
        self.nav.setStyleSheet("QListWidget::item { padding: 8px 6px; }")
        self.stack = QStackedWidget()
        for name, view in self.views.items():
            self.nav.addItem(name)
            self.stack.addWidget(view)
            view.unit_requested.connect(self.open_unit)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.drafts = DraftBanner(session, self.forms)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.drafts)
        self.sync = SyncChrome(self, sync, sync_page) if sync and sync_page else None
        if self.sync is not None:
            column.addWidget(self.sync.banner)
        row = QHBoxLayout()
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        column.addLayout(row, 1)
        self.setCentralWidget(central)
        self._status_bar()
        self._menus()
        session.profile_changed.connect(self.apply_profile)
        session.runtime.busy_changed.connect(self._busy)
        self.restore_geometry()
        self.apply_profile(session.actor)

    # -- chrome ------------------------------------------------------------------------------

    def _status_bar(self) -> None:
        self.profile_label = QLabel()
        self.profile_label.setObjectName("profileLabel")
        self.store_label = QLabel(self.session.backend.store_label)
        self.store_label.setObjectName("storeLabel")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        bar = self.statusBar()
        bar.addWidget(self.profile_label)
        bar.addWidget(self.store_label, 1)
        bar.addPermanentWidget(self.busy)

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: object,
        name: str,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot() if callable(slot) else None)
        self.addAction(action)
        return action

    def _menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        file.addAction(
            self._action("Switch &profile…", "Ctrl+Shift+P", self.switch_profile, "switchProfile")
        )
        file.addAction(
            self._action("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh, "refresh")
        )
        file.addSeparator()
        quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close, "quit")
        file.addAction(quit_action)
        if self.sync is not None:
            self.sync.add_to(file, quit_action)
        go = menus.addMenu("&Go")
        self.go_actions: dict[str, QAction] = {}
        for index, name in enumerate(self.views, start=1):
            action = self._action(
                name.replace("&", "&&"), f"Ctrl+{index}", lambda n=name: self.go(n), f"go{index}"
            )
            go.addAction(action)
            self.go_actions[name] = action
        record = menus.addMenu("&Record")
        record.addAction(
            self._action("&Find unit…", QKeySequence.StandardKey.Find, self.find_unit, "findUnit")
        )
        record.addAction(
            self._action("Record &visit…", "Ctrl+N", self.forms.record_visit, "recordVisit")
        )
        record.addAction(
            self._action("Log &callback…", "Ctrl+L", self.forms.log_callback, "logCallback")
        )
        help_menu = menus.addMenu("&Help")
        self.help = HelpWindows(self.session, self)
        guide = self.help.show_user_guide
        keys = self.help.show_shortcuts
        help_menu.addAction(
            self._action("&User guide", QKeySequence.StandardKey.HelpContents, guide, "userGuide")
        )
        help_menu.addAction(self._action("&Keyboard shortcuts", "Ctrl+/", keys, "shortcuts"))
        help_menu.addAction(self._action("&About SiteSync", "", self.about, "about"))

    # -- behaviour ---------------------------------------------------------------------------

    def go(self, name: str) -> None:
        """Show the screen ``name`` if the profile may see it."""
        row = list(self.views).index(name)
        if not self.nav.item(row).isHidden():
            self.nav.setCurrentRow(row)

    def current_view(self) -> str:
        return list(self.views)[self.stack.currentIndex()]

    def open_unit(self, elevator_id: UUID) -> None:
        self.go("Sites & Units")
        self.fleet.show_unit(elevator_id)

    def find_unit(self) -> None:
        self.go("Sites & Units")
        self.fleet.search.setFocus()
        self.fleet.search.selectAll()

    def refresh(self) -> None:
        view = self.views[self.current_view()]
        view.refresh()

    def apply_profile(self, actor: Actor | None) -> None:
        """Show the screens the profile's role may see."""
        supervisor = self.session.is_supervisor
        for row, name in enumerate(self.views):
            hidden = name in SUPERVISOR_ONLY and not supervisor
            self.nav.item(row).setHidden(hidden)
            self.go_actions[name].setEnabled(not hidden)
        who = f"{actor.name} ({label(actor.role)})" if actor else "No profile"
        self.profile_label.setText(f"Signed in: {who}")
        start = "Dashboard" if supervisor else "Sites & Units"
        if self.nav.currentRow() < 0 or self.nav.item(self.nav.currentRow()).isHidden():
            self.go(start)
        if actor is not None:
            self.settings.setValue("profile/user_id", str(actor.user_id))

    def switch_profile(self) -> ProfileDialog:
        server = self.sync.bridge.server if self.sync is not None else None
        dialog = ProfileDialog(self.session, self, server=server)
        dialog.open()
        return dialog

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About SiteSync",
            "SiteSync — offline-first elevator maintenance.\n"
            f"Data: {self.session.backend.store_label}",
        )

    def _busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy.setToolTip("Working in the background…" if busy else "")

    # -- geometry ----------------------------------------------------------------------------

    def restore_geometry(self) -> None:
        saved = self.settings.value("window/geometry")
        if isinstance(saved, QByteArray) and not saved.isEmpty():
            self.restoreGeometry(saved)
        else:
            fit_on_screen(self, QSize(1280, 720))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)
