"""Opening and creating stores from the app: the offline-unlock password (asked again when it
is wrong), the list of recent stores, and the hand-over from one store to the next.

The composition root provides :class:`StoreFiles`; the Qt thread never touches the files: every
step runs on the core worker and answers by signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from app.domain.enums import RuleSet
from app.domain.errors import WrongPasswordError
from app.ui.backend import Backend
from app.ui.errors import ErrorPresenter
from app.ui.runtime import CoreRuntime, Progress

RECENT_KEY = "stores/recent"
RECENT_LIMIT = 8
NO_KEYRING = "SECURE_STORAGE_UNAVAILABLE"
"""The error code of a computer without a secure OS keyring (``app.keystore``)."""


class StoreFiles(Protocol):
    """Opens and creates stores (``app.bootstrap.StoreFiles``); every method runs on the worker."""

    def sealed(self, path: Path) -> bool:
        """Whether the store's device key is sealed under an offline-unlock password."""
        ...

    async def open(self, path: Path, password: str | None) -> Backend:
        """Open an existing store; raise ``WrongPasswordError`` for a wrong password."""
        ...

    async def create(
        self,
        path: Path,
        organization: str,
        password: str | None,
        admin_pin: str | None = None,
        rule_set: RuleSet = RuleSet.ASME_A17_1,
    ) -> Backend:
        """Create a new, empty store with its administrator profile (and ``admin_pin``, its PIN)
        and the organization following ``rule_set``.

        Without a secure OS keyring and without ``password``, raise the error coded
        ``SECURE_STORAGE_UNAVAILABLE``: the caller then asks for an offline-unlock password.
        """
        ...


class SignedInCheck(Protocol):
    """The offline unlock of a store signed in to a server; every method runs on the worker."""

    async def signed_in_as(self, backend: Backend) -> str | None:
        """The e-mail of the user whose password unlocks this store (None: nobody to ask)."""
        ...

    async def unlock(self, backend: Backend, password: str) -> bool:
        """Whether ``password`` is that user's (checked offline, against the store)."""
        ...


def documents_folder() -> str:
    """Where file dialogs open: the user's documents folder (their home if there is none)."""
    for location in (
        QStandardPaths.StandardLocation.DocumentsLocation,
        QStandardPaths.StandardLocation.HomeLocation,
    ):
        folder = QStandardPaths.writableLocation(location)
        if folder:
            return folder
    return ""


