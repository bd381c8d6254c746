"""The sync wire contract: every request and answer the server and the devices exchange.

Both ends import these models (pydantic v2, ``extra="forbid"``, frozen): a field the other side
does not know is an error, never silently dropped. Binary values (canonical event bytes,
signatures, hashes inside proofs) travel as standard base64 with padding.

Versioning: a device sends ``PROTOCOL_HEADER: <version>`` on every ``/api/v1/sync`` request.
The server accepts ``PROTOCOL_VERSION`` and the one before it and answers any other version
with 426 ("update required"); the device keeps its queue. Ledger indexes are 1-based: the
entry with ledger index ``i`` is leaf ``i - 1`` of the organization's RFC 6962 tree, and a
tree of size ``n`` holds the entries ``1..n``, so a pull cursor is a tree size.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from app.domain.enums import Role

PROTOCOL_VERSION: Final = 1
"""The protocol version this code speaks."""
ACCEPTED_PROTOCOL_VERSIONS: Final = frozenset(
    v for v in (PROTOCOL_VERSION - 1, PROTOCOL_VERSION) if v
)
"""Versions a server accepts: the current one and the one before it."""
PROTOCOL_HEADER: Final = "SiteSync-Protocol"
"""The request header carrying the device's protocol version."""

MAX_PUSH_EVENTS: Final = 500
"""Events in one push, at most."""
MAX_PUSH_BYTES: Final = 1024 * 1024
"""Canonical event bytes in one push, at most (1 MiB)."""
MAX_PULL_LIMIT: Final = 1000
"""Entries in one pull page, at most."""
MAX_EVENT_BYTES: Final = 256 * 1024
"""Canonical bytes of one event, at most."""
MAX_INDEX: Final = 2**53 - 1
"""The largest ledger index or tree size a request may name."""


def _decode_b64(value: Any) -> Any:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not standard base64") from None
    return data


def b64(data: bytes) -> str:
    """Standard base64 text of ``data`` (what every binary field carries)."""
    return base64.b64encode(data).decode("ascii")


Base64 = Annotated[
    bytes,
    BeforeValidator(_decode_b64),
    PlainSerializer(b64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "byte"}),
]
"""Bytes carried as standard base64 text."""

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 as 64 lowercase hex digits."""


class WireModel(BaseModel):
    """Base of every wire model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# -- errors ------------------------------------------------------------------------------------


class ErrorBody(WireModel):
    """What went wrong, for a program (``code``) and a person (``message``)."""

    code: str
    message: str
    hint: str | None = None
    expected_device_seq: int | None = None
    """On ``SEQUENCE_GAP`` (409): the ``device_seq`` the server expects next from the device."""
    event_id: str | None = None
    """On an integrity error: the first event that broke a rule."""
    rule: str | None = None
    """On an integrity error: the rule it broke (``app.audit.Rule``)."""
    field: str | None = None
    """On a ``VALIDATION_ERROR`` a service raised: the request field it is about."""


class ErrorResponse(WireModel):
    """The one error envelope: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorBody


# -- sign-in -----------------------------------------------------------------------------------


class TokenRequest(WireModel):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(WireModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class TokenPair(WireModel):
    """A 15-minute access token (JWT) and a rotating refresh token (opaque, 7 days at most)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds the access token is valid."""
    refresh_token: str
    refresh_expires_at: datetime
    """When the refresh token's family ends: sign in again after it."""


class Me(WireModel):
    user_id: UUID
    organization_id: UUID
    email: str
    display_name: str
    role: Role
    organization_name: str = ""
    """The organization's name (a new store for it takes this name)."""


# -- devices -----------------------------------------------------------------------------------


class DeviceRegistration(WireModel):
    """A device's public key, registered for the signed-in user (the private key stays put)."""

    device_id: UUID
    public_key: Base64
    label: Annotated[str, Field(max_length=200)] = ""
    app_version: Annotated[str, Field(max_length=50)] = ""


class Device(WireModel):
    device_id: UUID
    user_id: UUID | None
    """None for the server's own device (it signs the events written through the REST API)."""
    public_key: Base64
    label: str
    app_version: str
    registered_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    head_seq: int
    """The ``device_seq`` of the device's last event in the ledger (0 before its first)."""
    clock_offset_seconds: float | None
    """Server clock minus device clock at its last push (positive: the device is behind)."""


# -- ledger ------------------------------------------------------------------------------------


MAX_COSIGNED_NOTE_CHARS: Final = 4096
"""Characters of one cosigned checkpoint note, at most."""
MAX_COSIGNATURE_UPLOAD: Final = 16
"""Cosigned notes in one upload, at most."""


class CosignedNote(WireModel):
    """A checkpoint a device verified and cosigned: the server's signed note with the device's
    C2SP ``cosignature/v1`` line added (``app.audit.cosignature``)."""

    device_id: UUID
    tree_size: int
    note: Annotated[str, Field(max_length=MAX_COSIGNED_NOTE_CHARS)]


class SignedCheckpoint(WireModel):
    """A signed tree head of the organization's ledger (C2SP checkpoint in a signed note)."""

    origin: str
    size: int
    root_hash: Base64
    note: str
    """The signed note: verify it against the pinned server key before trusting size or root."""
    cosignatures: list[CosignedNote] = []
    """Witnesses: the newest checkpoint each device cosigned (on pull and checkpoint answers).
    A device refuses a checkpoint that is not one history with all of them."""


