"""Evidence bundles: one unit's events, exported so anyone can verify them offline.

A bundle is a UTF-8 JSON document::

    {"format": "sitesync-evidence/v1",
     "subject": {"entity_type": "elevator", "entity_id": "..."},
     "generated_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
     "device_keys": {device_id: base64 Ed25519 public key},
     "events": [{"event_id", "device_id", "device_seq", "hash", "signature" (base64),
                 "canonical" (the exact canonical bytes as text)}],
     "links": {device_id: [[seq, prev_hash, hash], ...]}}   # seq 1..max bundled seq

Each event is verified in full (strict parse, canonical bytes, hash, signature by the bundled
key); each device's link skeleton must run from seq 1 at the genesis value without a gap or a
broken link, and every event must sit in its device's skeleton. The skeleton's entries between
bundled events are only claims: they show the events belong to one unbroken chain, not what the
events in between said. Cutting off a device's newest events needs the ledger to detect.
"""

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from app.audit.canonical import JsonValue, parse_canonical
from app.audit.chain import DeviceHead, StoredEvent
from app.audit.envelope import (
    HASH_PATTERN,
    UUID_PATTERN,
    EventBody,
    event_hash,
    genesis_hash,
    parse_timestamp,
    signature_message,
)
from app.audit.errors import AuditError, ChainBroken, ProfileViolation, Rule
from app.audit.signing import verify_signature

BUNDLE_FORMAT: Final = "sitesync-evidence/v1"
_DOC_KEYS: Final = frozenset(
    {"format", "subject", "generated_at", "device_keys", "events", "links"}
)
_EVENT_KEYS: Final = frozenset(
    {"event_id", "device_id", "device_seq", "hash", "signature", "canonical"}
)


@dataclass(frozen=True, slots=True)
class BundleReport:
    """What a verified bundle holds."""

    subject: dict[str, JsonValue]
    events: int
    devices: int
    heads: dict[str, DeviceHead]


