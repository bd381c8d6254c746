"""A bar offering to restore visit forms left unsaved (after a crash or a forced quit)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.services.context import Changes
from app.ui.actions import Actions, confirm
from app.ui.backend import Backend
from app.ui.format import saved_when
from app.ui.runtime import Progress
from app.ui.session import Session

type Drafts = list[tuple[str, dict[str, Any]]]


def _saved_at(draft: dict[str, Any]) -> str:
    return saved_when(draft.get("saved_at"))


class DraftBanner(QFrame):
    """Hidden unless the data folder holds visit drafts; restores or discards the newest."""

    def __init__(self, session: Session, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.forms = session, actions
        self.setObjectName("draftBanner")
        self.setStyleSheet("#draftBanner { background: #fff8e1; border: 1px solid #ffb300; }")
        self.drafts: Drafts = []
        self.text = QLabel()
        self.text.setObjectName("draftBannerText")
        self.text.setWordWrap(True)
        self.restore = QPushButton("Restore…")
        self.restore.setObjectName("restoreDraft")
        self.restore.clicked.connect(self._restore)
        self.discard = QPushButton("Discard…")
        self.discard.setObjectName("discardDraft")
        self.discard.clicked.connect(self._discard)
        self.question: QMessageBox | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.restore)
        row.addWidget(self.discard)
        self.hide()
        session.changed.connect(self._changed)
        session.profile_changed.connect(self._changed)
        self.scan()

    def scan(self) -> None:
        """Look for drafts (on the worker: the Qt thread never reads the disk)."""
        store = self.session.visit_drafts()

        async def job(_backend: Backend, _progress: Progress) -> Drafts:
            keys = store.keys()
            found = [(key, store.load(key)) for key in keys]
            drafts = [(key, draft) for key, draft in found if draft is not None]
            return sorted(drafts, key=lambda d: str(d[1].get("saved_at", "")), reverse=True)

        self.session.work(job, self._found, label="look for unsaved drafts", parent=self)

    def _changed(self, _what: Changes | object) -> None:
        """Something changed, or another profile signed in: their drafts differ."""
        self.scan()

    def _found(self, drafts: Drafts) -> None:
        self.drafts = drafts
        if not drafts:
            self.hide()
            return
        _key, newest = drafts[0]
        what = newest.get("title") or "a visit"
        more = f" (and {len(drafts) - 1} more)" if len(drafts) > 1 else ""
        self.text.setText(
            f"An unsaved visit form was found: {what}, last saved {_saved_at(newest)}{more}. "
            "Restore it to carry on where you left off."
        )
        self.show()

    def _restore(self) -> None:
        if self.drafts:
            _key, draft = self.drafts[0]
            reference = draft.get("plan") or {"unit": str(draft.get("unit", ""))}
            self.hide()
            self.forms.resume_draft({k: str(v) for k, v in reference.items()})

    def _discard(self) -> None:
        if not self.drafts:
            return
        key, _draft = self.drafts[0]
        store = self.session.visit_drafts()

        def discard() -> None:
            async def job(_backend: Backend, _progress: Progress) -> None:
                store.discard(key)

            self.session.work(
                job, lambda _none: self.scan(), label="discard the draft", parent=self
            )

        self.question = confirm(
            self,
            "Discard the draft",
            "Discard this unsaved visit form? It cannot be undone.",
            discard,
        )
