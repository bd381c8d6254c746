"""After a pull: "changed while you were offline", once, until the person dismisses it."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Final
from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.records import RecordName, name_records

SHOWN: Final = 6
"""Records named in the banner; the rest are counted."""
PLURALS: Final = {"Unit": "units", "Visit": "visits", "Callback": "callbacks"}


def _count(records: list[RecordName]) -> str:
    counts = Counter(r.kind for r in records)
    parts = [
        f"{n} {PLURALS[kind] if n != 1 else kind.lower()}"
        for kind in ("Unit", "Visit", "Callback")
        if (n := counts.get(kind))
    ]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


class OfflineChangesBanner(QFrame):
    """Lists the units, visits and callbacks others changed, each a link to its unit."""

    unit_requested = Signal(object)  # UUID

    def __init__(self, session: Session, bridge: SyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("offlineChanges")
        self.setStyleSheet(
            "#offlineChanges { background: #e3f2fd; border: 1px solid #90caf9;"
            " border-radius: 4px; }"
        )
        self.records: list[RecordName] = []
        self.text = QLabel()
        self.text.setObjectName("offlineChangesText")
        self.text.setWordWrap(True)
        self.text.linkActivated.connect(lambda link: self.unit_requested.emit(UUID(link)))
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setObjectName("dismissOfflineChanges")
        self.dismiss.clicked.connect(self.dismissed)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.dismiss)
        self.hide()
        bridge.changed_offline.connect(self.pulled)

    def pulled(self, changed: tuple[tuple[str, str], ...]) -> None:
        """A run pulled changes others made: name them (on the worker), then show them."""
        self.session.read(
            lambda uow: name_records(uow, changed, only_known=True),
            self._named,
            label="name the records others changed",
            parent=self,
        )

    def _named(self, records: list[RecordName]) -> None:
        known = {(r.entity_type, r.entity_id) for r in self.records}
        self.records += [r for r in records if (r.entity_type, r.entity_id) not in known]
        if not self.records:
            return
        links = [
            f'<a href="{r.elevator_id}">{escape(r.title)}</a>' if r.elevator_id else escape(r.title)
            for r in self.records[:SHOWN]
        ]
        more = len(self.records) - SHOWN
        tail = f" and {more} more" if more > 0 else ""
        self.text.setText(
            f"<b>Changed while you were offline:</b> {_count(self.records)} by others — "
            f"{', '.join(links)}{tail}."
        )
        self.show()

    def dismissed(self) -> None:
        """Seen: hide until the next pull brings changes by others."""
        self.records = []
        self.hide()
