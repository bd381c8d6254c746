"""Signing in to a server from the app, and signing out without losing unsynced work."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import SiteSyncError, ValidationError
from app.domain.wording import agreeing, plural
from app.ui.actions import confirm
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import SignedIn, SyncStatusInfo
from app.ui.widgets.forms import FormErrors
from sync.client.address import check_server_url

DEMO_NOTE = (
    "This is a demo store: it is never joined to an organization, so no demo record ever "
    "reaches a real one. Signing in starts a new store for your organization; this demo "
    "store stays as it is."
)


def check_email(text: str) -> str:
    email = text.strip()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationError("Enter the e-mail address you sign in with.", field="email")
    return email


class SignInDialog(QDialog):
    """Server URL, e-mail and password; a failed sign-in stays open to try again."""

    signed_in = Signal(object)  # SignedIn

    def __init__(
        self, bridge: SyncBridge, parent: QWidget | None = None, *, someone_else: bool = False
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in as someone else" if someone_else else "Sign in to server")
        self.setMinimumWidth(460)
        self.errors = FormErrors()
        status = bridge.state.status
        self.server = QLineEdit((status.server_url or "") if status else "")
        self.server.setObjectName("serverUrl")
        self.server.setPlaceholderText("https://sync.example.com")
        self.email = QLineEdit("" if someone_else or not status else (status.email or ""))
        self.email.setObjectName("email")
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QLabel(
            someone_else_note(status)
            if someone_else and status is not None
            else DEMO_NOTE
            if bridge.state.demo
            else "Sign in with the account your administrator created for you. Your work "
            "syncs in the background from then on; SiteSync also unlocks with this password "
            "when there is no network."
        )
        self.note.setObjectName("signInNote")
        self.note.setWordWrap(True)
        self.busy = QLabel("Signing in…")
        self.busy.setObjectName("signInBusy")
        self.busy.hide()
        form = QFormLayout()
        self.errors.add_row(form, "&Server", self.server, "server_url")
        self.errors.add_row(form, "&E-mail", self.email, "email")
        self.errors.add_row(form, "&Password", self.password, "password")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Sign in")
        self.ok.setObjectName("signInButton")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.errors.banner)
        layout.addLayout(form)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        (self.password if self.server.text() and self.email.text() else self.server).setFocus()

    def submit(self) -> None:
        """Check the fields, then sign in on the worker; the dialog waits, never the window."""
        self.errors.clear()
        try:
            url = check_server_url(self.server.text())
            email = check_email(self.email.text())
            if not self.password.text():
                raise ValidationError("Enter your password.", field="password")
        except ValidationError as error:
            self.errors.show_error(error)
            return
        self._busy(True)
        self.bridge.sign_in(url, email, self.password.text(), self._done, self._failed)

    def _busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)
        self.busy.setVisible(busy)
        for field in (self.server, self.email, self.password):
            field.setReadOnly(busy)

    def _done(self, result: SignedIn) -> None:
        self._busy(False)
        self.password.clear()
        self.signed_in.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        if isinstance(error, SiteSyncError):
            self.errors.show_error(error)
            self.password.selectAll()
            self.password.setFocus()
        else:
            self.bridge.session.errors.present(error, action="sign in", parent=self)


def someone_else_note(status: SyncStatusInfo) -> str:
    """What signing in as another user on this laptop does to the signed-in user's store."""
    who = status.email or "The signed-in user"
    waiting = (
        f" Their {status.pending} record(s) not yet sent stay in it, waiting for their next "
        "sign-in; none is ever sent under your name."
        if status.pending
        else ""
    )
    return (
        f"{who} stays signed in to this store.{waiting} Signing in opens your own store for "
        "your organization (created the first time, with its data downloaded); this one "
        "opens again from File → Open recent."
    )


def signed_in_message(result: SignedIn, parent: QWidget) -> QMessageBox | None:
    """After a sign-in that started a new store: where it is and how to open it."""
    if result.new_store is None:
        return None
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "New store for your organization",
        f"Signed in as {result.email}. SiteSync started a new store for "
        f"{result.organization_name} at\n{result.new_store}\nand opened it; it syncs from now "
        f"on. Open it later with File → Open recent, or: sitesync --db {result.new_store}\n\n"
        + _left_behind(result),
        parent=parent,
    )
    box.setObjectName("newStoreBox")
    box.open()
    return box


def _left_behind(result: SignedIn) -> str:
    if result.previous_email is None:
        return "The store you signed in from stays as it was and is not synced."
    waiting = (
        f" Its {result.kept_pending} record(s) not yet sent stay there, waiting for "
        f"{result.previous_email} to sync them; none was dropped."
        if result.kept_pending
        else ""
    )
    return f"The store you signed in from stays {result.previous_email}'s.{waiting}"


def sign_out(bridge: SyncBridge, parent: QWidget) -> None:
    """Sign out; with events not yet sent, ask first and say they stay (never dropped)."""
    bridge.refresh(lambda status: _sign_out(bridge, status, parent))


def _sign_out(bridge: SyncBridge, status: SyncStatusInfo, parent: QWidget) -> QMessageBox | None:
    pending = status.pending
    who = status.email or "this user"

    def done(kept: int) -> None:
        if kept:
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Signed out",
                f"Signed out. {plural(kept, 'record')} not yet sent "
                f"{agreeing(kept, 'stays in this store and is', 'stay in this store and are')} "
                f"sent when {who} signs in again.",
                parent=parent,
            )
            box.setObjectName("signedOutBox")
            box.open()

    def go() -> None:
        bridge.sign_out(done)

    if not pending:
        go()
        return None
    return confirm(
        parent,
        "Sign out",
        f"{plural(pending, 'record')} {agreeing(pending, 'has', 'have')} not reached the "
        f"server yet. {agreeing(pending, 'It stays', 'They stay')} in this store, waiting, and "
        f"{agreeing(pending, 'is', 'are')} sent when {who} signs in again; nobody else's sign-in "
        f"sends {agreeing(pending, 'it', 'them')}.\n\n"
        "Sign out anyway?",
        go,
    )
