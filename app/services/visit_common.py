"""What the visit use cases share that reads the store or stores blobs.

The pure rules they share (lifecycle guards, templates, item events, completion) are in
``app.domain.visit_rules``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from app.domain.commands import Signature
from app.domain.entities import Elevator, Site
from app.domain.errors import ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import VisitSigned
from app.domain.site_time import check_not_before
from app.domain.work import Incident, Visit
from app.services.common import must_get, store_blob, unit_and_site
from app.services.ports import BlobStore, UnitOfWork


async def load_visit(uow: UnitOfWork, visit_id: UUID) -> tuple[Visit, Elevator, Site]:
    """The visit, its unit and the unit's site."""
    visit = await must_get(uow.visits, visit_id, "visit")
    unit, site = await unit_and_site(uow, visit.elevator_id)
    return visit, unit, site


async def linked_incident(
    uow: UnitOfWork, incident_id: UUID | None, unit: Elevator, arrived_at: datetime, site: Site
) -> Incident | None:
    """The callback a visit answers: it must be for the same unit and reported before arrival."""
    if incident_id is None:
        return None
    incident = await must_get(uow.incidents, incident_id, "callback")
    if incident.elevator_id != unit.id:
        raise ValidationError(
            "That callback is for another unit.",
            field="incident_id",
            hint="Choose a callback logged for this unit.",
        )
    check_not_before(
        arrived_at,
        incident.reported_at,
        later_name="arrival",
        earlier_name="the callback report",
        field="arrived_at",
        time_zone=site.time_zone,
    )
    return incident


async def signature_event(
    visit_id: UUID, signer: str, signature: Signature, blobs: BlobStore
) -> NewEvent:
    """The sign-off event; the image goes to the blob store, the event keeps its hash."""
    digest = await store_blob(blobs, signature.image) if signature.image is not None else None
    payload = VisitSigned.model_validate(
        {
            "signer": signer,
            "name": signature.name,
            "signature_sha256": digest,
            "refused": signature.refused,
        }
    )
    return NewEvent(visit_id, payload)
