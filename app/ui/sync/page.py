"""The Sync page: the state and its next step, recent runs, "Needs attention", conflicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.wording import agreeing, plural
from app.services.context import Changes
from app.ui.format import label, when
from app.ui.models.table import Column, RowTableModel
from app.ui.session import Session
from app.ui.sync.bridge import SyncBridge
from app.ui.sync.port import AttentionInfo, Choice, ConflictInfo, SyncRun
from app.ui.sync.records import RecordName, name_records
from app.ui.sync.state import SyncState, describe
from app.ui.views.screens.base import View, fit_columns, heading, make_table

RUNS = 20
"""Runs listed on the page."""
SAVING = "Saving your choice…"


class SyncRunTableModel(RowTableModel[SyncRun]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Started", lambda r: when(r.started_at), sort=lambda r: r.started_at),
                Column("Ended", lambda r: when(r.finished_at)),
                Column("Outcome", lambda r: label(r.outcome) if r.outcome else "Cut off"),
                Column("Sent", lambda r: str(r.pushed), sort=lambda r: r.pushed, numeric=True),
                Column("Received", lambda r: str(r.pulled), sort=lambda r: r.pulled, numeric=True),
                Column("Conflicts", lambda r: str(r.conflicts), numeric=True),
                Column("Rejected", lambda r: str(r.rejected), numeric=True),
                Column("Problem", lambda r: r.problem or "", tooltip=lambda r: r.problem or ""),
            ],
            parent,
        )


@dataclass(frozen=True, slots=True)
class AttentionLine:
    item: AttentionInfo
    record: str


class AttentionTableModel(RowTableModel[AttentionLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column("Record", lambda r: r.record),
                Column("Change", lambda r: r.item.type),
                Column("Answer", lambda r: label(r.item.status)),
                Column("Reason", lambda r: r.item.reason, tooltip=lambda r: r.item.reason),
            ],
            parent,
        )


def shown_value(raw: str | None) -> str:
    """A conflict value (JSON text) as a person reads it."""
    if raw is None:
        return "(empty)"
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if value is None or value == "":
        return "(empty)"
    return label(value) if isinstance(value, str) else str(value)


class ConflictCard(QFrame):
    """One conflict: both values side by side, each with its one-click "Keep this"."""

    def __init__(
        self, conflict: ConflictInfo, record: str, page: SyncView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.setObjectName(f"conflict_{conflict.conflict_id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        title = QLabel(f"<b>{record}</b> — {label(conflict.field)}")
        grid.addWidget(title, 0, 0, 1, 2)
        sides: tuple[tuple[Choice, str, str], ...] = (
            ("kept", "Kept (the later change in the server's order)", conflict.kept_value),
            ("other", "Other value (overwritten)", conflict.other_value),
        )
        self.buttons: dict[str, QPushButton] = {}
        for column, (choice, caption, raw) in enumerate(sides):
            head = QLabel(caption)
            head.setStyleSheet("color: #616161;")
            value = QLabel(shown_value(raw))
            value.setObjectName(f"{choice}Value")
            value.setStyleSheet("font-size: 12pt; font-weight: 600;")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("Keep this")
            button.setObjectName(f"keep_{choice}")
            button.clicked.connect(lambda _c=False, ch=choice: page.resolve(self, ch))
            self.buttons[choice] = button
            grid.addWidget(head, 1, column)
            grid.addWidget(value, 2, column)
            grid.addWidget(button, 3, column)

    def busy(self, text: str) -> None:
        for button in self.buttons.values():
            button.setEnabled(False)
        self.setToolTip(text)

    def ready(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(True)
        self.setToolTip("")


class SyncView(View):
    """Where sync stands, what it did, and what needs a person."""

    def __init__(self, session: Session, bridge: SyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.bridge = bridge
        self.names: dict[tuple[str, str], str] = {}
        self.state = QLabel()
        self.state.setObjectName("syncState")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_in = QPushButton("Sign &in…")
        self.sign_in.setObjectName("syncSignIn")
        self.sync_now = QPushButton("&Sync now")
        self.sync_now.setObjectName("syncNow")
        self.sync_now.clicked.connect(lambda: bridge.sync_now())
        self.runs = SyncRunTableModel(self)
        self.runs_table, _ = make_table(self.runs, "syncRuns")
        self.attention = AttentionTableModel(self)
        self.attention_table, _ = make_table(self.attention, "needsAttention")
        self.attention_table.setMaximumHeight(140)
        self.attention_box = QGroupBox("Needs attention")
        box = QVBoxLayout(self.attention_box)
        self.attention_note = QLabel(
            "The server refused these changes. They stay in this store with the reason; the "
            "changes after them were sent as usual. Correct the record and save it again."
        )
        self.attention_note.setWordWrap(True)
        box.addWidget(self.attention_note)
        box.addWidget(self.attention_table)
        self.conflict_box = QGroupBox("Conflicts to review")
        self.conflict_box.setObjectName("conflictReview")
        self.conflict_list = QVBoxLayout()
        self.conflict_note = QLabel()
        self.conflict_note.setWordWrap(True)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.addWidget(self.conflict_note)
        column.addLayout(self.conflict_list)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        QVBoxLayout(self.conflict_box).addWidget(scroll)
        self.cards: list[ConflictCard] = []
        self.resolving: set[str] = set()
        """Conflicts resolved here whose resolution has not come back from the server yet."""
        self.saving: set[str] = set()
        """Conflicts whose chosen value is being saved right now."""
        top = QHBoxLayout()
        top.addWidget(heading("Sync"))
        top.addStretch(1)
        top.addWidget(self.sign_in)
        top.addWidget(self.sync_now)
        runs_box = QGroupBox("Recent runs")
        QVBoxLayout(runs_box).addWidget(self.runs_table)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(runs_box, 2)
        layout.addWidget(self.attention_box)
        layout.addWidget(self.conflict_box, 3)
        bridge.state_changed.connect(self.show_state)
        bridge.run_finished.connect(lambda _summary: self._load_runs())
        session.profile_changed.connect(lambda _actor: self.show_state(bridge.state))
        self.show_state(bridge.state)

    def refresh(self) -> None:
        self.bridge.refresh()
        self._load_runs()

    def relevant(self, changes: Changes) -> bool:
        return False  # the bridge re-reads the status after local commits and runs

    def _load_runs(self) -> None:
        self.bridge.recent_runs(RUNS, self._runs_loaded)

    def _runs_loaded(self, runs: Sequence[SyncRun]) -> None:
        self.runs.set_rows(list(runs))
        fit_columns(self.runs_table, 220)

    def show_state(self, state: SyncState) -> None:
        indicator = describe(state)
        status = state.status
        joined = status is not None and status.joined
        self.state.setText(
            f"<b>{indicator.text}</b><br>{indicator.detail.replace(chr(10), '<br>')}"
        )
        self.sign_in.setVisible(not joined or indicator.text.startswith("Sign in"))
        self.sync_now.setEnabled(joined and not state.running)
        if status is None:
            return
        records = [(a.entity_type, a.entity_id) for a in status.needs_attention]
        records += [(c.entity_type, c.entity_id) for c in status.open_conflicts]
        missing = [r for r in records if r not in self.names]
        if missing:
            self.session.read(
                lambda uow: name_records(uow, missing, only_known=False),
                lambda named: self._named(named, state),
                label="name the records sync reports",
                parent=self,
            )
        else:
            self._show_items(state)

    def _named(self, named: list[RecordName], state: SyncState) -> None:
        for record in named:
            self.names[(record.entity_type, str(record.entity_id))] = record.title
        self._show_items(state)

    def _name(self, entity_type: str, entity_id: str) -> str:
        return self.names.get((entity_type, entity_id), f"{label(entity_type)} {entity_id[:8]}")

    def _show_items(self, state: SyncState) -> None:
        status = state.status
        if status is None:
            return
        attention = status.needs_attention
        self.attention.set_rows(
            [AttentionLine(a, self._name(a.entity_type, a.entity_id)) for a in attention]
        )
        fit_columns(self.attention_table, 260)
        self.attention_box.setTitle(f"Needs attention ({len(status.needs_attention)})")
        self.conflict_box.setVisible(self.session.is_supervisor)
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        still_open = {c.conflict_id for c in status.open_conflicts}
        self.resolving &= still_open
        self.cards = [
            ConflictCard(c, self._name(c.entity_type, c.entity_id), self)
            for c in status.open_conflicts
            if c.conflict_id not in self.resolving
        ]
        for card in self.cards:
            self.conflict_list.addWidget(card)
            if card.conflict.conflict_id in self.saving:
                card.busy(SAVING)
        count = len(self.cards)
        self.conflict_box.setTitle(f"Conflicts to review ({count})")
        waiting = (
            f" {plural(len(self.resolving), 'choice')} saved here "
            f"{agreeing(len(self.resolving), 'is', 'are')} on their way to the server."
            if self.resolving
            else ""
        )
        self.conflict_note.setText(
            (
                "Two people changed the same detail while offline. The server kept the later "
                "one in its order; both values are here. Keep one: it is saved as a new change "
                "and synced."
                if count
                else "No conflicts to review."
            )
            + waiting
        )

    def resolve(self, card: ConflictCard, choose: Choice) -> None:
        """Keep one value: a new event through the services, then a sync sends it.

        The cards are rebuilt whenever sync reports, possibly while the choice is being
        saved, so the outcome is applied to whichever card shows that conflict by then.
        """
        conflict_id = card.conflict.conflict_id
        self.saving.add(conflict_id)
        card.busy(SAVING)
        operation = self.bridge.resolve(
            conflict_id, choose, lambda _changes: self._resolved(conflict_id)
        )
        if operation is None:
            self._not_saved(conflict_id)
        else:
            operation.failed.connect(lambda _error: self._not_saved(conflict_id))

    def _card(self, conflict_id: str) -> ConflictCard | None:
        return next((c for c in self.cards if c.conflict.conflict_id == conflict_id), None)

    def _resolved(self, conflict_id: str) -> None:
        self.saving.discard(conflict_id)
        self.resolving.add(conflict_id)
        card = self._card(conflict_id)
        if card is not None:
            card.busy("Resolved: the choice is saved and syncs with the next run.")
            card.hide()

    def _not_saved(self, conflict_id: str) -> None:
        self.saving.discard(conflict_id)
        card = self._card(conflict_id)
        if card is not None:
            card.ready()
