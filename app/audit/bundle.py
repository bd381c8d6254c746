"""Evidence bundles: one unit's record, exported so anyone can verify it offline.

A bundle is a UTF-8 JSON document::

    {"format": "sitesync-evidence/v2",
     "subject": {"entity_type": "elevator", "entity_id": "...", "name": "unit L1 at ..."},
     "generated_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
     "device_keys": {device_id: base64 Ed25519 public key},
     "events": [{"event_id", "device_id", "device_seq", "hash", "signature" (base64),
                 "canonical" (the exact canonical bytes as text)}, ...],
     "chains": {device_id: "hex hashes of the device's events, seq 1 to its newest bundled"},
     "ledger": {...}}  (optional: the server's checkpoint and inclusion proofs, app.audit.anchor)

The events are the unit's record (``app.audit.record``) in the order the exporting store
applied them. Verification checks, and names the first event and rule that fails:

- each event in full: strict parse, canonical bytes, hash, signature by the bundled key;
- its place in its device's chain (``chains``), which runs from seq 1 at the genesis value to
  exactly the device's newest bundled event; per device the events come in seq order;
- one organization for every event;
- every ``entity_parents`` hash is an earlier bundled event of the same record, so no event
  inside a record's history is missing or out of order;
- the subject: at least one event about it, every event about it or a record tied to it, and
  its name the one its signed events give.

What a bundle cannot prove on its own is in ``CANNOT_PROVE``: the chain hashes between bundled
events are the exporter's word, so cutting off a record's newest events (or leaving out a whole
record) and re-signing everything under a new key both need the server's ledger to detect.

With a ``ledger`` member, every inclusion proof is checked against the bundled checkpoint, and
with the server's key (``server_key``) the checkpoint's signature and origin too: then the
anchored events are proven to be in the server's ledger exactly as bundled (``ledger_claims``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from app.audit.anchor import AnchorReport, LedgerAnchor, ServerKey, check_anchor
from app.audit.bundle_document import (
    BUNDLE_FORMAT,
    SUBJECT_TYPE,
    BundleDocument,
    decode_b64,
    load_document,
)
from app.audit.canonical import parse_canonical
from app.audit.chain import DeviceHead, StoredEvent
from app.audit.envelope import (
    EventBody,
    event_hash,
    genesis_hash,
    parse_timestamp,
    signature_message,
)
from app.audit.errors import AuditError, ChainBroken, Rule
from app.audit.record import UnitName, UnitRecord
from app.audit.signing import verify_signature

__all__ = [
    "BUNDLE_FORMAT",
    "CANNOT_PROVE",
    "PROVES",
    "BundleReport",
    "build_bundle",
    "ledger_claims",
    "verify_bundle",
]

PROVES: Final = (
    "every event is signed by its device's key and unchanged, sits at its place in its "
    "device's chain, belongs to the unit's record, and no event inside a record's history is "
    "missing or out of order"
)
CANNOT_PROVE: Final = (
    "that the newest events of a record, or whole records, were not left out, and that the "
    "device keys in the bundle are the devices' real keys: both need the server's signed "
    "checkpoint"
)


@dataclass(frozen=True, slots=True)
class BundleReport:
    """What a verified bundle holds."""

    subject: dict[str, str]
    events: int
    records: int
    devices: int
    heads: dict[str, DeviceHead]
    ledger: AnchorReport | None = None
    """The ledger part, when the bundle carries one."""

    @property
    def name(self) -> str:
        """The subject's name, as its signed events give it."""
        return self.subject["name"]


def ledger_claims(ledger: AnchorReport) -> tuple[str, str]:
    """What the ledger part of a verified bundle proves, and what it does not."""
    under = f"the server's checkpoint of {ledger.size} ledger entries ({ledger.origin})"
    later = (
        f"; bundled events not under the checkpoint: {ledger.unanchored} (recorded after it, "
        "or not synced yet): for them only their devices' signatures speak"
        if ledger.unanchored
        else ""
    )
    if not ledger.signature_checked:
        return (
            f"every ledger proof ({ledger.anchored}) agrees with the bundled checkpoint",
            "anything about the server's ledger: the checkpoint's signature was not checked; "
            "run again with --server-key and the server's verifier key (from "
            "'sitesync-server status' or GET /api/v1/ledger/keys)" + later,
        )
    return (
        f"{under}, signed by the server key {ledger.key_name}, holds each "
        f"anchored event ({ledger.anchored}) with exactly these bytes and this signature: "
        "none was altered or re-signed under another key, no event inside a record's history "
        "up to its newest anchored event was removed, and none can be removed from the ledger "
        "later without breaking its signed, append-only history",
        "that the ledger holds no event of these records newer than the newest bundled one "
        "(a proof shows what the ledger holds, not what it lacks)" + later,
    )


