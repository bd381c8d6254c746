"""Puts sync into the main window: the indicator, the banner and the File menu entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from app.ui.sync.bridge import SyncBridge
from app.ui.sync.indicator import SyncIndicator
from app.ui.sync.offline_banner import OfflineChangesBanner
from app.ui.sync.page import SyncView
from app.ui.sync.port import SignedIn
from app.ui.sync.sign_in import SignInDialog, sign_out, signed_in_message

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class SyncChrome:
    """What the window shows of sync besides its page; owned by the window."""

    def __init__(self, window: MainWindow, bridge: SyncBridge, page: SyncView) -> None:
        self.window, self.bridge, self.page = window, bridge, page
        self.indicator = SyncIndicator(bridge, window)
        self.indicator.clicked.connect(lambda: window.go("Sync"))
        window.statusBar().addPermanentWidget(self.indicator)
        self.banner = OfflineChangesBanner(window.session, bridge, window)
        self.banner.unit_requested.connect(window.open_unit)
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        page.sign_in.clicked.connect(lambda: self.sign_in())
        self.sign_in_action = QAction("Sign &in to server…", window)
        self.sign_in_action.setObjectName("signIn")
        self.sign_in_action.triggered.connect(lambda _checked=False: self.sign_in())
        self.someone_else_action = QAction("Sign in as someone &else…", window)
        self.someone_else_action.setObjectName("signInAsSomeoneElse")
        self.someone_else_action.triggered.connect(
            lambda _checked=False: self.sign_in(someone_else=True)
        )
        self.sign_out_action = QAction("Sign &out of server", window)
        self.sign_out_action.setObjectName("signOut")
        self.sign_out_action.triggered.connect(lambda _checked=False: self.sign_out())
        self.sync_action = QAction("S&ync now", window)
        self.sync_action.setObjectName("syncNowAction")
        self.sync_action.setShortcut("F9")
        self.sync_action.triggered.connect(lambda _checked=False: bridge.sync_now())
        window.addAction(self.sync_action)
        bridge.state_changed.connect(self._state_changed)
        # the bridge can outlive the window (a sign-in hands the app over to another store)
        window.destroyed.connect(self._window_gone)
        self._enable()

    def _window_gone(self) -> None:
        if shiboken6.isValid(self.bridge):  # the bridge may have gone first
            self.bridge.state_changed.disconnect(self._state_changed)

    def _state_changed(self, _state: object) -> None:
        self._enable()

    def add_to(self, menu: QMenu, before: QAction) -> None:
        """Put the sync entries into the File menu, before ``before``."""
        actions = (
            self.sign_in_action,
            self.someone_else_action,
            self.sign_out_action,
            self.sync_action,
        )
        for action in actions:
            menu.insertAction(before, action)
        menu.insertSeparator(before)

    def _enable(self) -> None:
        status = self.bridge.state.status
        joined = status is not None and status.joined
        self.sign_out_action.setEnabled(joined)
        self.sync_action.setEnabled(joined)
        self.someone_else_action.setEnabled(joined)

    def sign_in(self, *, someone_else: bool = False) -> SignInDialog:
        dialog = SignInDialog(self.bridge, self.window, someone_else=someone_else)
        dialog.signed_in.connect(self._signed_in)
        dialog.setModal(True)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _signed_in(self, result: SignedIn) -> None:
        if result.opened is None:  # else the window moves to the new store and says so there
            self.message = signed_in_message(result, self.window)

    def sign_out(self) -> None:
        sign_out(self.bridge, self._parent())

    def _parent(self) -> QWidget:
        return self.window
