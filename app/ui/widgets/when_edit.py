"""Date-time inputs in the local time zone, with an optional variant (a tick box turns it on)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QHBoxLayout, QWidget


def to_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def from_qt(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


def when_edit(moment: datetime, name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(to_qt(moment))
    edit.setObjectName(name)
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    return edit


class OptionalWhen(QWidget):
    """A tick box and a date-time; ``value()`` is None while unticked."""

    changed = Signal()

    def __init__(
        self, text: str, moment: datetime, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.enabled = QCheckBox(text)
        self.enabled.setObjectName(f"{name}Set")
        self.edit = when_edit(moment, name)
        self.edit.setEnabled(False)
        self.enabled.toggled.connect(self.edit.setEnabled)
        self.enabled.toggled.connect(lambda _on: self.changed.emit())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.enabled)
        row.addWidget(self.edit, 1)

    def value(self) -> datetime | None:
        return from_qt(self.edit.dateTime()) if self.enabled.isChecked() else None

    def set_value(self, moment: datetime | None) -> None:
        self.enabled.setChecked(moment is not None)
        if moment is not None:
            self.edit.setDateTime(to_qt(moment))