def build_bundle(
    *,
    subject: Mapping[str, str],
    events: Sequence[StoredEvent],
    chains: Mapping[str, str],
    device_keys: Mapping[str, bytes],
    generated_at: str,
    ledger: LedgerAnchor | None = None,
) -> bytes:
    """Return the bundle document (UTF-8 JSON) for a record's events and their devices' chains
    (and the ledger's checkpoint and proofs of them, when anchored)."""
    parse_timestamp(generated_at)
    for ev in events:
        if not ev.canonical:
            raise ValueError(f"event {ev.event_id} has no canonical bytes to export")
    document: dict[str, object] = {
        "format": BUNDLE_FORMAT,
        "subject": dict(subject),
        "generated_at": generated_at,
        "device_keys": {
            device: base64.b64encode(key).decode() for device, key in sorted(device_keys.items())
        },
        "events": [
            {
                "event_id": ev.event_id,
                "device_id": ev.device_id,
                "device_seq": ev.device_seq,
                "hash": ev.hash,
                "signature": base64.b64encode(ev.signature).decode(),
                "canonical": ev.canonical.decode("utf-8"),
            }
            for ev in events
        ],
        "chains": dict(sorted(chains.items())),
    }
    if ledger is not None:
        document["ledger"] = ledger.to_json()
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


