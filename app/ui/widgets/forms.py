"""Inline validation: an error line under each field and a banner for the form as a whole."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import SiteSyncError, ValidationError
from app.ui.format import ERROR_COLOR


def find_data(combo: QComboBox, value: object) -> int:
    """The index of the item whose data equals ``value``, or -1.

    ``QComboBox.findData`` compares Python objects (UUIDs, tuples) by identity, not by value.
    """
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def text_box(text: str = "") -> QPlainTextEdit:
    """A multi-line field in which Tab moves to the next field, as in the rest of the form
    (a tab character is never what a form wants, and a field that swallows Tab traps the
    keyboard)."""
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    return box


def error_label(name: str) -> QLabel:
    """A red, word-wrapped, initially hidden message line."""
    line = QLabel()
    line.setObjectName(name)
    line.setWordWrap(True)
    line.setStyleSheet(f"color: {ERROR_COLOR};")
    line.hide()
    return line


class FormErrors:
    """The error lines of one form, keyed by command field name (``reading``, ``departed_at``)."""

    def __init__(self, banner: QLabel | None = None) -> None:
        self.banner = banner or error_label("formError")
        self._lines: dict[str, QLabel] = {}
        self._names: dict[str, str] = {}

    def add_row(self, form: QFormLayout, text: str, field: QWidget, key: str) -> QLabel:
        """Add ``field`` to ``form`` with its error line below it; returns the error line."""
        holder = QWidget()
        # Never taller than the field and its error line: keeps labels level with their fields.
        holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        line = self.line(key)
        column.addWidget(line)
        form.addRow(text, holder)
        if text:
            self._names[key] = text.rstrip(":")
        return line

    def name(self, key: str, text: str) -> None:
        """What the summary calls the field ``key`` (rows added with ``add_row`` have one)."""
        self._names[key] = text

    def line(self, key: str) -> QLabel:
        """The error line for ``key`` (created on first use)."""
        if key not in self._lines:
            self._lines[key] = error_label(f"error_{key.replace('.', '_')}")
        return self._lines[key]

    def clear(self) -> None:
        self.banner.hide()
        self.banner.clear()
        for line in self._lines.values():
            line.hide()
            line.clear()

    def set(self, key: str | None, message: str) -> None:
        """Show ``message`` next to the field ``key`` (or on the banner if the form has none)."""
        target = self._match(key)
        line = self._lines[target] if target else self.banner
        line.setText(message)
        line.show()

    def show_error(self, error: SiteSyncError) -> None:
        """Show a service error where it belongs: its field's line, else the banner."""
        text = f"{error.message} {error.hint}" if error.hint else error.message
        self.set(error.field if isinstance(error, ValidationError) else None, text)

    def messages(self) -> dict[str, str]:
        """Visible messages by key (``""`` for the banner); what tests and screenshots check."""
        shown = {k: v.text() for k, v in self._lines.items() if not v.isHidden() and v.text()}
        if not self.banner.isHidden() and self.banner.text():
            shown[""] = self.banner.text()
        return shown

    def summarize(self, scroll: QScrollArea | None = None) -> list[str]:
        """List the fields in error on the banner, top to bottom, and scroll to the first.

        Returns their names; nothing changes when no field is in error.
        """
        shown = [k for k, line in self._lines.items() if not line.isHidden() and line.text()]
        if not shown:
            return []
        content = scroll.widget() if scroll is not None else None
        if content is not None:
            shown.sort(key=lambda k: self._place(self._lines[k], content))
        names = [self._names.get(k, k.replace("_", " ").capitalize()) for k in shown]
        count = "1 field needs" if len(names) == 1 else f"{len(names)} fields need"
        self.banner.setText(f"{count} correcting: {', '.join(names)}.")
        self.banner.show()
        if scroll is not None and content is not None:
            first = self._lines[shown[0]]
            scroll.ensureWidgetVisible(first.parentWidget() or first, 50, 80)
        return names

    @staticmethod
    def _place(line: QLabel, content: QWidget) -> int:
        holder = line.parentWidget() or line
        return holder.mapTo(content, QPoint(0, 0)).y() if content.isAncestorOf(holder) else 0

    @property
    def any(self) -> bool:
        return bool(self.messages())

    def _match(self, key: str | None) -> str | None:
        if not key:
            return None
        parts = key.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self._lines:
                return candidate
        return parts[-1] if parts[-1] in self._lines else None
