"""Small inputs the record forms share: optional dates, optional numbers, enum choices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLineEdit, QWidget

from app.ui.format import label
from app.ui.widgets.forms import find_data


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def date_edit(value: date, name: str) -> QDateEdit:
    """A day picker with a calendar, shown as ``2025-06-02``."""
    edit = QDateEdit(to_qdate(value))
    edit.setObjectName(name)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    return edit


class OptionalDate(QWidget):
    """A tick box and a day; ``value()`` is None while unticked."""

    def __init__(
        self, text: str, value: date | None, default: date, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.enabled = QCheckBox(text)
        self.enabled.setObjectName(f"{name}Set")
        self.edit = date_edit(value or default, name)
        self.enabled.toggled.connect(self.edit.setEnabled)
        self.enabled.setChecked(value is not None)
        self.edit.setEnabled(value is not None)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.enabled)
        row.addWidget(self.edit, 1)
        self.setFocusProxy(self.enabled)

    def value(self) -> date | None:
        return from_qdate(self.edit.date()) if self.enabled.isChecked() else None

    def set_value(self, value: date | None) -> None:
        self.enabled.setChecked(value is not None)
        if value is not None:
            self.edit.setDate(to_qdate(value))


def line_edit(text: str | None, name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text or "")
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def choice[E: StrEnum](
    name: str,
    values: Iterable[E],
    current: E | None = None,
    *,
    blank: str | None = None,
    names: dict[E, str] | None = None,
) -> QComboBox:
    """A drop-down of enum values (their labels, or ``names``), optionally led by a blank."""
    combo = QComboBox()
    combo.setObjectName(name)
    if blank is not None:
        combo.addItem(blank, None)
    for value in values:
        combo.addItem((names or {}).get(value) or label(value), value)
    if current is not None:
        combo.setCurrentIndex(max(0, find_data(combo, current)))
    return combo


def blank_to_none(text: str) -> str | None:
    """What a one-line field holds: None when left blank."""
    stripped = text.strip()
    return stripped or None
