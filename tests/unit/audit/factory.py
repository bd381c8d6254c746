"""Builders for real, signed device chains used by the audit tests."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from app.audit import (
    Ed25519Signer,
    EventBody,
    SealedEvent,
    StaticDeviceKeys,
    StoredEvent,
    format_timestamp,
    genesis_hash,
    seal,
)
from app.audit.canonical import JsonValue

ORG = "0190a1b2-0000-7000-8000-00000000000a"
ACTOR = "0190a1b2-0000-7000-8000-00000000000b"
ELEVATOR = "0190a1b2-0000-7000-8000-0000000000e1"
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def uid(kind: int, n: int) -> str:
    """Return a deterministic lowercase UUIDv7-shaped id."""
    return f"0190a1b2-{kind:04x}-7000-8000-{n:012x}"


@dataclass
class Device:
    """A device with its key and the events it sealed so far."""

    number: int
    signer: Ed25519Signer
    sealed: list[SealedEvent] = field(default_factory=list)

    @property
    def device_id(self) -> str:
        return uid(0xD, self.number)

    def next_body(self, payload: dict[str, JsonValue], *, entity_id: str = ELEVATOR) -> EventBody:
        seq = len(self.sealed) + 1
        prev = self.sealed[-1].hash if self.sealed else genesis_hash(self.device_id)
        return EventBody(
            event_id=uid(0xE0 + self.number, seq),
            organization_id=ORG,
            actor_id=ACTOR,
            device_id=self.device_id,
            device_seq=seq,
            prev_hash=prev,
            entity_type="elevator",
            entity_id=entity_id,
            entity_parents=[],
            type="elevator.status_changed",
            type_version=1,
            occurred_at=format_timestamp(START + timedelta(minutes=10 * seq + self.number)),
            payload=payload,
        )

    def append(self, payload: dict[str, JsonValue], *, entity_id: str = ELEVATOR) -> SealedEvent:
        sealed = seal(self.next_body(payload, entity_id=entity_id), self.signer)
        self.sealed.append(sealed)
        return sealed


def make_device(number: int) -> Device:
    return Device(number, Ed25519Signer(bytes([number]) * 32))


def stored(sealed: SealedEvent) -> StoredEvent:
    """The row a store would hold for a sealed event."""
    body = sealed.body
    return StoredEvent(
        event_id=body.event_id,
        device_id=body.device_id,
        device_seq=body.device_seq,
        prev_hash=body.prev_hash,
        hash=sealed.hash,
        signature=sealed.signature,
        canonical=sealed.canonical,
        entity_type=body.entity_type,
        entity_id=body.entity_id,
        type=body.type,
        type_version=body.type_version,
        occurred_at=body.occurred_at,
        actor_id=body.actor_id,
    )


def reseal(body: EventBody, signer: Ed25519Signer, **changes: object) -> StoredEvent:
    """Re-seal `body` with `changes` applied, as an attacker holding `signer` would."""
    return stored(seal(replace(body, **changes), signer))  # type: ignore[arg-type]


@dataclass
class World:
    """Two devices writing one interleaved stream of 30 events (A: 18, B: 12)."""

    a: Device
    b: Device
    stream: list[StoredEvent]
    bodies: dict[str, EventBody]

    @property
    def keys(self) -> StaticDeviceKeys:
        return StaticDeviceKeys(
            {self.a.device_id: self.a.signer.public_key, self.b.device_id: self.b.signer.public_key}
        )

    def position(self, device: Device, seq: int) -> int:
        """1-based position of a device's event in the stream."""
        for index, ev in enumerate(self.stream, start=1):
            if ev.device_id == device.device_id and ev.device_seq == seq:
                return index
        raise LookupError((device.device_id, seq))

    def event(self, device: Device, seq: int) -> StoredEvent:
        return self.stream[self.position(device, seq) - 1]


def make_world() -> World:
    a, b = make_device(1), make_device(2)
    stream: list[StoredEvent] = []
    statuses = ["running", "stopped", "maintenance", "running ✓"]
    for i in range(30):
        device = b if i % 5 in (1, 3) else a
        sealed = device.append({"status": statuses[i % 4], "reason": f"step {i}", "n": i})
        stream.append(stored(sealed))
    bodies = {s.hash: s.body for d in (a, b) for s in d.sealed}
    return World(a, b, stream, bodies)
