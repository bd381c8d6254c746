"""Base of the form dialogs: inline errors, nothing saved until valid, busy while saving."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import SiteSyncError, ValidationError
from app.services.context import ServiceContext
from app.ui.session import Session
from app.ui.widgets.forms import FormErrors
from app.ui.widgets.reflow import fit_on_screen


class FormDialog(QDialog):
    """A dialog whose Save runs one use case; errors appear next to their fields."""

    saved = Signal(object)

    def __init__(self, session: Session, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(title)
        self.errors = FormErrors()
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.errors.banner)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.result_value: object = None
        self._label = "save"
        self.scroll_area: QScrollArea | None = None
        """The scroll area of a long form: Save with errors scrolls to the first one."""

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():  # opened, not restored: on a small screen, Save stays in view
            fit_on_screen(self)
        super().showEvent(event)

    def finish_layout(self) -> None:
        """Put the buttons last (call at the end of the subclass's ``__init__``)."""
        self.body.addWidget(self.buttons)

    def save(self) -> None:
        """Validate and save; subclasses implement :meth:`submit`."""
        self.errors.clear()
        try:
            self.submit()
        except ValidationError as error:
            self.errors.show_error(error)
        self.errors.summarize(self.scroll_area)

    def done_text(self, result: object) -> str:
        """What the status bar says once saved (empty: nothing)."""
        return ""

    def submit(self) -> None:
        raise NotImplementedError

    def run[T](self, action: Callable[[ServiceContext], Awaitable[T]], *, label: str) -> None:
        """Run ``action`` as the signed-in profile; close on success, show errors inline."""
        self.save_button.setEnabled(False)
        self._label = label
        self.session.act(action, self._saved, label=label, parent=self, on_error=self._failed)

    def _saved(self, result: object) -> None:
        self.save_button.setEnabled(True)
        self.result_value = result
        self.saved.emit(result)
        self.on_saved(result)
        self._announce(self.done_text(result))
        self.accept()

    def _announce(self, text: str) -> None:
        parent = self.parentWidget()
        window = parent.window() if parent is not None else None
        if text and isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 15000)

    def on_saved(self, result: object) -> None:
        """Hook after a successful save (e.g. drop the draft)."""

    def on_failed(self, error: BaseException) -> None:
        """Hook after a failed save (the form stays open)."""

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.on_failed(error)
        if isinstance(error, SiteSyncError) and not _unexpected(error):
            self.errors.show_error(error)
        else:
            self.session.errors.present(error, action=self._label, parent=self)


def _unexpected(error: SiteSyncError) -> bool:
    return error.code.startswith("STORE")
