"""Drafts of the visit form: everything typed so far, saved as JSON and restored after a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDateTimeEdit, QLabel, QLineEdit, QPlainTextEdit

from app.domain.enums import VisitType
from app.ui.backend import Backend
from app.ui.drafts import DraftStore
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.visit.checklist import ChecklistPanel
from app.ui.views.visit.parts_and_photos import PartsEditor, PhotoStrip
from app.ui.views.visit.plan import VisitPlan
from app.ui.widgets.forms import find_data
from app.ui.widgets.signature_pad import SignaturePad
from app.ui.widgets.when_edit import from_qt, to_qt


class VisitDraft:
    """Mixed into the visit form: the fields it reads and fills are the form's own."""

    session: Session
    plan: VisitPlan
    drafts: DraftStore
    draft_key: str
    draft_status: QLabel
    unit: QComboBox
    type: QComboBox
    template: QComboBox
    arrived: QDateTimeEdit
    departed: QDateTimeEdit
    checklist: ChecklistPanel
    parts: PartsEditor
    notes: QPlainTextEdit
    photos: PhotoStrip
    tech_name: QLineEdit
    tech_pad: SignaturePad
    customer_name: QLineEdit
    customer_pad: SignaturePad
    refused: QCheckBox

    def state(self) -> dict[str, Any]:
        """Everything typed so far, as JSON-ready values."""
        return {
            "plan": self.plan.reference(),
            "title": self.unit.currentText() if self.unit.currentData() else "",
            "unit": str(self.unit.currentData() or ""),
            "type": str(self.type.currentData()),
            "template": list(self.template.currentData() or []),
            "arrived": from_qt(self.arrived.dateTime()).isoformat(),
            "departed": from_qt(self.departed.dateTime()).isoformat(),
            "items": {k: r.state() for k, r in self.checklist.rows.items()},
            "parts": self.parts.texts(),
            "notes": self.notes.toPlainText(),
            "photos": self.photos.paths,
            "technician": [self.tech_name.text(), self.tech_pad.strokes],
            "customer": [self.customer_name.text(), self.customer_pad.strokes],
            "refused": self.refused.isChecked(),
            "saved_at": self.session.now().isoformat(),
        }

    def save_draft(self) -> None:
        """Write the draft on the core worker (the Qt thread never touches the disk)."""
        state, drafts, key = self.state(), self.drafts, self.draft_key

        async def job(_backend: Backend, _progress: Progress) -> str:
            drafts.save(key, state)
            return str(state["saved_at"])

        self.session.work(job, self._draft_saved, label="save the draft", parent=self.draft_status)

    def _draft_saved(self, saved_at: str) -> None:
        moment = datetime.fromisoformat(saved_at).astimezone()
        self.draft_status.setText(f"Draft saved at {moment:%H:%M:%S}.")

    def restore(self, draft: dict[str, Any]) -> None:
        """Fill the form from a draft; fields the visit fixes or already holds stay as they are."""
        if self.type.isEnabled():
            kind = VisitType(draft.get("type", "preventive"))
            self.type.setCurrentIndex(max(0, find_data(self.type, kind)))
        if draft.get("template") and self.template.isEnabled():
            index = find_data(self.template, tuple(draft["template"]))
            self.template.setCurrentIndex(max(0, index))
        for key, item in draft.get("items", {}).items():
            if key in self.checklist.rows:
                self.checklist.rows[key].restore(item)
        if self.arrived.isEnabled():
            self.arrived.setDateTime(to_qt(datetime.fromisoformat(draft["arrived"])))
        self.departed.setDateTime(to_qt(datetime.fromisoformat(draft["departed"])))
        for values in draft.get("parts", []):
            self.parts.add_part(values)
        self.notes.setPlainText(draft.get("notes", ""))
        self.photos.add_files(draft.get("photos", []))
        for name, pad, key in (
            (self.tech_name, self.tech_pad, "technician"),
            (self.customer_name, self.customer_pad, "customer"),
        ):
            if not pad.recorded:
                name.setText(draft[key][0])
                pad.set_strokes(draft[key][1])
        if not self.customer_pad.recorded:
            self.refused.setChecked(bool(draft.get("refused")))
        self.draft_status.setText(
            f"Restored your unsaved draft from {draft.get('saved_at', '')[:16]}."
        )
