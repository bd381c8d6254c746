"""Reading an evidence bundle document with every size bounded, before any event is checked.

A bundle comes from outside and may be hostile: a file of any size, millions of tiny JSON
values, strings of megabytes where a hash belongs, nesting without end. A general JSON parser
would build whatever the file describes before anything could be checked, so the document is
read by a small reader that accepts only the bundle's own shape (a fixed set of members, flat
objects of strings and integers) and counts as it goes. Anything else is refused at the byte
where it starts, with rule ``bundle-format``, or ``bundle-limit`` for a size past:

- the file: at most ``MAX_BUNDLE_BYTES``;
- events: at most ``MAX_EVENTS``, each of at most ``MAX_EVENT_BYTES`` canonical bytes;
- devices: at most ``MAX_DEVICES``, each chain of at most ``MAX_CHAIN`` events;
- any other string: at most ``MAX_TEXT`` characters (the subject's name at most ``MAX_NAME``);
  ids, hashes, keys and signatures have their exact lengths;
- the optional ``ledger`` member (``app.audit.anchor``): its checkpoint note at most
  ``MAX_CHECKPOINT_CHARS`` characters, at most one proof per event, each path at most
  ``MAX_PATH_HASHES`` hashes.

Memory therefore stays within a small multiple of the file's size, and time is linear in it.
"""

from __future__ import annotations

import base64
import binascii
import json.decoder
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from app.audit.anchor import (
    LEDGER_KEYS,
    MAX_CHECKPOINT_CHARS,
    MAX_PATH_HASHES,
    PROOF_KEYS,
    LedgerAnchor,
    LedgerProof,
    path_from_hex,
)
from app.audit.envelope import UUID_PATTERN, parse_timestamp
from app.audit.errors import AuditError, ProfileViolation, Rule

BUNDLE_FORMAT: Final = "sitesync-evidence/v2"
SUBJECT_TYPE: Final = "elevator"

MAX_BUNDLE_BYTES: Final = 256 * 1024 * 1024
MAX_EVENTS: Final = 200_000
MAX_EVENT_BYTES: Final = 1024 * 1024
MAX_DEVICES: Final = 1_000
MAX_CHAIN: Final = 2_000_000
MAX_NAME: Final = 500
MAX_TEXT: Final = 200
"""Every string not listed above: ids (36), hashes (64), keys (44), signatures (88), format."""

DOC_KEYS: Final = ("format", "subject", "generated_at", "device_keys", "events", "chains")
OPTIONAL_KEYS: Final = ("ledger",)
SUBJECT_KEYS: Final = ("entity_type", "entity_id", "name")
EVENT_KEYS: Final = ("event_id", "device_id", "device_seq", "hash", "signature", "canonical")

_SPACE: Final = re.compile(r"[ \t\n\r]*")
_INTEGER: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,15})(?![0-9.eE])")
_HEX: Final = re.compile(r"[0-9a-f]*")
_OPEN: Final = re.compile(r"[ \t\n\r]*\{")
_EVENT_KEY: Final = re.compile(r'[ \t\n\r]*"([a-z_]{1,20})"[ \t\n\r]*:[ \t\n\r]*')
_NEXT: Final = re.compile(r"[ \t\n\r]*([,}])")
_SCANSTRING: Final[Callable[[str, int, bool], tuple[str, int]]] = vars(json.decoder)["scanstring"]
"""The json module's string scanner (its C one where available), absent from its type stubs."""


def format_error(detail: str) -> AuditError:
    """A document that is not a bundle of this format."""
    return AuditError(Rule.BUNDLE_FORMAT, detail)


def limit_error(detail: str) -> AuditError:
    """A document past one of the bundle's size limits."""
    return AuditError(Rule.BUNDLE_LIMIT, detail)


@dataclass(frozen=True, slots=True)
class BundleDocument:
    """A bundle's parts, each checked for shape and size (not yet for truth)."""

    subject_id: str
    subject_name: str
    generated_at: str
    device_keys: dict[str, bytes]
    chains: dict[str, str]
    """Per device: the hex hashes of its events from seq 1, 64 characters each."""
    events: list[dict[str, str | int]]
    """The event entries (exactly ``EVENT_KEYS``), each to be checked by the verifier."""
    ledger: LedgerAnchor | None = None
    """The server's checkpoint and the events' inclusion proofs (None: not anchored)."""


