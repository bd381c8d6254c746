"""The event envelope: body fields, event hash, signature message and sealing.

Hashing and signing use fixed domain-separation prefixes so a hash or signature made for one
purpose can never be replayed as another:

- ``EVENT_HASH_PREFIX = b"sitesync/event/v1\\n"``:
  ``hash = SHA-256(EVENT_HASH_PREFIX || canonical body bytes)``, stored as 64 lowercase hex digits.
- ``SIGNATURE_PREFIX = b"sitesync/event-signature/v1\\n"``:
  ``signature = Ed25519(device key, SIGNATURE_PREFIX || 32 raw hash bytes)``.
- ``GENESIS_PREFIX = b"sitesync/genesis/v1\\n"``: the ``prev_hash`` of a device's first event
  (``device_seq`` 1) is ``SHA-256(GENESIS_PREFIX || device_id as ASCII)`` in lowercase hex.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

from app.audit.canonical import JsonValue, canonicalize
from app.audit.errors import ProfileViolation, Rule

if TYPE_CHECKING:
    from app.audit.signing import Signer

EVENT_HASH_PREFIX: Final = b"sitesync/event/v1\n"
SIGNATURE_PREFIX: Final = b"sitesync/event-signature/v1\n"
GENESIS_PREFIX: Final = b"sitesync/genesis/v1\n"

ENVELOPE_FIELDS: Final = (
    "event_id",
    "organization_id",
    "actor_id",
    "device_id",
    "device_seq",
    "prev_hash",
    "entity_type",
    "entity_id",
    "entity_parents",
    "type",
    "type_version",
    "occurred_at",
    "payload",
)
_FIELD_SET: Final = frozenset(ENVELOPE_FIELDS)
_UUID_FIELDS: Final = ("event_id", "organization_id", "actor_id", "device_id", "entity_id")

UUID_PATTERN: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HASH_PATTERN: Final = re.compile(r"[0-9a-f]{64}")
TIMESTAMP_PATTERN: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
)
_ENTITY_TYPE: Final = re.compile(r"[a-z][a-z0-9_]*")
_EVENT_TYPE: Final = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; naive ones are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ProfileViolation(Rule.TIMESTAMP_FORMAT, "naive datetime: give a timezone (UTC)")
    # isoformat, not strftime: glibc's %Y does not zero-pad years below 1000.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` into an aware UTC datetime."""
    if type(text) is not str or not TIMESTAMP_PATTERN.fullmatch(text):
        raise ProfileViolation(
            Rule.TIMESTAMP_FORMAT, f"{text!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC)"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ProfileViolation(Rule.TIMESTAMP_FORMAT, f"{text!r}: {exc}") from None


def genesis_hash(device_id: str) -> str:
    """Return the ``prev_hash`` of a device's first event."""
    return hashlib.sha256(GENESIS_PREFIX + device_id.encode()).hexdigest()


def event_hash(canonical: bytes) -> str:
    """Return the hex event hash of canonical body bytes."""
    return hashlib.sha256(EVENT_HASH_PREFIX + canonical).hexdigest()


def signature_message(event_hash_hex: str) -> bytes:
    """Return the bytes a device signs for an event hash."""
    return SIGNATURE_PREFIX + bytes.fromhex(event_hash_hex)


def _fail(rule: Rule, field: str, detail: str) -> ProfileViolation:
    return ProfileViolation(rule, f"field {field!r} {detail}")


def _check_body(value: dict[str, Any]) -> None:
    """Validate a decoded body against the envelope rules (field set, formats, types)."""
    if value.keys() != _FIELD_SET:
        missing = sorted(_FIELD_SET - value.keys())
        extra = sorted(value.keys() - _FIELD_SET)
        raise ProfileViolation(
            Rule.ENVELOPE_FIELDS, f"envelope fields wrong: missing {missing}, unexpected {extra}"
        )
    for name in _UUID_FIELDS:
        field = value[name]
        if type(field) is not str or not UUID_PATTERN.fullmatch(field):
            raise _fail(Rule.UUID_FORMAT, name, f"is not a lowercase UUID string: {field!r}")
    for name in ("device_seq", "type_version"):
        number = value[name]
        if type(number) is not int or number < 1:
            raise _fail(Rule.ENVELOPE_FIELDS, name, f"must be an integer >= 1, got {number!r}")
    prev = value["prev_hash"]
    if type(prev) is not str or not HASH_PATTERN.fullmatch(prev):
        raise _fail(Rule.HASH_FORMAT, "prev_hash", f"is not 64 lowercase hex digits: {prev!r}")
    parents = value["entity_parents"]
    if type(parents) is not list:
        raise _fail(Rule.ENVELOPE_FIELDS, "entity_parents", "must be a list of hashes")
    for parent in parents:
        if type(parent) is not str or not HASH_PATTERN.fullmatch(parent):
            raise _fail(Rule.HASH_FORMAT, "entity_parents", f"holds a non-hash {parent!r}")
    if any(a >= b for a, b in pairwise(parents)):
        raise _fail(Rule.ENVELOPE_FIELDS, "entity_parents", "must be sorted and unique")
    entity_type = value["entity_type"]
    if type(entity_type) is not str or not _ENTITY_TYPE.fullmatch(entity_type):
        raise _fail(
            Rule.ENVELOPE_FIELDS, "entity_type", f"must be like 'elevator': {entity_type!r}"
        )
    event_type = value["type"]
    if type(event_type) is not str or not _EVENT_TYPE.fullmatch(event_type):
        raise _fail(Rule.ENVELOPE_FIELDS, "type", f"must be like 'visit.recorded': {event_type!r}")
    parse_timestamp(value["occurred_at"])
    if type(value["payload"]) is not dict:
        raise _fail(Rule.ENVELOPE_FIELDS, "payload", "must be a JSON object")


@dataclass(frozen=True, slots=True)
class EventBody:
    """The signed fields of an event (everything but ``hash`` and ``signature``)."""

    event_id: str
    organization_id: str
    actor_id: str
    device_id: str
    device_seq: int
    prev_hash: str
    entity_type: str
    entity_id: str
    entity_parents: list[str]
    type: str
    type_version: int
    occurred_at: str
    payload: dict[str, JsonValue]

    def to_json(self) -> dict[str, JsonValue]:
        """Return the body as a JSON object ready for `canonicalize`."""
        return {
            "event_id": self.event_id,
            "organization_id": self.organization_id,
            "actor_id": self.actor_id,
            "device_id": self.device_id,
            "device_seq": self.device_seq,
            "prev_hash": self.prev_hash,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "entity_parents": list(self.entity_parents),
            "type": self.type,
            "type_version": self.type_version,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> EventBody:
        """Validate a decoded JSON object as an event body; raise ProfileViolation otherwise."""
        if type(value) is not dict:
            raise ProfileViolation(Rule.ENVELOPE_FIELDS, "an event body must be a JSON object")
        fields: dict[str, Any] = value
        _check_body(fields)
        return cls(
            fields["event_id"],
            fields["organization_id"],
            fields["actor_id"],
            fields["device_id"],
            fields["device_seq"],
            fields["prev_hash"],
            fields["entity_type"],
            fields["entity_id"],
            list(fields["entity_parents"]),
            fields["type"],
            fields["type_version"],
            fields["occurred_at"],
            fields["payload"],
        )


@dataclass(frozen=True, slots=True)
class SealedEvent:
    """A body with its canonical bytes, hex hash and 64-byte Ed25519 signature."""

    body: EventBody
    canonical: bytes
    hash: str
    signature: bytes


def seal(body: EventBody, signer: Signer) -> SealedEvent:
    """Validate, canonicalize, hash and sign a body."""
    value = body.to_json()
    _check_body(value)
    canonical = canonicalize(value)
    digest = event_hash(canonical)
    return SealedEvent(body, canonical, digest, signer.sign(signature_message(digest)))