class CosignatureUpload(WireModel):
    """Cosigned checkpoints of one device (its own cosignatures, newest last)."""

    device_id: UUID
    notes: Annotated[
        list[Annotated[str, Field(max_length=MAX_COSIGNED_NOTE_CHARS)]],
        Field(min_length=1, max_length=MAX_COSIGNATURE_UPLOAD),
    ]


class CosignatureResult(WireModel):
    tree_size: int | None
    """The size of the cosigned checkpoint (None: the note could not be read)."""
    stored: bool
    reason: str | None = None
    """Why it was not stored (a cosignature that does not verify, an unknown checkpoint)."""


class CosignatureUploadResponse(WireModel):
    results: list[CosignatureResult]
    """One per uploaded note, in order."""


class LedgerKey(WireModel):
    """A key that signs (or signed) checkpoints, as a C2SP verifier key string."""

    name: str
    key_id: str
    public_key: Base64
    verifier_key: str
    current: bool


class InclusionProof(WireModel):
    ledger_index: int
    tree_size: int
    leaf: Base64
    """The leaf bytes (``app.audit.ledger_leaf``); its RFC 6962 leaf hash is what is proved."""
    proof: list[Base64]
    checkpoint: SignedCheckpoint


class ConsistencyProof(WireModel):
    old_size: int
    new_size: int
    proof: list[Base64]
    checkpoint: SignedCheckpoint


# -- push --------------------------------------------------------------------------------------


class WireEvent(WireModel):
    """One sealed event as the device holds it: exact canonical bytes, hash and signature."""

    canonical: Base64
    hash: Sha256Hex
    signature: Base64


class PushRequest(WireModel):
    """Up to ``MAX_PUSH_EVENTS`` events of one device, contiguous by ``device_seq``."""

    device_id: UUID
    events: Annotated[list[WireEvent], Field(min_length=1)]
    sent_at: datetime | None = None
    """The device's clock when it sent the batch (for the server's skew estimate)."""
    known_size: int | None = Field(default=None, ge=0, le=MAX_INDEX)
    """The tree size of the device's last verified checkpoint: the answer proves consistency."""


class EventStatus(StrEnum):
    ACCEPTED = "accepted"
    CONFLICT = "conflict"
    """Accepted and applied, with conflict records (see ``conflicts``)."""
    REJECTED = "rejected"
    """Kept in the ledger, not applied; ``reason`` says why."""


class ConflictInfo(WireModel):
    conflict_id: UUID
    entity_type: str
    entity_id: UUID
    field: str
    kept_value: Any
    """The value in force: the later event in ledger order."""
    other_value: Any
    kept_event_id: UUID
    other_event_id: UUID


class EventResult(WireModel):
    event_id: UUID
    device_seq: int
    status: EventStatus
    duplicate: bool = False
    """True when the event was already in the ledger: this is its stored result."""
    ledger_index: int
    reason: str | None = None
    conflicts: list[ConflictInfo] = []


class PushResponse(WireModel):
    results: list[EventResult]
    checkpoint: SignedCheckpoint
    consistency_proof: list[Base64] | None = None
    """From ``known_size`` to the checkpoint, when the request gave ``known_size``."""
    server_time: datetime
    clock_skew_seconds: float | None = None
    """Server clock minus the device's ``sent_at``, when given."""


# -- pull and snapshot -------------------------------------------------------------------------


class LedgerEntry(WireModel):
    ledger_index: int
    received_at: str
    """The receive time the leaf commits to (``YYYY-MM-DDTHH:MM:SS.ffffffZ``)."""
    canonical: Base64
    hash: Sha256Hex
    signature: Base64
    status: EventStatus
    reason: str | None = None


class PullResponse(WireModel):
    entries: list[LedgerEntry]
    checkpoint: SignedCheckpoint
    """Every entry returned lies inside this checkpoint's tree."""
    consistency_proof: list[Base64] | None = None
    """From the request's ``known_size`` to the checkpoint, when given."""
    next_after: int
    """The cursor for the next page (the last ``ledger_index`` returned, or ``after``)."""
    more: bool


class SnapshotItem(WireModel):
    kind: str
    """``device``, an entity type (``elevator``...), ``status_change`` or ``conflict``."""
    key: str
    data: dict[str, Any]
    heads: list[str] = []
    """For entities: the hashes of their latest events at the snapshot's index."""
    state: dict[str, Any] | None = None
    """For entities: their whole fold state at that index (heads, the last writer of each
    field, open conflicts), so later edits meet what the server's fold meets."""


class SnapshotPage(WireModel):
    at: int
    """The ledger index the snapshot shows: pull from here once every page is in."""
    checkpoint: SignedCheckpoint
    items: list[SnapshotItem]
    next_cursor: str | None
    """Pass it back as ``cursor`` (with the same ``at``) for the next page; None at the end."""


# -- blobs -------------------------------------------------------------------------------------


class BlobStatus(WireModel):
    sha256: Sha256Hex
    size: int | None
    """Total size, once known (from a complete upload or a chunk's ``Content-Range``)."""
    received: int
    """Bytes received so far: resume the upload from this offset."""
    complete: bool