class _Reader:
    """Reads the bundle's JSON grammar, and nothing more, from a decoded text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, detail: str) -> AuditError:
        return format_error(f"{detail} (at character {self.at})")

    def space(self) -> None:
        match = _SPACE.match(self.text, self.at)
        self.at = match.end() if match else self.at

    def take(self, char: str) -> bool:
        self.space()
        if self.text.startswith(char, self.at):
            self.at += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.take(char):
            raise self.fail(f"expected {char!r}")

    def string(self, limit: int, what: str) -> str:
        self.space()
        if not self.text.startswith('"', self.at):
            raise self.fail(f"{what} must be a string")
        try:  # C speed; the decoded string is never longer than the file
            value, self.at = _SCANSTRING(self.text, self.at + 1, True)
        except ValueError as exc:
            raise self.fail(f"{what} is not a valid JSON string: {exc}") from None
        if len(value) > limit:
            raise limit_error(f"{what} is longer than {limit:,} characters")
        return value

    def integer(self, what: str) -> int:
        self.space()
        match = _INTEGER.match(self.text, self.at)
        if match is None:
            raise self.fail(f"{what} must be a whole number of at most 16 digits")
        self.at = match.end()
        return int(match.group())

    def members[T](
        self,
        read: Callable[[str], T],
        *,
        limit: int,
        what: str,
        keys: tuple[str, ...] | None,
        optional: tuple[str, ...] = (),
    ) -> dict[str, T]:
        """An object: each member's value read by ``read(key)``; exactly ``keys`` if given
        (and any of ``optional``)."""
        if not self.take("{"):
            raise self.fail(f"{what} must be an object")
        found: dict[str, T] = {}
        if not self.take("}"):
            while True:
                key = self.string(MAX_TEXT, f"a key of {what}")
                if key in found:
                    raise self.fail(f"{what} repeats the key {key!r}")
                if keys is not None and key not in keys and key not in optional:
                    raise self.fail(f"{what} has an unexpected member {key!r}")
                if len(found) == limit:
                    raise limit_error(f"{what} has more than {limit:,} members")
                self.expect(":")
                found[key] = read(key)
                if self.take("}"):
                    break
                self.expect(",")
        missing = [key for key in keys or () if key not in found]
        if missing:
            raise self.fail(f"{what} lacks {missing}")
        return found

    def items[T](self, read: Callable[[], T], *, limit: int, what: str) -> list[T]:
        """An array whose items are read by ``read()``."""
        if not self.take("["):
            raise self.fail(f"{what} must be a list")
        found: list[T] = []
        if not self.take("]"):
            while True:
                if len(found) == limit:
                    raise limit_error(f"{what} holds more than {limit:,} items")
                found.append(read())
                if self.take("]"):
                    break
                self.expect(",")
        return found

    def event(self) -> dict[str, str | int]:
        """One event entry: a flat object of exactly ``EVENT_KEYS`` (the hot path, kept lean)."""
        text = self.text
        opened = _OPEN.match(text, self.at)
        if opened is None:
            raise self.fail("an event must be an object")
        at = opened.end()
        found: dict[str, str | int] = {}
        while True:
            self.at = at
            named = _EVENT_KEY.match(text, at)
            if named is None:
                raise self.fail(f"an event is an object with exactly {list(EVENT_KEYS)}")
            key = named.group(1)
            if key not in EVENT_KEYS or key in found:
                raise self.fail(f"an event has an unexpected or repeated member {key!r}")
            self.at = named.end()
            if key == "device_seq":
                found[key] = self.integer("device_seq")
            elif key == "canonical":
                found[key] = self.string(MAX_EVENT_BYTES, "an event's canonical text")
            else:
                found[key] = self.string(MAX_TEXT, f"an event's {key}")
            after = _NEXT.match(text, self.at)
            if after is None:
                raise self.fail("expected ',' or '}' in an event")
            at = after.end()
            if after.group(1) == "}":
                break
        self.at = at
        if len(found) != len(EVENT_KEYS):
            raise self.fail(f"an event lacks {[k for k in EVENT_KEYS if k not in found]}")
        return found

    def end(self) -> None:
        self.space()
        if self.at != len(self.text):
            raise self.fail("the document goes on after its end")


def _read(text: str) -> dict[str, Any]:
    reader = _Reader(text)

    def member(key: str) -> Any:
        if key == "format":
            found = reader.string(MAX_TEXT, "format")
            if found != BUNDLE_FORMAT:
                raise format_error(
                    f"format {found!r} is not {BUNDLE_FORMAT!r}; export the bundle again with "
                    "this version of SiteSync"
                )
            return found
        if key == "subject":
            sizes = {"entity_type": MAX_TEXT, "entity_id": MAX_TEXT, "name": MAX_NAME}
            return reader.members(
                lambda name: reader.string(sizes[name], f"subject {name}"),
                limit=3,
                what="the subject",
                keys=SUBJECT_KEYS,
            )
        if key == "generated_at":
            return reader.string(MAX_TEXT, "generated_at")
        if key == "device_keys":
            return reader.members(
                lambda _d: reader.string(MAX_TEXT, "a device key"),
                limit=MAX_DEVICES,
                what="device_keys",
                keys=None,
            )
        if key == "chains":
            return reader.members(
                lambda _d: reader.string(64 * MAX_CHAIN, "a device's chain"),
                limit=MAX_DEVICES,
                what="chains",
                keys=None,
            )
        if key == "ledger":
            return reader.members(
                ledger, limit=len(LEDGER_KEYS), what="the ledger part", keys=LEDGER_KEYS
            )
        return reader.items(reader.event, limit=MAX_EVENTS, what="events")

    def ledger(key: str) -> Any:
        if key == "checkpoint":
            return reader.string(MAX_CHECKPOINT_CHARS, "the ledger checkpoint")
        return reader.items(
            lambda: reader.members(proof, limit=len(PROOF_KEYS), what="a proof", keys=PROOF_KEYS),
            limit=MAX_EVENTS,
            what="the ledger proofs",
        )

    def proof(key: str) -> Any:
        if key == "ledger_index":
            return reader.integer("a proof's ledger_index")
        if key == "path":
            return reader.string(2 * 32 * MAX_PATH_HASHES, "a proof's path")
        return reader.string(MAX_TEXT, f"a proof's {key}")

    document = reader.members(
        member,
        limit=len(DOC_KEYS) + len(OPTIONAL_KEYS),
        what="the bundle",
        keys=DOC_KEYS,
        optional=OPTIONAL_KEYS,
    )
    reader.end()
    return document


def decode_b64(text: str, size: int, what: str) -> bytes:
    """Decode base64 of exactly ``size`` bytes."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if len(data) != size:
        raise format_error(f"{what} is not base64 of {size} bytes")
    return data