class _Check:
    """The verifier's running state over the bundle's events, in order."""

    def __init__(self, document: BundleDocument) -> None:
        self.document = document
        self.position = 0
        self.entry: dict[str, str | int] = {}
        self.organization: str | None = None
        self.last_seq: dict[str, int] = {}
        self.hashes: dict[str, set[str]] = {}  # per record: its bundled event hashes
        self.record = UnitRecord(document.subject_id)
        self.name = UnitName(document.subject_id)
        self.about: list[EventBody] = []
        self.signed: dict[str, tuple[str, bytes]] = {}
        """Each event's hash and signature, kept when the ledger part must be checked."""

    def broken(self, rule: str, detail: str) -> ChainBroken:
        seq = self.entry.get("device_seq")
        event_id, device_id = self.entry.get("event_id"), self.entry.get("device_id")
        return ChainBroken(
            rule,
            detail,
            position=self.position,
            event_id=event_id if type(event_id) is str else None,
            device_id=device_id if type(device_id) is str else None,
            device_seq=seq if type(seq) is int else None,
        )

    def event(self, entry: dict[str, str | int]) -> None:
        """Check the next bundled event, alone and against those before it."""
        self.position += 1
        self.entry = entry
        body, digest = self._authentic(entry)
        self._in_chain(body, digest)
        if self.organization is None:
            self.organization = body.organization_id
        elif body.organization_id != self.organization:
            raise self.broken(
                Rule.ORGANIZATION,
                f"organization {body.organization_id} differs from the bundle's "
                f"({self.organization})",
            )
        known = self.hashes.setdefault(body.entity_id, set())
        missing = [parent for parent in body.entity_parents if parent not in known]
        if missing:
            raise self.broken(
                Rule.ENTITY_PARENTS,
                f"its entity_parents name {missing[0]}, which is not an earlier event of "
                f"{body.entity_type} {body.entity_id} in the bundle: an event of that record "
                "is missing or out of order",
            )
        known.add(digest)
        self.record.note(body)
        self.name.note(body)
        self.about.append(_without_payload(body))

    def _authentic(self, entry: dict[str, str | int]) -> tuple[EventBody, str]:
        canonical_text, signature_text, digest = (
            entry["canonical"],
            entry["signature"],
            entry["hash"],
        )
        if not (
            isinstance(canonical_text, str)
            and isinstance(signature_text, str)
            and isinstance(digest, str)
        ):
            raise self.broken(Rule.BUNDLE_FORMAT, "hash, signature and canonical are strings")
        try:
            signature = decode_b64(signature_text, 64, "signature")
            canonical = canonical_text.encode("utf-8")
            body = EventBody.from_json(parse_canonical(canonical))
        except UnicodeEncodeError:
            raise self.broken(Rule.UTF8, "canonical text holds a lone surrogate") from None
        except AuditError as exc:
            raise self.broken(exc.rule, exc.message) from None
        for name in ("event_id", "device_id", "device_seq"):
            if entry[name] != getattr(body, name):
                raise self.broken(
                    Rule.STORED_FIELDS_MISMATCH,
                    f"listed {name} {entry[name]!r} differs from the signed body's",
                )
        if event_hash(canonical) != digest:
            raise self.broken(Rule.EVENT_HASH, "listed hash is not the hash of the canonical bytes")
        key = self.document.device_keys.get(body.device_id)
        if key is None:
            raise self.broken(Rule.UNKNOWN_DEVICE, "the bundle holds no key for this device")
        if not verify_signature(key, signature_message(digest), signature):
            raise self.broken(Rule.SIGNATURE, "signature does not verify with the bundled key")
        if self.document.ledger is not None:
            self.signed[body.event_id] = (digest, signature)
        return body, digest

    def _in_chain(self, body: EventBody, digest: str) -> None:
        device, seq = body.device_id, body.device_seq
        if seq <= self.last_seq.get(device, 0):
            raise self.broken(
                Rule.BUNDLE_ORDER,
                f"seq {seq} comes after seq {self.last_seq[device]} of the same device",
            )
        self.last_seq[device] = seq
        chain = self.document.chains.get(device, "")
        at = 64 * (seq - 1)
        prev = chain[at - 64 : at] if seq > 1 else genesis_hash(device)
        if chain[at : at + 64] != digest or body.prev_hash != prev:
            raise self.broken(
                Rule.LINK_SKELETON, "the event is not at its seq in its device's chain"
            )

    def finish(self) -> BundleReport:
        """Check what only the whole bundle shows: chains' ends, devices, the subject."""
        document = self.document
        if not self.position:
            raise AuditError(Rule.BUNDLE_SUBJECT, "the bundle holds no events")
        for device, chain in document.chains.items():
            if device not in self.last_seq:
                raise AuditError(Rule.BUNDLE_FORMAT, f"chains list device {device}, with no event")
            if len(chain) != 64 * self.last_seq[device]:
                raise AuditError(
                    Rule.LINK_SKELETON,
                    f"the chain of device {device} does not end at its newest bundled event "
                    f"(seq {self.last_seq[device]})",
                )
        extra = sorted(document.device_keys.keys() - self.last_seq.keys())
        if extra:
            raise AuditError(Rule.BUNDLE_FORMAT, f"device_keys list device {extra[0]}, no event")
        self._subject()
        return BundleReport(
            subject={
                "entity_type": SUBJECT_TYPE,
                "entity_id": document.subject_id,
                "name": document.subject_name,
            },
            events=self.position,
            records=len(self.hashes),
            devices=len(self.last_seq),
            heads={
                device: DeviceHead(len(chain) // 64, chain[-64:])
                for device, chain in sorted(document.chains.items())
            },
        )

    def _subject(self) -> None:
        subject = self.document.subject_id
        if self.record.unit_events == 0:
            raise AuditError(Rule.BUNDLE_SUBJECT, f"no event in the bundle is about {subject}")
        members = self.record.entities()
        for position, body in enumerate(self.about, start=1):
            problem = None
            if body.entity_id == subject and body.entity_type != SUBJECT_TYPE:
                problem = (
                    f"the subject is a {SUBJECT_TYPE}; this event calls it a {body.entity_type}"
                )
            elif body.entity_id not in members:
                problem = (
                    f"the event is about {body.entity_type} {body.entity_id}, which is not part "
                    f"of the record of {subject}"
                )
            if problem is not None:
                raise ChainBroken(
                    Rule.BUNDLE_SUBJECT,
                    problem,
                    position=position,
                    event_id=body.event_id,
                    device_id=body.device_id,
                    device_seq=body.device_seq,
                )
        if self.document.subject_name != self.name.name:
            raise AuditError(
                Rule.BUNDLE_SUBJECT,
                f"the subject is named {self.document.subject_name!r}, but its signed events "
                f"name it {self.name.name!r}",
            )


def _without_payload(body: EventBody) -> EventBody:
    """The body kept for the whole-bundle checks (its payload is not needed any more)."""
    return replace(body, payload={}, entity_parents=[])


def verify_bundle(data: bytes, server_key: ServerKey | None = None) -> BundleReport:
    """Verify an evidence bundle offline; raise AuditError/ChainBroken at the first failure.

    With ``server_key``, the bundle must carry the server's checkpoint, signed by that key
    for this organization's ledger (else rule ``ledger-missing``, ``checkpoint-signature`` or
    ``checkpoint-origin``).
    """
    document = load_document(data)
    check = _Check(document)
    for entry in document.events:
        check.event(entry)
    report = check.finish()
    if document.ledger is None:
        if server_key is not None:
            raise AuditError(
                Rule.LEDGER_MISSING,
                "the bundle carries no ledger checkpoint, so the server key can prove nothing "
                "about it; export it again after the unit's events have synced",
            )
        return report
    assert check.organization is not None  # a bundle with events has one
    ledger = check_anchor(
        document.ledger, check.signed, organization=check.organization, server_key=server_key
    )
    return replace(report, ledger=ledger)
