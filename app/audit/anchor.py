"""The ledger part of an evidence bundle: the server's signed checkpoint and inclusion proofs.

A bundle exported from a store that synced its unit's events carries, in its ``ledger`` member,
the checkpoint the store verified (a C2SP signed note) and, for every bundled event the ledger
holds under that checkpoint, the RFC 6962 inclusion proof of its ledger leaf::

    "ledger": {"checkpoint": "<signed note>",
               "proofs": [{"event_id", "ledger_index", "received_at",
                           "path" (the proof's hashes, hex, 64 characters each)}, ...]}

The leaf of an event (``app.audit.merkle.ledger_leaf``) commits to its hash and its device
signature, so a proof holds only for the exact bytes and signature in the bundle. Checked with
the server's verifier key (the C2SP ``name+keyid+base64`` string ``sitesync-server status``
prints), the checkpoint proves the server's ledger held every anchored event up to its size.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from app.audit.checkpoint import (
    ED25519_TYPE,
    Checkpoint,
    key_id,
    parse_and_verify_checkpoint,
    parse_checkpoint_body,
)
from app.audit.errors import AuditError, Rule
from app.audit.merkle import HASH_SIZE, leaf_hash, ledger_leaf, verify_inclusion

MAX_CHECKPOINT_CHARS: Final = 16 * 1024
"""Characters of the bundled checkpoint note, at most (a few signature lines)."""
MAX_PATH_HASHES: Final = 64
"""Hashes in one inclusion proof, at most (a tree of 2**64 entries needs 64)."""
MAX_KEY_CHARS: Final = 300
"""Characters of a server verifier key string, at most."""

PROOF_KEYS: Final = ("event_id", "ledger_index", "received_at", "path")
LEDGER_KEYS: Final = ("checkpoint", "proofs")


@dataclass(frozen=True, slots=True)
class LedgerProof:
    """Where one bundled event sits in the ledger, and the path that proves it."""

    event_id: str
    ledger_index: int
    """1-based: the entry with index ``i`` is leaf ``i - 1`` of the tree."""
    received_at: str
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, str | int]:
        return {
            "event_id": self.event_id,
            "ledger_index": self.ledger_index,
            "received_at": self.received_at,
            "path": "".join(node.hex() for node in self.path),
        }


@dataclass(frozen=True, slots=True)
class LedgerAnchor:
    """The checkpoint a store verified and the proofs of the bundled events under it."""

    checkpoint: str
    proofs: tuple[LedgerProof, ...]

    def to_json(self) -> dict[str, object]:
        return {"checkpoint": self.checkpoint, "proofs": [p.to_json() for p in self.proofs]}


@dataclass(frozen=True, slots=True)
class ServerKey:
    """A server's checkpoint key, from its C2SP verifier key string."""

    name: str
    public_key: bytes


@dataclass(frozen=True, slots=True)
class AnchorReport:
    """What the ledger part of a bundle showed."""

    origin: str
    size: int
    anchored: int
    """Bundled events with a verified inclusion proof."""
    unanchored: int
    """Bundled events the checkpoint does not cover (recorded later, or never synced)."""
    key_name: str | None
    """The server key the checkpoint's signature was checked with (None: not checked)."""

    @property
    def signature_checked(self) -> bool:
        return self.key_name is not None


def parse_server_key(text: str) -> ServerKey:
    """Parse ``name+keyid+base64(0x01 || Ed25519 key)``; ValueError names what is wrong."""
    text = text.strip()
    if len(text) > MAX_KEY_CHARS:
        raise ValueError(f"a server key has at most {MAX_KEY_CHARS} characters")
    parts = text.split("+", 2)
    if len(parts) != 3 or not parts[0] or any(ch.isspace() for ch in parts[0]):
        raise ValueError("a server key reads name+keyid+key (three parts joined by '+')")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise ValueError("the key id must be hex and the key base64") from None
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise ValueError("the key part must be an Ed25519 key (type 0x01, 32 bytes)")
    if key_id(name, raw[1:]) != wanted:
        raise ValueError("the key id does not match the name and key: the key was mistyped")
    return ServerKey(name, raw[1:])


