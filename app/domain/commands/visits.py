"""Commands of a maintenance visit: one entry at a time, or a whole form at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar, Literal, Self
from uuid import UUID

from pydantic import field_validator, model_validator

from app.domain.enums import ItemOutcome, VisitType
from app.domain.forms import MAX_LINE, Command, FormError
from app.domain.values import OptionalText, Text, UtcDatetime
from app.domain.work import PartUsed

MAX_BLOB_BYTES = 25 * 1024 * 1024
"""Largest photo or signature image accepted (25 MB)."""


def _check_blob(data: bytes | None, what: str) -> None:
    if data is None:
        return
    if not data:
        raise FormError(f"The {what} is empty.", hint=f"Take the {what} again.")
    if len(data) > MAX_BLOB_BYTES:
        raise FormError(
            f"The {what} is {len(data) // (1024 * 1024)} MB; the limit is "
            f"{MAX_BLOB_BYTES // (1024 * 1024)} MB.",
            hint="Use a lower camera resolution.",
        )


class ScheduleVisit(Command):
    elevator_id: UUID
    type: VisitType
    scheduled_date: date
    technician_id: UUID | None = None


class StartVisit(Command):
    """Start a scheduled visit (``visit_id``) or a new one on a unit (``elevator_id`` + type)."""

    visit_id: UUID | None = None
    elevator_id: UUID | None = None
    type: VisitType | None = None
    arrived_at: UtcDatetime | None = None
    template_id: OptionalText = None
    template_version: int | None = None
    incident_id: UUID | None = None

    @model_validator(mode="after")
    def _target(self) -> Self:
        if (self.visit_id is None) == (self.elevator_id is None):
            raise FormError("Choose either a scheduled visit or a unit to start a visit on.")
        if self.elevator_id is not None and self.type is None:
            raise FormError("Choose the visit type.", field="type")
        if self.template_version is not None and self.template_id is None:
            raise FormError("Choose the checklist template.", field="template_id")
        return self


class ItemAnswer(Command):
    """One checklist answer (inside a whole-visit form, or on its own with a visit id)."""

    key: Text
    outcome: ItemOutcome | None = None
    reading: OptionalText = None
    text: OptionalText = None
    photos: tuple[bytes, ...] = ()

    @field_validator("photos")
    @classmethod
    def _photos(cls, value: tuple[bytes, ...]) -> tuple[bytes, ...]:
        for data in value:
            _check_blob(data, "photo")
        return value


class RecordChecklistItem(ItemAnswer):
    """One checklist answer on a visit; the reading is kept as typed until evaluated."""

    visit_id: UUID


class AddPart(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"part_number": "The part number is required."}
    ONE_LINE: ClassVar[Mapping[str, int]] = {"part_number": MAX_LINE}
    visit_id: UUID
    part_number: Text
    description: OptionalText = None
    quantity: int = 1
    serials: tuple[Text, ...] = ()

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: int) -> int:
        if value < 1:
            raise FormError("The quantity must be at least 1.")
        return value

    def part(self) -> PartUsed:
        """The part as recorded on the visit."""
        serials = tuple(s for s in self.serials if s)
        return PartUsed(
            part_number=self.part_number,
            description=self.description,
            quantity=self.quantity,
            serials=serials,
        )


class AddNote(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"text": "The note is empty."}
    visit_id: UUID
    text: Text


class PhotoInput(Command):
    """A photo for a visit, optionally of one checklist item."""

    data: bytes
    caption: OptionalText = None
    item_key: OptionalText = None

    @field_validator("data")
    @classmethod
    def _data(cls, value: bytes) -> bytes:
        _check_blob(value, "photo")
        return value


class AttachPhoto(PhotoInput):
    """Attach one photo to a visit in progress."""

    visit_id: UUID


class Signature(Command):
    """A signature image, or a recorded refusal to sign (customers only)."""

    REQUIRED: ClassVar[Mapping[str, str]] = {"name": "The signer's name is required."}
    ONE_LINE: ClassVar[Mapping[str, int]] = {"name": MAX_LINE}
    name: Text
    image: bytes | None = None
    refused: bool = False

    @model_validator(mode="after")
    def _signed_or_refused(self) -> Self:
        _check_blob(self.image, "signature")
        if self.refused and self.image is not None:
            raise FormError("A refusal to sign cannot carry a signature.")
        if not self.refused and self.image is None:
            raise FormError("The signature is missing.", hint="Sign, or record a refusal.")
        return self


class SignVisit(Command):
    visit_id: UUID
    signer: Literal["technician", "customer"]
    signature: Signature

    @model_validator(mode="after")
    def _technician_signs(self) -> Self:
        if self.signer == "technician" and self.signature.refused:
            raise FormError("The technician must sign the visit.")
        return self


class CompleteVisit(Command):
    """Complete a visit (departure defaults to now); ``lock`` locks it at once."""

    visit_id: UUID
    departed_at: UtcDatetime | None = None
    lock: bool = False


class LockVisit(Command):
    visit_id: UUID


class CancelVisit(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"reason": "Say why the visit is cancelled."}
    visit_id: UUID
    reason: Text


class AddAddendum(Command):
    REQUIRED: ClassVar[Mapping[str, str]] = {"text": "The addendum is empty."}
    visit_id: UUID
    text: Text


class VisitEntries(Command):
    """What the visit form records on a visit: checklist answers, parts, notes, photos,
    sign-offs, and whether the visit is completed (and locked) with them.

    Shared by recording a whole visit and by continuing one in progress; the checks here need no
    stored state (the services check the rest).
    """

    departed_at: UtcDatetime | None = None
    items: tuple[ItemAnswer, ...] = ()
    parts: tuple[PartUsed, ...] = ()
    notes: tuple[Text, ...] = ()
    photos: tuple[PhotoInput, ...] = ()
    technician_signature: Signature | None = None
    customer_signoff: Signature | None = None
    complete: bool = True
    lock: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        seen: set[str] = set()
        for answer in self.items:
            if answer.key in seen:
                raise FormError(f"Checklist item '{answer.key}' is answered twice.", field="items")
            seen.add(answer.key)
        if self.technician_signature is not None and self.technician_signature.refused:
            raise FormError("The technician must sign the visit.", field="technician_signature")
        if self.lock and not self.complete:
            raise FormError("Only a completed visit can be locked.", field="lock")
        if self.complete and self.departed_at is None:
            raise FormError("Enter the departure time to complete the visit.", field="departed_at")
        for part in self.parts:
            if not part.part_number.strip() or part.quantity < 1:
                raise FormError(
                    "Every part needs a part number and a quantity of at least 1.", field="parts"
                )
        if any(not note for note in self.notes):
            raise FormError("A note is empty.", field="notes", hint="Remove it or write it.")
        return self


class RecordVisit(VisitEntries):
    """A whole visit form in one command: started, answered, signed, completed (and locked)."""

    elevator_id: UUID
    type: VisitType
    scheduled_visit_id: UUID | None = None
    template_id: OptionalText = None
    template_version: int | None = None
    incident_id: UUID | None = None
    arrived_at: UtcDatetime

    @model_validator(mode="after")
    def _template_chosen(self) -> Self:
        if self.template_version is not None and self.template_id is None:
            raise FormError("Choose the checklist template.", field="template_id")
        return self


class ContinueVisit(VisitEntries):
    """What was entered on a visit in progress since it was last saved, recorded in one go."""

    visit_id: UUID
