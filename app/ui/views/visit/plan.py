"""What a visit form is for (a new visit, a scheduled one, a callback, the rest of one in
progress), and what it loads on the core worker before it is filled in."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from PySide6.QtGui import QImage

from app.domain.enums import VisitStatus, VisitType
from app.domain.errors import ConflictError, NotFoundError
from app.domain.work import Incident, Visit
from app.services.ports import BlobStore, UnitOfWorkFactory
from app.services.queries import FleetRow
from app.ui.backend import Backend
from app.ui.drafts import DraftStore
from app.ui.format import label, when
from app.ui.views.visit.parts_and_photos import thumbnail


@dataclass(frozen=True, slots=True)
class VisitPlan:
    """The visit form's subject; ``visit`` is a scheduled or in-progress visit."""

    elevator_id: UUID | None = None
    visit: Visit | None = None
    incident: Incident | None = None

    @property
    def unit_id(self) -> UUID | None:
        if self.visit is not None:
            return self.visit.elevator_id
        return self.incident.elevator_id if self.incident is not None else self.elevator_id

    @property
    def continuing(self) -> bool:
        """Recording the rest of a visit already started."""
        return self.visit is not None and self.visit.status is VisitStatus.IN_PROGRESS

    @property
    def scheduled(self) -> bool:
        return self.visit is not None and self.visit.status is VisitStatus.SCHEDULED

    @property
    def visit_type(self) -> VisitType | None:
        """The type the plan fixes (None lets the technician choose)."""
        if self.visit is not None:
            return self.visit.type
        return VisitType.CALLBACK if self.incident is not None else None

    @property
    def draft_key(self) -> str:
        if self.visit is not None:
            return f"visit-{self.visit.id}"
        if self.incident is not None:
            return f"callback-{self.incident.id}"
        return f"visit-{self.elevator_id or 'new'}"

    @property
    def title(self) -> str:
        if self.continuing:
            return "Continue the visit"
        if self.scheduled:
            return "Start the scheduled visit"
        return "Attend the callback" if self.incident is not None else "Record a visit"

    def describe(self) -> str:
        """One line about what is being recorded (empty for a plain new visit)."""
        if self.incident is not None:
            trapped = " — ENTRAPMENT" if self.incident.entrapment else ""
            return (
                f"Callback reported {when(self.incident.reported_at)}: "
                f"{self.incident.reported_trouble}{trapped}"
            )
        if self.visit is None:
            return ""
        if self.scheduled:
            due = self.visit.scheduled_date.isoformat() if self.visit.scheduled_date else "—"
            return f"{label(self.visit.type)} visit scheduled for {due}"
        return f"{label(self.visit.type)} visit in progress since {when(self.visit.arrived_at)}"

    def reference(self) -> dict[str, str]:
        """What a draft remembers to reopen the same form."""
        return {
            "unit": str(self.unit_id or ""),
            "visit": str(self.visit.id) if self.visit else "",
            "incident": str(self.incident.id) if self.incident else "",
        }


def parse_uuid(text: object) -> UUID | None:
    """A UUID from a draft's text, or None if there is none."""
    try:
        return UUID(str(text)) if text else None
    except ValueError:
        return None


async def plan_from_reference(uow_factory: UnitOfWorkFactory, ref: dict[str, str]) -> VisitPlan:
    """The plan a saved draft was for, with the visit and callback as stored now."""
    visit_id, incident_id = parse_uuid(ref.get("visit")), parse_uuid(ref.get("incident"))
    async with uow_factory() as uow:
        visit = await uow.visits.get(visit_id) if visit_id else None
        incident = await uow.incidents.get(incident_id) if incident_id else None
    if visit_id and visit is None:
        raise NotFoundError("The visit of this draft is no longer in the store.")
    if visit is not None and visit.status not in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS):
        raise ConflictError(
            f"The visit of this draft was {visit.status.value.replace('_', ' ')} meanwhile; "
            "the draft can no longer be applied to it.",
            hint="Discard the draft. To correct the visit, add an addendum to it.",
        )
    return VisitPlan(elevator_id=parse_uuid(ref.get("unit")), visit=visit, incident=incident)


@dataclass(frozen=True, slots=True)
class FormData:
    """What the form shows when it opens."""

    units: list[FleetRow]
    draft: dict[str, Any] | None
    visit: Visit | None = None
    photos: list[tuple[str, QImage | None]] = field(default_factory=list)
    signatures: dict[str, QImage | None] = field(default_factory=dict)


async def _image(blobs: BlobStore, sha256: str, thumb: bool) -> QImage | None:
    data = await blobs.get(sha256)
    if data is None:
        return None
    if thumb:
        return await asyncio.to_thread(thumbnail, data)
    image = QImage.fromData(data)
    return None if image.isNull() else image


async def load_form(backend: Backend, plan: VisitPlan, drafts: DraftStore, today: date) -> FormData:
    """The units, the saved draft, and the visit as stored with its photos and signatures."""
    units = await backend.figures.rows(today=today)
    draft = drafts.load(plan.draft_key)
    if plan.visit is None:
        return FormData(units, draft)
    async with backend.unit_of_work() as uow:
        visit = await uow.visits.get(plan.visit.id)
    if visit is None:
        raise NotFoundError("The visit was not found.", hint="Refresh the list and try again.")
    photos = [
        (
            photo.caption or f"photo {photo.sha256[:8]}",
            await _image(backend.blobs, photo.sha256, True),
        )
        for photo in visit.photos
    ]
    signatures: dict[str, QImage | None] = {}
    for signer, sign in (
        ("technician", visit.technician_signature),
        ("customer", visit.customer_signoff),
    ):
        if sign is not None and sign.signature_sha256:
            signatures[signer] = await _image(backend.blobs, sign.signature_sha256, False)
    return FormData(units, draft, visit, photos, signatures)
