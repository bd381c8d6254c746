"""A small organization's log with real records, for evidence-bundle tests.

Two devices write, interleaved: a site, two units at it, a visit and a callback of unit L1, a
visit of unit L2, a user. Every event carries the entity_parents a store gives it (the
record's newest events the device knew), so a bundle can prove its records are whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from app.audit import EventBody, SealedEvent, StoredEvent, format_timestamp, genesis_hash, seal
from app.audit.canonical import JsonValue
from app.audit_export import export_record
from tests.unit.audit.factory import ACTOR, ORG, START, Device, make_device, stored, uid

SITE = uid(0x51, 1)
UNIT = uid(0xE1, 1)
OTHER_UNIT = uid(0xE1, 2)
VISIT = uid(0x71, 1)
OTHER_VISIT = uid(0x71, 2)
INCIDENT = uid(0x11, 1)
USER = uid(0x0A, 2)
GENERATED = "2025-03-09T09:00:00.000000Z"


@dataclass
class Log:
    """The organization's log in the order the store applied it, with each record's heads."""

    a: Device = field(default_factory=lambda: make_device(1))
    b: Device = field(default_factory=lambda: make_device(2))
    events: list[SealedEvent] = field(default_factory=list)
    heads: dict[str, list[str]] = field(default_factory=dict)

    def write(
        self,
        device: Device,
        entity_type: str,
        entity_id: str,
        event_type: str,
        payload: dict[str, JsonValue],
        *,
        organization: str = ORG,
    ) -> SealedEvent:
        seq = len(device.sealed) + 1
        body = EventBody(
            event_id=uid(0xE0 + device.number, seq),
            organization_id=organization,
            actor_id=ACTOR,
            device_id=device.device_id,
            device_seq=seq,
            prev_hash=device.sealed[-1].hash if device.sealed else genesis_hash(device.device_id),
            entity_type=entity_type,
            entity_id=entity_id,
            entity_parents=sorted(self.heads.get(entity_id, [])),
            type=event_type,
            type_version=1,
            occurred_at=format_timestamp(START + timedelta(minutes=len(self.events))),
            payload=payload,
        )
        sealed = seal(body, device.signer)
        device.sealed.append(sealed)
        self.events.append(sealed)
        self.heads[entity_id] = [sealed.hash]
        return sealed

    @property
    def stored(self) -> list[StoredEvent]:
        return [stored(s) for s in self.events]

    @property
    def keys(self) -> dict[str, bytes]:
        return {d.device_id: d.signer.public_key for d in (self.a, self.b)}

    def export(self, unit: str = UNIT) -> bytes:
        """The bundle the real exporter builds for ``unit`` from this log."""
        rows = self.stored

        async def read() -> AsyncGenerator[StoredEvent]:
            for row in rows:
                yield row

        async def build() -> bytes:
            bundle = await export_record(read, self.keys, UUID(unit), generated_at=GENERATED)
            return bundle.data

        return asyncio.run(build())

    def chain(self, device_id: str, upto: int) -> str:
        device = self.a if device_id == self.a.device_id else self.b
        return "".join(s.hash for s in device.sealed[:upto])


def make_log() -> Log:
    log = Log()
    a, b = log.a, log.b
    log.write(a, "user", USER, "user.registered", {"email": "t@example.com"})
    log.write(a, "site", SITE, "site.created", {"name": "Harbour View", "customer_id": uid(9, 1)})
    log.write(a, "elevator", UNIT, "elevator.registered", {"site_id": SITE, "unit_number": "L1"})
    log.write(
        a, "elevator", OTHER_UNIT, "elevator.registered", {"site_id": SITE, "unit_number": "L2"}
    )
    log.write(b, "visit", VISIT, "visit.scheduled", {"elevator_id": UNIT, "site_id": SITE})
    log.write(a, "elevator", UNIT, "elevator.updated", {"model": "MonoSpace"})
    log.write(b, "visit", VISIT, "visit.started", {"elevator_id": UNIT, "technician_id": USER})
    log.write(b, "visit", OTHER_VISIT, "visit.scheduled", {"elevator_id": OTHER_UNIT})
    log.write(b, "visit", VISIT, "visit.note_added", {"text": "doors adjusted"})
    log.write(b, "elevator", UNIT, "elevator.updated", {"floors_served": 8})  # after A's edit
    log.write(a, "incident", INCIDENT, "incident.opened", {"elevator_id": UNIT})
    log.write(
        a,
        "elevator",
        UNIT,
        "elevator.status_changed",
        {"new": "out_of_service", "incident_id": INCIDENT},
    )
    log.write(b, "visit", VISIT, "visit.completed", {})
    log.write(a, "site", SITE, "site.updated", {"name": "Harbour View Tower"})
    log.write(a, "elevator", UNIT, "elevator.status_changed", {"new": "operational"})
    log.write(b, "visit", OTHER_VISIT, "visit.started", {"elevator_id": OTHER_UNIT})
    return log


RECORD = {UNIT, SITE, VISIT, INCIDENT}
"""The records the bundle of UNIT holds: the unit, its site, its visit and its callback."""