def build_bundle(
    *,
    subject: dict[str, JsonValue],
    events: Sequence[StoredEvent],
    links: Mapping[str, Sequence[tuple[int, str, str]]],
    device_keys: Mapping[str, bytes],
    generated_at: str,
) -> bytes:
    """Return the bundle document (pretty UTF-8 JSON) for `events` and their chain skeletons."""
    parse_timestamp(generated_at)
    for ev in events:
        if not ev.canonical:
            raise ValueError(f"event {ev.event_id} has no canonical bytes to export")
    document = {
        "format": BUNDLE_FORMAT,
        "subject": subject,
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
        "links": {
            device: [[seq, prev, digest] for seq, prev, digest in chain]
            for device, chain in sorted(links.items())
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _format(detail: str) -> AuditError:
    return AuditError(Rule.BUNDLE_FORMAT, detail)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _format("a JSON object in the bundle repeats a key")
    return result


def _b64(text: Any, size: int, what: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True) if type(text) is str else b""
    except (binascii.Error, ValueError):
        data = b""
    if len(data) != size:
        raise _format(f"{what} is not base64 of {size} bytes")
    return data


def _load(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _format(f"not a JSON document: {exc}") from None
    if type(document) is not dict or document.keys() != _DOC_KEYS:
        raise _format(f"a bundle is an object with exactly {sorted(_DOC_KEYS)}")
    if document["format"] != BUNDLE_FORMAT:
        raise _format(f"format {document['format']!r} is not {BUNDLE_FORMAT!r}")
    if type(document["subject"]) is not dict:
        raise _format("subject must be an object")
    try:
        parse_timestamp(document["generated_at"])
    except ProfileViolation as exc:
        raise _format(f"generated_at: {exc}") from None
    if type(document["device_keys"]) is not dict or type(document["links"]) is not dict:
        raise _format("device_keys and links must be objects keyed by device id")
    if type(document["events"]) is not list:
        raise _format("events must be a list")
    return document


def _check_skeleton(device: str, chain: Any) -> dict[int, tuple[str, str]]:
    """Check one device's link skeleton; return seq -> (prev_hash, hash)."""
    if not UUID_PATTERN.fullmatch(device) or type(chain) is not list:
        raise _format(f"links of {device!r} must be a list under a device id")
    skeleton: dict[int, tuple[str, str]] = {}
    expected_prev = genesis_hash(device)
    for position, entry in enumerate(chain, start=1):
        if (
            type(entry) is not list
            or len(entry) != 3
            or type(entry[0]) is not int
            or not all(type(h) is str and HASH_PATTERN.fullmatch(h) for h in entry[1:])
        ):
            raise ChainBroken(
                Rule.BUNDLE_FORMAT,
                "a link is [seq, prev_hash, hash] with 64-hex hashes",
                position=position,
                device_id=device,
            )
        seq, prev, digest = entry
        if seq != position:
            raise ChainBroken(
                Rule.DEVICE_SEQ_CONTIGUOUS,
                f"link skeleton expected seq {position}, got {seq}",
                position=position,
                device_id=device,
                device_seq=seq,
            )
        if prev != expected_prev:
            raise ChainBroken(
                Rule.PREV_HASH_LINK,
                "link skeleton's prev_hash is not the previous hash"
                if seq > 1
                else "link skeleton does not start at the device's genesis value",
                position=position,
                device_id=device,
                device_seq=seq,
            )
        skeleton[seq] = (prev, digest)
        expected_prev = digest
    return skeleton


def _check_event(
    position: int,
    entry: Any,
    keys: Mapping[str, bytes],
    skeletons: Mapping[str, Mapping[int, tuple[str, str]]],
) -> EventBody:
    """Verify one bundled event in full and its place in the device's skeleton."""

    def broken(rule: str, detail: str) -> ChainBroken:
        ids = entry if type(entry) is dict else {}
        seq = ids.get("device_seq")
        return ChainBroken(
            rule,
            detail,
            position=position,
            event_id=ids.get("event_id") if type(ids.get("event_id")) is str else None,
            device_id=ids.get("device_id") if type(ids.get("device_id")) is str else None,
            device_seq=seq if type(seq) is int else None,
        )

    if type(entry) is not dict or entry.keys() != _EVENT_KEYS:
        raise broken(
            Rule.BUNDLE_FORMAT, f"an event is an object with exactly {sorted(_EVENT_KEYS)}"
        )
    canonical_text, signature_text = entry["canonical"], entry["signature"]
    if not all(type(entry[name]) is str for name in ("event_id", "device_id", "hash", "canonical")):
        raise broken(Rule.BUNDLE_FORMAT, "event_id, device_id, hash and canonical are strings")
    if type(entry["device_seq"]) is not int:
        raise broken(Rule.BUNDLE_FORMAT, "device_seq is an integer")
    try:
        signature = _b64(signature_text, 64, "signature")
        canonical = canonical_text.encode("utf-8")
        body = EventBody.from_json(parse_canonical(canonical))
    except UnicodeEncodeError:
        raise broken(Rule.UTF8, "canonical text holds a lone surrogate") from None
    except AuditError as exc:
        raise broken(exc.rule, exc.message) from None
    for name in ("event_id", "device_id", "device_seq"):
        if entry[name] != getattr(body, name):
            raise broken(
                Rule.STORED_FIELDS_MISMATCH,
                f"listed {name} {entry[name]!r} differs from the signed body's",
            )
    digest = entry["hash"]
    if event_hash(canonical) != digest:
        raise broken(Rule.EVENT_HASH, "listed hash is not the hash of the canonical bytes")
    key = keys.get(body.device_id)
    if key is None:
        raise broken(Rule.UNKNOWN_DEVICE, "the bundle holds no key for this device")
    if not verify_signature(key, signature_message(digest), signature):
        raise broken(Rule.SIGNATURE, "signature does not verify with the bundled device key")
    link = skeletons.get(body.device_id, {}).get(body.device_seq)
    if link != (body.prev_hash, digest):
        raise broken(Rule.LINK_SKELETON, "event is not at its seq in the device's link skeleton")
    return body


def verify_bundle(data: bytes) -> BundleReport:
    """Verify an evidence bundle offline; raise AuditError/ChainBroken at the first failure."""
    document = _load(data)
    keys = {
        device: _b64(text, 32, f"key of device {device!r}")
        for device, text in document["device_keys"].items()
    }
    skeletons = {
        device: _check_skeleton(device, chain) for device, chain in document["links"].items()
    }
    seen: set[str] = set()
    devices: set[str] = set()
    for position, entry in enumerate(document["events"], start=1):
        body = _check_event(position, entry, keys, skeletons)
        if body.event_id in seen:
            raise ChainBroken(
                Rule.BUNDLE_FORMAT,
                "event listed twice",
                position=position,
                event_id=body.event_id,
                device_id=body.device_id,
                device_seq=body.device_seq,
            )
        seen.add(body.event_id)
        devices.add(body.device_id)
    heads = {  # skeletons run 1..n without gaps, so the head is entry n
        device: DeviceHead(len(skeletons[device]), skeletons[device][len(skeletons[device])][1])
        for device in sorted(devices)
    }
    return BundleReport(
        subject=document["subject"], events=len(seen), devices=len(devices), heads=heads
    )
