"""Record a visit: checklist, readings, parts, notes, photos, signatures; complete and lock.

A new, scheduled or callback visit is recorded as one whole form (``record_visit``); the rest of
a visit in progress is recorded step by step (see ``steps``).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from app.domain.commands import ItemAnswer, RecordVisit, Signature
from app.domain.enums import VisitType
from app.domain.work import PartUsed, Visit
from app.services.common import Created
from app.services.context import ServiceContext
from app.services.queries import FleetRow
from app.services.visit_forms import record_visit
from app.ui.backend import Backend
from app.ui.drafts import visit_drafts
from app.ui.runtime import Progress
from app.ui.session import Session
from app.ui.views.dialogs.base import FormDialog
from app.ui.views.visit.draft import VisitDraft
from app.ui.views.visit.parts_and_photos import read_thumbnails, with_photos
from app.ui.views.visit.plan import FormData, VisitPlan, load_form, parse_uuid
from app.ui.views.visit.sections import VisitSections
from app.ui.views.visit.steps import StepsResult, VisitSteps, run_steps
from app.ui.widgets.forms import find_data
from app.ui.widgets.when_edit import from_qt

AUTOSAVE_MS = 1500


class VisitForm(VisitDraft, VisitSteps, VisitSections, FormDialog):
    """The visit form; nothing is saved until every field is valid."""

    def __init__(self, session: Session, plan: VisitPlan, parent: QWidget | None = None) -> None:
        super().__init__(session, plan.title, parent)
        self.setObjectName("visitForm")
        self.resize(1000, 700)
        self.plan = plan
        self.units: dict[object, FleetRow] = {}
        self.drafts = visit_drafts(session.data_dir)
        self.draft_key = plan.draft_key
        self._restoring = True  # until loaded: filling the form is not typing
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_draft)
        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self._visit_box(session))
        column.addWidget(self._checklist_box())
        column.addWidget(self._extras_box())
        column.addWidget(self._signoff_box(session))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        self.body.addWidget(scroll, 1)
        self.body.addLayout(self._completion_row())
        self.draft_status = QLabel("")
        self.draft_status.setObjectName("draftStatus")
        self.body.addWidget(self.draft_status)
        self.finish_layout()
        self.subject.setText(plan.describe())
        self.subject.setVisible(bool(plan.describe()))
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.photos.loader = self._load_thumbnails
        for signal in (
            self.checklist.changed,
            self.parts.changed,
            self.photos.changed,
            self.notes.textChanged,
            self.tech_pad.changed,
            self.customer_pad.changed,
            self.customer_name.textChanged,
            self.refused.toggled,
            self.arrived.dateTimeChanged,
            self.departed.dateTimeChanged,
            self.complete.toggled,
        ):
            signal.connect(self._touched)
        self.save_button.setEnabled(False)
        drafts, today = self.drafts, session.today()

        async def load(backend: Backend, _progress: Progress) -> FormData:
            return await load_form(backend, plan, drafts, today)

        session.work(load, self._loaded, label="open the visit form", parent=self)

    # -- loading -----------------------------------------------------------------------------

    def _loaded(self, data: FormData) -> None:
        self.units = {r.elevator_id: r for r in data.units}
        self.unit.addItem("Choose a unit…", None)
        for row in data.units:
            self.unit.addItem(f"{row.title} ({row.customer_name})", row.elevator_id)
        kind = self.plan.visit_type
        if kind is not None:
            self.type.setCurrentIndex(find_data(self.type, kind))
            self.type.setEnabled(False)
        draft = data.draft
        wanted = self.plan.unit_id or parse_uuid(draft.get("unit") if draft else None)
        index = find_data(self.unit, wanted) if wanted else -1
        self.unit.setCurrentIndex(max(index, 0))
        # A visit, scheduled or started, and a callback belong to their unit; a new visit does not.
        self.unit.setEnabled(self.plan.visit is None and self.plan.incident is None)
        if data.visit is not None and self.plan.continuing:
            self.show_stored(data)
        if draft:
            self.restore(draft)
        self._restoring = False
        self.save_button.setEnabled(True)

    def _unit_changed(self) -> None:
        row = self.units.get(self.unit.currentData())
        self.template.clear()
        self.template.addItem("(no checklist)", None)
        if row is None:
            return
        for template in self.session.templates.all():
            if row.drive_type in template.drive_types:
                self.template.addItem(
                    f"{template.name} (v{template.version})",
                    (template.template_id, template.version),
                )
        # Preventive visits default to the monthly PM checklist, other visits to the first one.
        preventive = self.type.currentData() == VisitType.PREVENTIVE
        wanted = [
            i
            for i in range(1, self.template.count())
            if str(self.template.itemData(i)[0]).startswith("pm-") == preventive
        ]
        self.template.setCurrentIndex(wanted[0] if wanted else min(1, self.template.count() - 1))

    def _template_changed(self) -> None:
        chosen = self.template.currentData()
        self.checklist.set_template(self.session.templates.get(*chosen) if chosen else None)
        self._touched()

    def _load_thumbnails(self, paths: list[str]) -> None:
        async def job(_backend: Backend, _progress: Progress) -> dict[str, QImage | None]:
            return await asyncio.to_thread(read_thumbnails, paths)

        self.session.work(job, self.photos.set_thumbnails, label="read the photos", parent=self)

    # -- drafts ------------------------------------------------------------------------------

    def _touched(self, *_args: object) -> None:
        if not self._restoring:
            self._timer.start()

    def on_failed(self, error: BaseException) -> None:
        self._restoring = False  # typing saves drafts again

    # -- saving ------------------------------------------------------------------------------

    def _check(self) -> list[tuple[str, str]]:
        """Problems found before anything is sent: (field, message)."""
        problems: list[tuple[str, str]] = []
        completing = self.complete.isChecked()
        if self.unit.currentData() is None:
            problems.append(("elevator_id", "Choose the unit you worked on."))
        missing = self.checklist.unanswered_mandatory()
        if completing and missing:
            names = ", ".join(self.checklist.rows[k].item.label for k in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            problems.append(
                ("items", f"{len(missing)} mandatory item(s) not recorded yet: {names}{more}.")
            )
        if self.departed.dateTime() < self.arrived.dateTime():
            problems.append(("departed_at", "Departure is before arrival. Check the times."))
        incident = self.plan.incident
        if incident is not None and from_qt(self.arrived.dateTime()) < incident.reported_at:
            problems.append(("arrived_at", "Arrival is before the callback was reported."))
        if completing and self.tech_pad.empty:
            problems.append(("technician_signature", "Sign the visit before completing it."))
        if completing and not self.refused.isChecked() and self.customer_pad.empty:
            problems.append(
                ("customer_signoff", "Ask the customer to sign, or tick 'refused to sign'.")
            )
        if (
            self.refused.isChecked() or not self.customer_pad.empty
        ) and not self.customer_name.text().strip():
            problems.append(("customer_signoff", "Enter the customer's name."))
        return problems

    def submit(self) -> None:
        self.checklist.clear_errors()
        answers, bad_items = self.checklist.answers()
        for key, message in bad_items.items():
            self.checklist.rows[key].show_error(message)
        problems = self._check()
        for field, message in problems:
            self.errors.set(field, message)
        if bad_items:
            self.errors.set(
                "items", f"{len(bad_items)} checklist answer(s) need correcting (see below)."
            )
        if problems or bad_items:
            return
        parts = self.parts.parts()  # raises a ValidationError shown next to the parts
        if self.plan.visit is not None and self.plan.continuing:
            self._continue(self.plan.visit, answers, parts)
            return
        completing = self.complete.isChecked()
        template = self.template.currentData()
        tech_png, customer_png = self.tech_pad.to_png(), self.customer_pad.to_png()
        customer = None
        if self.refused.isChecked() or customer_png is not None:
            customer = Signature(
                name=self.customer_name.text(),
                refused=self.refused.isChecked(),
                image=None if self.refused.isChecked() else customer_png,
            )
        notes = self.notes.toPlainText().strip()
        cmd = RecordVisit(
            elevator_id=self.unit.currentData(),
            type=VisitType(self.type.currentData()),
            scheduled_visit_id=self._scheduled_id(),
            template_id=template[0] if template else None,
            template_version=template[1] if template else None,
            incident_id=self.plan.incident.id if self.plan.incident else None,
            arrived_at=from_qt(self.arrived.dateTime()),
            departed_at=from_qt(self.departed.dateTime()) if completing else None,
            items=tuple(answers),
            parts=tuple(parts),
            notes=(notes,) if notes else (),
            photos=(),
            technician_signature=Signature(name=self.tech_name.text(), image=tech_png)
            if tech_png
            else None,
            customer_signoff=customer,
            complete=completing,
            lock=completing and self.lock.isChecked(),
        )
        item_photos = {
            k: list(r.photos)
            for k, r in self.checklist.rows.items()
            if r.photos and r.outcome() is None
        }
        backend, photos = self.session.backend, list(self.photos.paths)
        drafts, key = self.drafts, self.draft_key

        async def action(ctx: ServiceContext) -> Created:
            # Photos are read here, on the core worker: the Qt thread never waits on the disk.
            full = await asyncio.to_thread(with_photos, cmd, item_photos, photos)
            created = await record_visit(
                full, ctx=ctx, templates=backend.templates, blobs=backend.blobs
            )
            drafts.discard(key)
            return created

        self._pause_drafts()
        self.run(action, label="record the visit")

    def _pause_drafts(self) -> None:
        """No autosave while saving: the draft is dropped once the visit is stored."""
        self._timer.stop()
        self._restoring = True

    def _scheduled_id(self) -> UUID | None:
        visit = self.plan.visit
        return visit.id if visit is not None and self.plan.scheduled else None

    def _continue(self, visit: Visit, answers: list[ItemAnswer], parts: list[PartUsed]) -> None:
        self.parts.drop_empty()
        steps = self.continuation_steps(visit.id, answers, parts, from_qt(self.departed.dateTime()))
        runs, drafts, key = [s.run for s in steps], self.drafts, self.draft_key

        async def action(ctx: ServiceContext) -> StepsResult:
            result = await run_steps(runs, ctx)
            if result.error is None:
                drafts.discard(key)
            return result

        def stored(result: StepsResult) -> None:
            for step in steps[: result.done]:
                step.committed()
            if result.error is None:
                self._saved(result)
                return
            self._failed(result.error)
            if result.done:
                self.draft_status.setText(
                    f"{result.done} change(s) were stored; correct the rest and save again."
                )
            self._timer.start()

        self._pause_drafts()
        self.save_button.setEnabled(False)
        self._label = "record the visit"
        self.session.act(action, stored, label=self._label, parent=self, on_error=self._failed)