def unverified_checkpoint(note: str) -> Checkpoint:
    """The checkpoint in a signed note, read without checking any signature."""
    split = note.rfind("\n\n")
    if split < 0:
        raise AuditError(Rule.CHECKPOINT_FORMAT, "a note is text, a blank line, then signatures")
    return parse_checkpoint_body(note[: split + 1])


def ledger_origin(key_name: str, organization: str) -> str:
    """The origin line of an organization's ledger signed under ``key_name``."""
    return f"{key_name}/{organization}"


def check_anchor(
    anchor: LedgerAnchor,
    signed: Mapping[str, tuple[str, bytes]],
    *,
    organization: str,
    server_key: ServerKey | None,
) -> AnchorReport:
    """Check the checkpoint (its signature with ``server_key``) and every inclusion proof.

    ``signed`` maps each verified bundled event's id to its hash and signature. Raises
    AuditError: ``checkpoint-signature`` for a wrong key or a forged note, ``checkpoint-origin``
    for a checkpoint of another ledger, ``inclusion-proof`` for a proof that does not lead to
    the signed root, ``bundle-format`` for a proof of an event the bundle does not hold.
    """
    if server_key is None:
        checkpoint = unverified_checkpoint(anchor.checkpoint)
        if not checkpoint.origin.endswith(f"/{organization}"):
            raise _origin(checkpoint.origin, f"the ledger of organization {organization}")
    else:
        checkpoint = parse_and_verify_checkpoint(
            anchor.checkpoint, server_key.name, server_key.public_key
        )
        expected = ledger_origin(server_key.name, organization)
        if checkpoint.origin != expected:
            raise _origin(checkpoint.origin, repr(expected))
    seen_events: set[str] = set()
    seen_indexes: set[int] = set()
    for proof in anchor.proofs:
        found = signed.get(proof.event_id)
        if found is None:
            raise AuditError(
                Rule.BUNDLE_FORMAT,
                f"the ledger part proves event {proof.event_id}, which the bundle does not hold",
            )
        if proof.event_id in seen_events or proof.ledger_index in seen_indexes:
            raise AuditError(
                Rule.INCLUSION_PROOF,
                f"event {proof.event_id} or ledger index {proof.ledger_index} is proved twice",
            )
        seen_events.add(proof.event_id)
        seen_indexes.add(proof.ledger_index)
        digest, signature = found
        try:
            leaf = ledger_leaf(digest, signature, proof.ledger_index, proof.received_at)
            verify_inclusion(
                proof.ledger_index - 1,
                checkpoint.size,
                leaf_hash(leaf),
                list(proof.path),
                checkpoint.root_hash,
            )
        except AuditError as exc:
            raise AuditError(
                Rule.INCLUSION_PROOF,
                f"the ledger proof of event {proof.event_id} (ledger index "
                f"{proof.ledger_index}) fails: {exc.message}",
            ) from None
    return AnchorReport(
        origin=checkpoint.origin,
        size=checkpoint.size,
        anchored=len(anchor.proofs),
        unanchored=len(signed) - len(anchor.proofs),
        key_name=None if server_key is None else server_key.name,
    )


def _origin(found: str, expected: str) -> AuditError:
    return AuditError(
        Rule.CHECKPOINT_ORIGIN,
        f"the checkpoint is of the log {found!r}, not of {expected}: it proves nothing about "
        "this bundle",
    )


def path_from_hex(text: str) -> tuple[bytes, ...]:
    """The proof hashes of a ``path`` member (64 hex digits each)."""
    if len(text) % (2 * HASH_SIZE):
        raise ValueError("a proof path is a run of 64-hex-digit hashes")
    raw = bytes.fromhex(text)
    if raw.hex() != text:
        raise ValueError("a proof path is lowercase hex")
    return tuple(raw[at : at + HASH_SIZE] for at in range(0, len(raw), HASH_SIZE))
