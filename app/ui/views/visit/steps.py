"""Recording the rest of a visit in progress, one use case per change (step by step).

Each step is its own transaction. Should one fail, the steps before it stay stored: the form
marks what they stored as recorded, so saving again never records anything twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPlainTextEdit

from app.domain.checklists import TemplateCatalog
from app.domain.commands import (
    AddNote,
    AddPart,
    AttachPhoto,
    CompleteVisit,
    ItemAnswer,
    RecordChecklistItem,
    Signature,
    SignVisit,
)
from app.domain.events import Event
from app.domain.work import PartUsed
from app.services.context import Changes, ServiceContext
from app.services.ports import BlobStore
from app.services.visit_entries import (
    add_note,
    add_part,
    attach_photo,
    record_checklist_item,
    sign_visit,
)
from app.services.visits import complete_visit
from app.ui.session import Session
from app.ui.views.visit.checklist import ChecklistPanel
from app.ui.views.visit.parts_and_photos import PartsEditor, PhotoStrip, read_photos
from app.ui.widgets.signature_pad import SignaturePad

type StepRun = Callable[[ServiceContext], Awaitable[Changes]]


@dataclass(frozen=True, slots=True)
class Step:
    """One use case; ``committed`` updates the form (Qt thread) once it is stored."""

    run: StepRun
    committed: Callable[[], None]


@dataclass(frozen=True, slots=True)
class StepsResult:
    """What the steps stored; ``error`` is the failure that stopped them, if any."""

    changes: Changes
    done: int
    error: Exception | None = None


async def run_steps(runs: list[StepRun], ctx: ServiceContext) -> StepsResult:
    """Run the steps in order; stop at the first failure and report it with what was stored."""
    events: list[Event] = []
    for done, run in enumerate(runs):
        try:
            changed = await run(ctx)
        except Exception as error:  # reported to the user by the form, never swallowed
            return StepsResult(Changes.of(events), done, error)
        events += changed.events
    return StepsResult(Changes.of(events), len(runs))


def _item(
    visit_id: UUID,
    answer: ItemAnswer,
    paths: list[str],
    templates: TemplateCatalog,
    blobs: BlobStore,
) -> StepRun:
    async def run(ctx: ServiceContext) -> Changes:
        photos = await asyncio.to_thread(read_photos, paths)  # the disk, off the Qt thread
        cmd = RecordChecklistItem(
            visit_id=visit_id,
            key=answer.key,
            outcome=answer.outcome,
            reading=answer.reading,
            text=answer.text,
            photos=tuple(photos),
        )
        return await record_checklist_item(cmd, ctx=ctx, templates=templates, blobs=blobs)

    return run


def _part(cmd: AddPart) -> StepRun:
    return lambda ctx: add_part(cmd, ctx=ctx)


def _note(cmd: AddNote) -> StepRun:
    return lambda ctx: add_note(cmd, ctx=ctx)


def _photo(visit_id: UUID, path: str, templates: TemplateCatalog, blobs: BlobStore) -> StepRun:
    async def run(ctx: ServiceContext) -> Changes:
        data = (await asyncio.to_thread(read_photos, [path]))[0]
        cmd = AttachPhoto(visit_id=visit_id, data=data)
        return await attach_photo(cmd, ctx=ctx, templates=templates, blobs=blobs)

    return run


def _sign(cmd: SignVisit, blobs: BlobStore) -> StepRun:
    return lambda ctx: sign_visit(cmd, ctx=ctx, blobs=blobs)


def _complete(cmd: CompleteVisit, templates: TemplateCatalog) -> StepRun:
    return lambda ctx: complete_visit(cmd, ctx=ctx, templates=templates)


def _shows_recorded(pad: SignaturePad, signature: Signature) -> Callable[[], None]:
    image = QImage.fromData(signature.image) if signature.image else None
    text = "Refused to sign" if signature.refused else "Signed"
    return lambda: pad.show_recorded(image, text)


def _nothing() -> None:
    """Completing changes nothing the form shows (it closes)."""


class VisitSteps:
    """Mixed into the visit form: the steps that store what was typed since the last save."""

    session: Session
    checklist: ChecklistPanel
    parts: PartsEditor
    notes: QPlainTextEdit
    recorded_notes: QLabel
    photos: PhotoStrip
    tech_name: QLineEdit
    tech_pad: SignaturePad
    customer_name: QLineEdit
    customer_pad: SignaturePad
    refused: QCheckBox
    complete: QCheckBox
    lock: QCheckBox

    def continuation_steps(
        self, visit_id: UUID, answers: list[ItemAnswer], parts: list[PartUsed], departed: datetime
    ) -> list[Step]:
        """A step per new answer, part, note, photo and signature, then completion if asked.

        Commands are built here, so a bad value is reported before anything is stored.
        """
        backend = self.session.backend
        templates, blobs = backend.templates, backend.blobs
        steps: list[Step] = []
        for answer in answers:
            row = self.checklist.rows[answer.key]
            paths = list(row.photos) if answer.outcome is None else []
            steps.append(Step(_item(visit_id, answer, paths, templates, blobs), row.mark_recorded))
        for part in parts:
            cmd = AddPart.model_validate({"visit_id": visit_id, **part.model_dump()})
            steps.append(Step(_part(cmd), lambda: self.parts.mark_recorded(1)))
        note = self.notes.toPlainText().strip()
        if note:
            steps.append(
                Step(
                    _note(AddNote(visit_id=visit_id, text=note)), lambda: self._note_recorded(note)
                )
            )
        for path in self.photos.paths:
            steps.append(
                Step(_photo(visit_id, path, templates, blobs), lambda: self.photos.mark_recorded(1))
            )
        steps += self._signature_steps(visit_id, blobs)
        if self.complete.isChecked():
            done = CompleteVisit(
                visit_id=visit_id, departed_at=departed, lock=self.lock.isChecked()
            )
            steps.append(Step(_complete(done, templates), _nothing))
        return steps

    def _signature_steps(self, visit_id: UUID, blobs: BlobStore) -> list[Step]:
        signed: list[tuple[str, Signature, SignaturePad]] = []
        tech_png = self.tech_pad.to_png()
        if tech_png is not None:
            tech = Signature(name=self.tech_name.text(), image=tech_png)
            signed.append(("technician", tech, self.tech_pad))
        if not self.customer_pad.recorded:
            refused, png = self.refused.isChecked(), self.customer_pad.to_png()
            if refused or png is not None:
                customer = Signature(
                    name=self.customer_name.text(), refused=refused, image=None if refused else png
                )
                signed.append(("customer", customer, self.customer_pad))
        steps = []
        for signer, signature, pad in signed:
            cmd = SignVisit.model_validate(
                {"visit_id": visit_id, "signer": signer, "signature": signature}
            )
            steps.append(Step(_sign(cmd, blobs), _shows_recorded(pad, signature)))
        return steps

    def _note_recorded(self, note: str) -> None:
        shown = self.recorded_notes.text()
        self.recorded_notes.setText(f"{shown}\n• {note}" if shown else f"Recorded notes:\n• {note}")
        self.recorded_notes.show()
        self.notes.clear()
