"""Helpers every service shares: running a decision, loading records, common checks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from app.audit.errors import ProfileViolation
from app.domain.entities import Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.errors import NotFoundError, ValidationError
from app.domain.events import NewEvent
from app.domain.forms import user_error
from app.domain.payloads import ElevatorStatusChanged
from app.domain.status import ensure_in_service_record
from app.services.context import Changes, ServiceContext
from app.services.ports import BlobStore, Repository, UnitOfWork
from app.services.recorder import Decide, execute


@dataclass(frozen=True, slots=True)
class Created:
    """The result of a use case that creates a record: its new id and what changed."""

    id: UUID
    changes: Changes


async def run(ctx: ServiceContext, decide: Decide) -> Changes:
    """Run one user action (see ``recorder.execute``); pydantic errors become ours."""
    try:
        return await execute(ctx, decide)
    except PydanticValidationError as exc:
        raise user_error(exc) from exc
    except ProfileViolation as exc:  # a value no event may carry (commands normally catch it)
        raise ValidationError(
            f"This input cannot be recorded: {exc.message}.",
            hint="Remove unusual characters or numbers and try again.",
        ) from exc


async def must_get[T](repo: Repository[T], entity_id: UUID, what: str) -> T:
    """The current projection of ``entity_id``; raise NotFoundError naming ``what``."""
    found = await repo.get(entity_id)
    if found is None:
        raise NotFoundError(
            f"The {what} was not found.",
            hint="It may not have synced to this device yet; refresh and try again.",
        )
    return found


async def unit_and_site(uow: UnitOfWork, elevator_id: UUID) -> tuple[Elevator, Site]:
    """The unit and its site."""
    unit = await must_get(uow.elevators, elevator_id, "unit")
    return unit, await must_get(uow.sites, unit.site_id, "site")


async def changeable_unit(uow: UnitOfWork, elevator_id: UUID) -> tuple[Elevator, Site]:
    """The unit and its site; raise if the unit is decommissioned."""
    unit, site = await unit_and_site(uow, elevator_id)
    ensure_in_service_record(unit, site)
    return unit, site


def status_change(
    unit: Elevator,
    new: ElevatorStatus,
    reason: str,
    *,
    cause: DowntimeCause | None = None,
    incident_id: UUID | None = None,
    effective_at: datetime | None = None,
) -> NewEvent:
    """The event moving ``unit`` from its current status to ``new`` (from ``effective_at`` when
    that is given: a change recorded after the fact)."""
    payload = ElevatorStatusChanged(
        previous=unit.status,
        new=new,
        reason=reason,
        cause=cause,
        incident_id=incident_id,
        effective_at=effective_at,
    )
    return NewEvent(unit.id, payload)


def blob_hash(data: bytes) -> str:
    """The SHA-256 (lowercase hex) a content-addressed blob store files ``data`` under."""
    return hashlib.sha256(data).hexdigest()


async def store_blob(blobs: BlobStore, data: bytes) -> str:
    """Store ``data`` and return its hash, checking the store agrees on it."""
    digest = await blobs.put(data)
    if digest != blob_hash(data):
        raise ValueError("the blob store returned a hash that is not the SHA-256 of the data")
    return digest


class Named(Protocol):
    """A record people tell apart by its name (a customer, a site)."""

    @property
    def id(self) -> UUID: ...

    @property
    def name(self) -> str: ...


def refuse_taken_name(
    existing: Named | None, message: str, *, kind: str, exclude: UUID | None
) -> None:
    """Raise unless no record holds the name, or only ``exclude`` (the one being renamed) does.

    ``message`` names the clash (``{name}`` in it becomes the existing record's name); ``kind``
    is what the record is, for the hint.
    """
    if existing is not None and existing.id != exclude:
        raise ValidationError(
            message.format(name=existing.name),
            field="name",
            hint=f"Open the existing {kind}, or choose another name.",
        )


def changed_fields(current: Any, requested: dict[str, Any]) -> dict[str, Any]:
    """The requested field values that differ from ``current``'s."""
    return {k: v for k, v in requested.items() if getattr(current, k) != v}


def given_fields(cmd: BaseModel, *, key: str) -> dict[str, Any]:
    """The fields an edit command gives, but ``key`` (the id of the record it edits)."""
    return {name: getattr(cmd, name) for name in cmd.model_fields_set - {key}}
