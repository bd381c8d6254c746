"""A device as the tests drive it: a key, a chain, and events it signs and pushes."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from app.audit.envelope import EventBody, SealedEvent, format_timestamp, genesis_hash, seal
from app.audit.signing import Ed25519Signer
from app.domain.events import EventPayload
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

SYNC = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}


def wire(sealed: SealedEvent) -> dict[str, str]:
    """A sealed event as a push carries it."""
    return {
        "canonical": base64.b64encode(sealed.canonical).decode(),
        "hash": sealed.hash,
        "signature": base64.b64encode(sealed.signature).decode(),
    }


@dataclass
class Laptop:
    """One device of one user: signs a linear chain of events."""

    organization_id: UUID
    user_id: UUID
    signer: Ed25519Signer = field(default_factory=Ed25519Signer.generate)
    device_id: UUID = field(default_factory=uuid4)
    seq: int = 0
    prev: str = ""
    heads: dict[UUID, list[str]] = field(default_factory=dict)
    clock: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 8, 0, tzinfo=UTC))

    def event(
        self, entity_id: UUID, payload: EventPayload, *, parents: list[str] | None = None
    ) -> SealedEvent:
        """The next event of this device's chain (parents: what this device knows)."""
        self.seq += 1
        self.clock += timedelta(seconds=1)
        known = sorted(self.heads.get(entity_id, []) if parents is None else parents)
        body = EventBody(
            event_id=str(uuid4()),
            organization_id=str(self.organization_id),
            actor_id=str(self.user_id),
            device_id=str(self.device_id),
            device_seq=self.seq,
            prev_hash=self.prev or genesis_hash(str(self.device_id)),
            entity_type=payload.ENTITY,
            entity_id=str(entity_id),
            entity_parents=known,
            type=payload.TYPE,
            type_version=payload.VERSION,
            occurred_at=format_timestamp(self.clock),
            payload=payload.to_json(),
        )
        sealed = seal(body, self.signer)
        self.prev = sealed.hash
        self.heads[entity_id] = [sealed.hash]
        return sealed

    def learn(self, entity_id: UUID, hashes: list[str]) -> None:
        """Know these events of an entity (as after a pull)."""
        self.heads[entity_id] = sorted(hashes)

    def registration(self) -> dict[str, Any]:
        return {
            "device_id": str(self.device_id),
            "public_key": base64.b64encode(self.signer.public_key).decode(),
            "label": "test laptop",
            "app_version": "test",
        }

    async def register(self, api: httpx.AsyncClient, headers: dict[str, str]) -> None:
        response = await api.post("/api/v1/devices", json=self.registration(), headers=headers)
        assert response.status_code == 201, response.text

    async def push(
        self,
        api: httpx.AsyncClient,
        headers: dict[str, str],
        events: list[SealedEvent],
        **extra: Any,
    ) -> httpx.Response:
        body = {"device_id": str(self.device_id), "events": [wire(e) for e in events], **extra}
        return await api.post("/api/v1/sync/push", json=body, headers={**headers, **SYNC})