class RecentStores:
    """The stores opened lately, newest first, kept in the app's settings."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[Path]:
        value = self.settings.value(RECENT_KEY, [])
        items: list[object] = [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
        return [Path(str(item)) for item in items if str(item)]

    def add(self, path: Path) -> None:
        """Put ``path`` first (once)."""
        kept = [p for p in self.paths() if p != path]
        self.settings.setValue(RECENT_KEY, [str(p) for p in [path, *kept][:RECENT_LIMIT]])
        self.settings.sync()

    def forget(self, path: Path) -> None:
        self.settings.setValue(RECENT_KEY, [str(p) for p in self.paths() if p != path])
        self.settings.sync()


def _password_dialog(parent: QWidget | None, text: str, *, title: str) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setObjectName("unlockDialog")
    dialog.setWindowTitle(title)
    dialog.setLabelText(text)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    return dialog


class StoreOpener(QObject):
    """Opens or creates one store at a time on the worker; asks for passwords as needed.

    ``opened`` carries the backend and its path; ``cancelled`` means the person gave up (no
    password); ``failed`` carries an error already shown to them.
    """

    opened = Signal(object, object)  # Backend, Path
    cancelled = Signal()
    failed = Signal(object)  # BaseException

    def __init__(
        self,
        runtime: CoreRuntime,
        files: StoreFiles,
        errors: ErrorPresenter,
        parent: QObject | None = None,
        *,
        signed_in: SignedInCheck | None = None,
    ) -> None:
        super().__init__(parent)
        self.runtime, self.files, self.errors = runtime, files, errors
        self.signed_in = signed_in
        self.window: QWidget | None = None
        """The window dialogs and messages belong to (None before the first one opens)."""
        self.dialog: QInputDialog | None = None

    # -- open ----------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        """Open ``path``, asking for its offline-unlock password first if it has one."""
        files, self.dialog = self.files, None

        async def sealed(_progress: Progress) -> bool:
            return files.sealed(path)

        check = self.runtime.submit(sealed, label="open the store")
        check.finished.connect(
            lambda is_sealed: self._ask(path, retry=False) if is_sealed else self._open(path, None)
        )
        check.failed.connect(lambda error: self._failed(error, "open the store"))

    def _ask(self, path: Path, *, retry: bool) -> None:
        first = "That password is wrong. Try again.\n\n" if retry else ""
        self.dialog = _password_dialog(
            self.window,
            f"{first}The device key of {path.name} is protected by your offline-unlock "
            "password.\nEnter it to open the store:",
            title="Unlock SiteSync",
        )
        self.dialog.setOkButtonText("Unlock")
        dialog = self.dialog
        dialog.accepted.connect(lambda: self._open(path, dialog.textValue()))
        dialog.rejected.connect(self.cancelled)
        dialog.open()

    def _open(self, path: Path, password: str | None) -> None:
        files = self.files

        async def job(_progress: Progress) -> Backend:
            return await files.open(path, password)

        operation = self.runtime.submit(job, label="open the store")
        operation.finished.connect(lambda backend: self._check_user(backend, path, password))
        operation.failed.connect(lambda error: self._open_failed(path, error))

    def _check_user(self, backend: Backend, path: Path, typed: str | None) -> None:
        """A store signed in to a server opens with its user's password (one prompt at most).

        The password already typed to unlock a sealed key is tried first: a store sealed with
        the user's own password asks nothing more.
        """
        check = self.signed_in
        if check is None:
            self.opened.emit(backend, path)
            return

        async def job(_progress: Progress) -> str | None:
            email = await check.signed_in_as(backend)
            if email is None or (typed is not None and await check.unlock(backend, typed)):
                return None
            return email

        operation = self.runtime.submit(job, label="open the store")
        operation.finished.connect(
            lambda email: (
                self.opened.emit(backend, path)
                if email is None
                else self._ask_user(backend, path, email, retry=False)
            )
        )
        operation.failed.connect(lambda error: self._close_after(backend, error))

    def _ask_user(self, backend: Backend, path: Path, email: str, *, retry: bool) -> None:
        first = "That password is wrong. Try again.\n\n" if retry else ""
        self.dialog = _password_dialog(
            self.window,
            f"{first}{path.name} is signed in to the server as {email}.\n"
            "Enter that account's password to open it (no network needed):",
            title="Unlock SiteSync",
        )
        self.dialog.setOkButtonText("Unlock")
        dialog = self.dialog
        dialog.accepted.connect(lambda: self._try_user(backend, path, email, dialog.textValue()))
        dialog.rejected.connect(lambda: self._close_after(backend, None))
        dialog.open()

    def _try_user(self, backend: Backend, path: Path, email: str, password: str) -> None:
        check = self.signed_in
        assert check is not None

        async def job(_progress: Progress) -> bool:
            return await check.unlock(backend, password)

        operation = self.runtime.submit(job, label="unlock the store")
        operation.finished.connect(
            lambda right: (
                self.opened.emit(backend, path)
                if right
                else self._ask_user(backend, path, email, retry=True)
            )
        )
        operation.failed.connect(lambda error: self._close_after(backend, error))

    def _close_after(self, backend: Backend, error: BaseException | None) -> None:
        """Not unlocked: close the store again, then give up (``error`` is shown first)."""

        async def close(_progress: Progress) -> None:
            await backend.aclose()

        operation = self.runtime.submit(close, label="close the store")
        if error is None:
            operation.finished.connect(lambda _none: self.cancelled.emit())
        else:
            operation.finished.connect(lambda _none: self._failed(error, "open the store"))
        operation.failed.connect(lambda close_error: self._failed(close_error, "close the store"))

    def _open_failed(self, path: Path, error: BaseException) -> None:
        if isinstance(error, WrongPasswordError):
            self._ask(path, retry=True)
            return
        self._failed(error, "open the store")

    # -- create --------------------------------------------------------------------------------

    def create(
        self,
        path: Path,
        organization: str,
        password: str | None = None,
        *,
        admin_pin: str | None = None,
        rule_set: RuleSet = RuleSet.ASME_A17_1,
    ) -> None:
        """Create a new store; without a secure keyring, ask for an offline-unlock password."""
        files, self.dialog = self.files, None

        async def job(_progress: Progress) -> Backend:
            return await files.create(path, organization, password, admin_pin, rule_set)

        operation = self.runtime.submit(job, label="create the store")
        operation.finished.connect(lambda backend: self.opened.emit(backend, path))
        operation.failed.connect(
            lambda error: self._create_failed(path, organization, admin_pin, rule_set, error)
        )

    def _create_failed(
        self,
        path: Path,
        organization: str,
        admin_pin: str | None,
        rule_set: RuleSet,
        error: BaseException,
    ) -> None:
        if getattr(error, "code", "") == NO_KEYRING:
            self.dialog = _password_dialog(
                self.window,
                "This computer has no secure keyring, so the new store's device key will be "
                "protected by an offline-unlock password (at least 10 characters).\n"
                "Choose one; you will type it each time you open this store:",
                title="Protect the new store",
            )
            dialog = self.dialog
            dialog.accepted.connect(
                lambda: self.create(
                    path, organization, dialog.textValue(), admin_pin=admin_pin, rule_set=rule_set
                )
            )
            dialog.rejected.connect(self.cancelled)
            dialog.open()
            return
        self._failed(error, "create the store")

    def _failed(self, error: BaseException, action: str) -> None:
        self.errors.present(error, action=action, parent=self.window)
        self.failed.emit(error)
