"""Helpers every service shares: running a decision, loading records, common checks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError as PydanticValidationError

from app.audit.errors import ProfileViolation
from app.domain.entities import Elevator, Site
from app.domain.enums import DowntimeCause, ElevatorStatus
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.events import NewEvent
from app.domain.forms import user_error
from app.domain.payloads import ElevatorStatusChanged
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


def ensure_in_service_record(unit: Elevator, site: Site) -> None:
    """Raise unless the unit may still change (it is not decommissioned)."""
    if not unit.active:
        raise ConflictError(
            f"Unit '{unit.unit_number}' at {site.name} is decommissioned; it can no longer change.",
            hint="Decommissioned units are kept for the record only. If it was replaced, "
            "register the replacement unit.",
        )


async def changeable_unit(uow: UnitOfWork, elevator_id: UUID) -> tuple[Elevator, Site]:
    """The unit and its site; raise if the unit is decommissioned."""
    unit, site = await unit_and_site(uow, elevator_id)
    ensure_in_service_record(unit, site)
    return unit, site


def local_time(moment: datetime, time_zone: str, *, with_date: bool) -> str:
    """``moment`` in the site's time zone: ``HH:MM`` or ``YYYY-MM-DD HH:MM``."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def check_not_before(
    later: datetime,
    earlier: datetime,
    *,
    later_name: str,
    earlier_name: str,
    field: str,
    time_zone: str,
) -> None:
    """Raise a ValidationError if ``later`` is before ``earlier`` (times shown at the site)."""
    if later >= earlier:
        return
    day = local_time(later, time_zone, with_date=True)[:10]
    with_date = day != local_time(earlier, time_zone, with_date=True)[:10]
    shown_later = local_time(later, time_zone, with_date=with_date)
    shown_earlier = local_time(earlier, time_zone, with_date=with_date)
    raise ValidationError(
        f"{later_name.capitalize()} {shown_later} is before {earlier_name} {shown_earlier}.",
        field=field,
        hint=f"Check the {later_name} time.",
    )


def status_change(
    unit: Elevator,
    new: ElevatorStatus,
    reason: str,
    *,
    cause: DowntimeCause | None = None,
    incident_id: UUID | None = None,
) -> NewEvent:
    """The event moving ``unit`` from its current status to ``new``."""
    payload = ElevatorStatusChanged(
        previous=unit.status, new=new, reason=reason, cause=cause, incident_id=incident_id
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


def changed_fields(current: Any, requested: dict[str, Any]) -> dict[str, Any]:
    """The requested field values that differ from ``current``'s."""
    return {k: v for k, v in requested.items() if getattr(current, k) != v}