def _device(device: str, what: str) -> str:
    if not UUID_PATTERN.fullmatch(device):
        raise format_error(f"{what} are keyed by device id, not {device!r}")
    return device


def _chain(device: str, hashes: str) -> str:
    if len(hashes) % 64 or not _HEX.fullmatch(hashes):
        raise format_error(f"the chain of device {device} is not a run of 64-hex-digit hashes")
    return hashes


def load_document(data: bytes) -> BundleDocument:
    """Parse a bundle and check the shape and size of every part; raise AuditError otherwise."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise limit_error(
            f"the file has {len(data):,} bytes; a bundle has at most {MAX_BUNDLE_BYTES:,}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise format_error(f"not UTF-8 text (byte {exc.start})") from None
    document = _read(text)
    subject = document["subject"]
    if subject["entity_type"] != SUBJECT_TYPE:
        raise format_error(f"subject entity_type must be {SUBJECT_TYPE!r}")
    if not UUID_PATTERN.fullmatch(subject["entity_id"]):
        raise format_error("subject entity_id is not a lowercase UUID")
    try:
        parse_timestamp(document["generated_at"])
    except ProfileViolation as exc:
        raise format_error(f"generated_at: {exc}") from None
    return BundleDocument(
        subject["entity_id"],
        subject["name"],
        document["generated_at"],
        {
            _device(device, "device_keys"): decode_b64(text, 32, f"the key of device {device}")
            for device, text in document["device_keys"].items()
        },
        {
            _device(device, "chains"): _chain(device, hashes)
            for device, hashes in document["chains"].items()
        },
        document["events"],
        None if "ledger" not in document else _ledger(document["ledger"]),
    )


def _ledger(ledger: dict[str, Any]) -> LedgerAnchor:
    if not ledger["proofs"]:
        raise format_error("the ledger part proves no event; leave it out of an unanchored bundle")
    proofs = []
    for entry in ledger["proofs"]:
        event_id, index = entry["event_id"], entry["ledger_index"]
        if not UUID_PATTERN.fullmatch(event_id):
            raise format_error(f"a ledger proof names event {event_id!r}, not an event id")
        if index < 1:
            raise format_error(f"ledger index {index} of event {event_id} must be at least 1")
        try:
            parse_timestamp(entry["received_at"])
            path = path_from_hex(entry["path"])
        except (ProfileViolation, ValueError) as exc:
            raise format_error(f"the ledger proof of event {event_id}: {exc}") from None
        proofs.append(LedgerProof(event_id, index, entry["received_at"], path))
    return LedgerAnchor(ledger["checkpoint"], tuple(proofs))
