"""The visit form's draft: everything typed so far, saved as JSON a moment after each change
and restored after a crash (the form's parts give and take their own share of it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from app.ui.backend import Backend
from app.ui.drafts import DraftStore
from app.ui.format import saved_when
from app.ui.runtime import Progress
from app.ui.session import Session

AUTOSAVE_MS = 1500


class DraftKeeper(QObject):
    """Saves the form's state under ``key`` shortly after the last change, unless paused.

    It starts paused: filling the form when it opens is not typing. ``status`` tells the user
    when the draft was saved or restored.
    """

    def __init__(
        self,
        session: Session,
        store: DraftStore,
        key: str,
        state: Callable[[], dict[str, Any]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.store, self.key = session, store, key
        self._state = state
        self.paused = True
        self.status = QLabel("")
        self.status.setObjectName("draftStatus")
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save)

    def touched(self, *_args: object) -> None:
        """Something changed: save a moment from now (unless paused)."""
        if not self.paused:
            self._timer.start()

    def pause(self) -> None:
        """No autosave (while the form is filled in, or while it is being saved)."""
        self._timer.stop()
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def close(self) -> None:
        """The form closed: stop autosaving, keeping the draft (a change still waiting is
        written now, so nothing typed is lost)."""
        waiting = self._timer.isActive() and not self.paused
        self.pause()
        if waiting:
            self.save()

    def save(self) -> None:
        """Write the draft on the core worker (the Qt thread never touches the disk)."""
        state, store, key = self._state(), self.store, self.key

        async def job(_backend: Backend, _progress: Progress) -> str:
            store.save(key, state)
            return str(state["saved_at"])

        self.session.work(job, self._saved, label="save the draft", parent=self.status)

    def _saved(self, saved_at: str) -> None:
        moment = datetime.fromisoformat(saved_at).astimezone()
        self.status.setText(f"Draft saved at {moment:%H:%M:%S}.")

    def restored(self, draft: dict[str, Any]) -> None:
        """Say that the form shows a draft saved earlier."""
        saved = saved_when(draft.get("saved_at"), fallback="earlier")
        self.status.setText(f"Restored your unsaved draft from {saved}.")
