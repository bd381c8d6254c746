"""Record a visit: checklist, readings, parts, notes, photos, signatures; complete and lock.

The form is composed of parts that each own their widgets and state (``header``,
``checklist``, ``extras``, ``signoff``, ``completion``) and a ``draft`` keeper. Saving reads
the parts into values, maps them to one command (``command.visit_command``) and runs one use
case: ``record_visit`` for a new, scheduled or callback visit, ``continue_visit`` for the rest
of a visit in progress. Either way it is all or nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGroupBox, QScrollArea, QVBoxLayout, QWidget

from app.domain.commands import ContinueVisit
from app.domain.wording import agreeing, plural
from app.services.common import Created
from app.services.context import Changes, ServiceContext
from app.services.visit_forms import continue_visit, record_visit
from app.ui.backend import Backend
from app.ui.format import label
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.views.visit.checklist import ChecklistPanel
from app.ui.views.visit.command import VisitFormValues, problems, visit_command
from app.ui.views.visit.draft import DraftKeeper
from app.ui.views.visit.extras import ExtrasSection
from app.ui.views.visit.header import VisitHeader
from app.ui.views.visit.parts_and_photos import read_thumbnails, with_photos
from app.ui.views.visit.plan import FormData, VisitPlan, load_form
from app.ui.views.visit.signoff import CompletionRow, SignOffSection


class VisitForm(FormDialog):
    """The visit form; nothing is saved until every field is valid."""

    def __init__(self, session: Session, plan: VisitPlan, parent: QWidget | None = None) -> None:
        super().__init__(session, plan.title, parent)
        self.setObjectName("visitForm")
        self.resize(1000, 700)
        self.plan = plan
        self.header = VisitHeader(session, self.errors)
        self.checklist = ChecklistPanel()
        self.extras = ExtrasSection(self.errors)
        self.signoff = SignOffSection(session, self.errors)
        self.completion = CompletionRow()
        drafts = session.visit_drafts()
        self.draft = DraftKeeper(session, drafts, plan.draft_key, self.state, self)
        checklist_box = QGroupBox("Checklist (* mandatory)")
        checklist_column = QVBoxLayout(checklist_box)
        checklist_column.addWidget(self.errors.line("items"))
        checklist_column.addWidget(self.checklist)
        content = QWidget()
        column = QVBoxLayout(content)
        for part in (self.header, checklist_box, self.extras, self.signoff):
            column.addWidget(part)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        self.scroll_area = scroll
        self.errors.name("items", "Checklist")
        self.body.addWidget(scroll, 1)
        self.body.addWidget(self.completion)
        self.body.addWidget(self.draft.status)
        self.finish_layout()
        self.header.template_chosen.connect(self.checklist.set_template)
        for changed in (
            self.header.changed,
            self.checklist.changed,
            self.extras.changed,
            self.signoff.changed,
            self.completion.changed,
        ):
            changed.connect(self.draft.touched)
        self.extras.photos.loader = self._load_thumbnails
        self.save_button.setEnabled(False)
        today = session.today()

        async def load(backend: Backend, _progress: Progress) -> FormData:
            return await load_form(backend, plan, drafts, today)

        session.work(load, self._loaded, label="open the visit form", parent=self)

    def _loaded(self, data: FormData) -> None:
        self.header.show_plan(self.plan, data.units, data.draft)
        if data.visit is not None and self.plan.continuing:
            self.header.show_stored(data.visit)
            self.checklist.prefill(data.visit.results)
            self.extras.show_stored(data.visit, data.photos)
            self.signoff.show_stored(data.visit, data.signatures)
        if data.draft:
            self.restore(data.draft)
        self.draft.resume()
        self.save_button.setEnabled(True)

    def _load_thumbnails(self, paths: list[str]) -> None:
        async def job(_backend: Backend, _progress: Progress) -> dict[str, QImage | None]:
            return await asyncio.to_thread(read_thumbnails, paths)

        photos = self.extras.photos
        self.session.work(job, photos.set_thumbnails, label="read the photos", parent=self)

    # -- drafts ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything typed so far, as JSON-ready values."""
        return {
            "plan": self.plan.reference(),
            **self.header.state(),
            "items": self.checklist.state(),
            **self.extras.state(),
            **self.signoff.state(),
            "saved_at": self.session.now().isoformat(),
        }

    def restore(self, draft: dict[str, Any]) -> None:
        """Fill the form from a draft; fields the visit fixes or already holds stay as they are."""
        self.header.restore(draft)
        self.checklist.restore(draft.get("items", {}))
        self.extras.restore(draft)
        self.signoff.restore(draft)
        self.draft.restored(draft)

    def done_text(self, result: object) -> str:
        row = self.header.units.get(self.header.unit_id())
        where = f" at {row.title}" if row is not None else ""
        locked = self.completion.lock.isChecked() and self.completion.complete.isChecked()
        what = "completed and locked" if locked else "saved"
        return f"{label(self.header.visit_type())} visit{where} {what}."

    def on_failed(self, error: BaseException) -> None:
        self.draft.resume()  # nothing was stored: typing saves drafts again

    def done(self, result: int) -> None:
        """Closed (saved, cancelled or Esc): no autosave runs after the form is gone."""
        self.draft.close()
        super().done(result)

    # -- saving ------------------------------------------------------------------------------

    def values(self) -> tuple[VisitFormValues, dict[str, str]]:
        """What the parts hold, and an error message per checklist answer that cannot be taken."""
        answers, bad_items = self.checklist.answers()
        header, signoff = self.header, self.signoff
        values = VisitFormValues(
            unit_id=header.unit_id(),
            visit_type=header.visit_type(),
            template=header.template_choice(),
            arrived_at=header.arrived_at(),
            departed_at=header.departed_at(),
            answers=tuple(answers),
            unanswered=tuple(self.checklist.unanswered_mandatory()),
            item_photos=self.checklist.item_photos(answers),
            parts=self.extras.part_rows(),
            note=self.extras.note(),
            photos=tuple(self.extras.photos.paths),
            technician=signoff.technician(),
            customer=signoff.customer(),
            complete=self.completion.complete.isChecked(),
            lock=self.completion.lock.isChecked(),
        )
        return values, bad_items

    def submit(self) -> None:
        self.checklist.clear_errors()
        values, bad_items = self.values()
        for key, message in bad_items.items():
            self.checklist.rows[key].show_error(message)
        found = problems(values, self.plan)
        for field, message in found:
            self.errors.set(field, message)
        if bad_items:
            self.errors.set(
                "items",
                f"{plural(len(bad_items), 'checklist answer')} "
                f"{agreeing(len(bad_items), 'needs', 'need')} correcting (see below).",
            )
        if found or bad_items:
            return
        cmd = visit_command(values, self.plan)  # a ValidationError is shown next to its field
        backend, drafts, key = self.session.backend, self.draft.store, self.draft.key
        item_photos, photos = values.item_photos, values.photos

        async def action(ctx: ServiceContext) -> Changes | Created:
            # Photos are read here, on the core worker: the Qt thread never waits on the disk.
            full = await asyncio.to_thread(with_photos, cmd, item_photos, photos)
            done: Changes | Created
            if isinstance(full, ContinueVisit):
                done = await continue_visit(
                    full, ctx=ctx, templates=backend.templates, blobs=backend.blobs
                )
            else:
                done = await record_visit(
                    full, ctx=ctx, templates=backend.templates, blobs=backend.blobs
                )
            drafts.discard(key)
            return done

        self.draft.pause()  # the draft is dropped once the visit is stored
        self.run(action, label="record the visit")
