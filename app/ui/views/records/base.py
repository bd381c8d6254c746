"""Base of the record forms: every problem listed at the top, the first invalid field focused,
and a short "what was done" line in the main window's status bar after saving."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFormLayout,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from app.domain.errors import SiteSyncError, ValidationError
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog

type Problem = tuple[str, str]
"""A field key (a command field name, "" for the form as a whole) and what is wrong with it."""

STATUS_SECONDS = 10
"""How long the "what was done" line stays in the status bar."""


class RecordDialog(FormDialog):
    """A form dialog that checks what it can before asking the service, lists every problem at
    the top and puts the cursor in the first invalid field."""

    def __init__(self, session: Session, title: str, parent: QWidget | None = None) -> None:
        super().__init__(session, title, parent)
        self.errors.banner.setObjectName("formProblems")
        self.fields: dict[str, QWidget] = {}

    def add_row(self, form: QFormLayout, text: str, field: QWidget, key: str) -> QWidget:
        """Add ``field`` with its error line; ``key`` is the command field it fills."""
        self.fields[key] = field
        self.errors.add_row(form, text, field, key)
        return field

    def problems(self) -> list[Problem]:
        """Checks of the form's own (required fields, numbers); the command checks the rest."""
        return []

    def save(self) -> None:
        self.errors.clear()
        found = self.problems()
        if found:
            self.show_problems(found)
            return
        try:
            self.submit()
        except ValidationError as error:
            self.show_problems([(error.field or "", _text(error))])

    def show_problems(self, problems: list[Problem]) -> None:
        """Show each problem by its field, list them all at the top, focus the first field."""
        for key, message in problems:
            if self._field(key) is not None:
                self.errors.set(key, message)
        lines = [message for _key, message in problems]
        heading = "Please correct this:" if len(lines) == 1 else "Please correct these:"
        self.errors.banner.setText("\n".join([heading, *(f"• {line}" for line in lines)]))
        self.errors.banner.show()
        first = next((f for key, _m in problems if (f := self._field(key)) is not None), None)
        if first is not None:
            self._reveal(first)

    def done_text(self, result: object) -> str:
        """The status-bar line saying what was saved (e.g. "Customer Acme added.")."""
        return ""

    def on_saved(self, result: object) -> None:
        text = self.done_text(result)
        window = self.parentWidget()
        while window is not None and not isinstance(window, QMainWindow):
            window = window.parentWidget()
        if text and isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, STATUS_SECONDS * 1000)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, SiteSyncError) and not error.code.startswith("STORE"):
            self.save_button.setEnabled(True)
            self.on_failed(error)
            field = error.field if isinstance(error, ValidationError) else None
            self.show_problems([(field or "", _text(error))])
        else:
            super()._failed(error)

    def _field(self, key: str) -> QWidget | None:
        parts = key.split(".") if key else []
        for end in range(len(parts), 0, -1):
            found = self.fields.get(".".join(parts[:end]))
            if found is not None:
                return found
        return None

    def _reveal(self, field: QWidget) -> None:
        parent = field.parentWidget()
        while parent is not None:
            if isinstance(parent, QScrollArea):
                parent.ensureWidgetVisible(field)
                break
            if isinstance(parent, QAbstractScrollArea):
                break
            parent = parent.parentWidget()
        field.setFocus()


def _text(error: SiteSyncError) -> str:
    return f"{error.message} {error.hint}" if error.hint else error.message
