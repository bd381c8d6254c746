"""What the visit form asks for, as one command: its values in, a RecordVisit or ContinueVisit
out. Pure (no widgets, no disk), so the mapping is tested without a window.

The form's parts read their widgets into :class:`VisitFormValues`; :func:`problems` lists what
must be corrected before anything is sent, and :func:`visit_command` builds the command. Photo
files are only named here: they are read on the core worker (``parts_and_photos.with_photos``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from app.domain.commands import ContinueVisit, ItemAnswer, RecordVisit, Signature
from app.domain.enums import VisitType
from app.domain.errors import ValidationError
from app.domain.wording import plural
from app.domain.work import PartUsed
from app.ui.views.visit.plan import VisitPlan

type PartRow = tuple[str, str, str, str]
"""A new row of the parts table as typed: part number, description, quantity, serials."""


@dataclass(frozen=True, slots=True)
class SignatureEntry:
    """One signature field: the name typed, a new drawing (PNG), a refusal, or one on record."""

    name: str = ""
    drawing: bytes | None = None
    refused: bool = False
    recorded: bool = False
    """Already signed on the stored visit: shown, never recorded again."""

    @property
    def given(self) -> bool:
        return self.recorded or self.drawing is not None


@dataclass(frozen=True, slots=True)
class VisitFormValues:
    """Everything the visit form holds when it is saved."""

    unit_id: UUID | None
    visit_type: VisitType
    template: tuple[str, int] | None
    arrived_at: datetime
    departed_at: datetime
    answers: tuple[ItemAnswer, ...] = ()
    unanswered: tuple[str, ...] = ()
    """Labels of the mandatory checklist items not answered yet."""
    item_photos: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Photo files of the answered photo items, by item key."""
    parts: tuple[PartRow, ...] = ()
    note: str = ""
    photos: tuple[str, ...] = ()
    """Photo files of the visit."""
    technician: SignatureEntry = SignatureEntry()
    customer: SignatureEntry = SignatureEntry()
    complete: bool = True
    lock: bool = True


def problems(values: VisitFormValues, plan: VisitPlan) -> list[tuple[str, str]]:
    """What must be corrected before anything is sent: (field, message)."""
    found: list[tuple[str, str]] = []
    completing = values.complete
    if values.unit_id is None:
        found.append(("elevator_id", "Choose the unit you worked on."))
    missing = values.unanswered
    if completing and missing:
        names = ", ".join(missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        found.append(
            ("items", f"{plural(len(missing), 'mandatory item')} not recorded yet: {names}{more}.")
        )
    if values.departed_at < values.arrived_at:
        found.append(("departed_at", "Departure is before arrival. Check the times."))
    if plan.incident is not None and values.arrived_at < plan.incident.reported_at:
        found.append(("arrived_at", "Arrival is before the callback was reported."))
    technician, customer = values.technician, values.customer
    if completing and not technician.given:
        found.append(("technician_signature", "Sign the visit before completing it."))
    if completing and not customer.refused and not customer.given:
        found.append(("customer_signoff", "Ask the customer to sign, or tick 'refused to sign'."))
    if (customer.refused or customer.given) and not customer.name.strip():
        found.append(("customer_signoff", "Enter the customer's name."))
    return found


def parse_parts(rows: tuple[PartRow, ...]) -> tuple[PartUsed, ...]:
    """The parts typed; rows without a part number are ignored.

    Raises a ValidationError (field ``parts``) on a bad quantity.
    """
    parts = []
    for number, description, quantity, serials in rows:
        if not number:
            continue
        if not quantity.isdigit() or int(quantity) < 1:
            raise ValidationError(
                f"The quantity of part {number} must be a whole number of at least 1.",
                field="parts",
            )
        parts.append(
            PartUsed(
                part_number=number,
                description=description or None,
                quantity=int(quantity),
                serials=tuple(s.strip() for s in serials.split(",") if s.strip()),
            )
        )
    return tuple(parts)


def _signature(entry: SignatureEntry) -> Signature | None:
    """A new signature or refusal to record; None if there is none (or it is on record)."""
    if entry.recorded or not (entry.refused or entry.drawing is not None):
        return None
    return Signature(
        name=entry.name, refused=entry.refused, image=None if entry.refused else entry.drawing
    )


def visit_command(values: VisitFormValues, plan: VisitPlan) -> RecordVisit | ContinueVisit:
    """The command the form's values ask for: the rest of a visit in progress, or a whole visit.

    Photos are left out (read later, see ``with_photos``). Raises a ValidationError on bad input.
    """
    note = values.note.strip()
    entries = {
        "departed_at": values.departed_at if values.complete else None,
        "items": values.answers,
        "parts": parse_parts(values.parts),
        "notes": (note,) if note else (),
        "technician_signature": _signature(values.technician),
        "customer_signoff": _signature(values.customer),
        "complete": values.complete,
        "lock": values.complete and values.lock,
    }
    visit = plan.visit
    if visit is not None and plan.continuing:
        return ContinueVisit(visit_id=visit.id, **entries)
    template = values.template
    return RecordVisit(
        elevator_id=values.unit_id,
        type=values.visit_type,
        scheduled_visit_id=visit.id if visit is not None and plan.scheduled else None,
        template_id=template[0] if template else None,
        template_version=template[1] if template else None,
        incident_id=plan.incident.id if plan.incident else None,
        arrived_at=values.arrived_at,
        **entries,
    )
