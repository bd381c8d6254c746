"""Typed errors of the audit package: every failure names the rule it broke."""

from enum import StrEnum
from typing import Any


class Rule(StrEnum):
    """Stable kebab-case names of the rules a verification can report."""

    # canonical profile (RFC 8785 over a restricted JSON profile)
    UTF8 = "utf8"
    JSON_SYNTAX = "json-syntax"
    DUPLICATE_KEY = "duplicate-key"
    NO_FLOATS = "no-floats"
    INTEGER_RANGE = "integer-range"
    NFC = "nfc"
    JSON_TYPE = "json-type"
    NESTING_DEPTH = "nesting-depth"
    NON_CANONICAL_BYTES = "non-canonical-bytes"
    # event envelope
    ENVELOPE_FIELDS = "envelope-fields"
    UUID_FORMAT = "uuid-format"
    TIMESTAMP_FORMAT = "timestamp-format"
    HASH_FORMAT = "hash-format"
    # device chain
    EVENT_HASH = "event-hash"
    SIGNATURE = "signature"
    UNKNOWN_DEVICE = "unknown-device"
    DEVICE_SEQ_CONTIGUOUS = "device-seq-contiguous"
    PREV_HASH_LINK = "prev-hash-link"
    DEVICE_FORK = "device-fork"
    STORED_FIELDS_MISMATCH = "stored-fields-mismatch"
    ORGANIZATION = "organization"
    # projections: the tables the screens read, a fold of the log
    PROJECTION_MISMATCH = "projection-mismatch"
    # ledger: checkpoints and Merkle proofs
    CHECKPOINT_SIGNATURE = "checkpoint-signature"
    CHECKPOINT_FORMAT = "checkpoint-format"
    TREE_GROWTH = "tree-growth"
    INCLUSION_PROOF = "inclusion-proof"
    CONSISTENCY_PROOF = "consistency-proof"
    CHECKPOINT_ORIGIN = "checkpoint-origin"
    LEDGER_MISSING = "ledger-missing"
    # witnesses: devices cosign the checkpoints they verified (C2SP cosignature/v1)
    COSIGNATURE = "cosignature"
    WITNESS_FORK = "witness-fork"
    # evidence bundle
    BUNDLE_FORMAT = "bundle-format"
    BUNDLE_LIMIT = "bundle-limit"
    BUNDLE_ORDER = "bundle-order"
    BUNDLE_SUBJECT = "bundle-subject"
    ENTITY_PARENTS = "entity-parents"
    LINK_SKELETON = "link-skeleton"


class AuditError(Exception):
    """Base of audit failures; `rule` is a stable `Rule` name, the message is for people."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through self.args by default, which would lose `rule`.
        return (type(self), (self.rule, self.message))


class ProfileViolation(AuditError):
    """A value or byte string breaks the canonical profile or the event envelope."""


class ChainBroken(AuditError):
    """An event in a verification stream breaks a chain rule; names the event and the rule."""

    def __init__(
        self,
        rule: str,
        detail: str,
        *,
        position: int,
        event_id: str | None = None,
        device_id: str | None = None,
        device_seq: int | None = None,
    ) -> None:
        who = ", ".join(
            part
            for part in (
                f"device {device_id}" if device_id is not None else "",
                f"seq {device_seq}" if device_seq is not None else "",
                f"id {event_id}" if event_id is not None else "",
            )
            if part
        )
        label = f"event {position} ({who})" if who else f"event {position}"
        super().__init__(rule, f"{label} breaks rule '{rule}': {detail}")
        self.detail = detail
        self.position = position
        self.event_id = event_id
        self.device_id = device_id
        self.device_seq = device_seq

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_chain_broken,
            (
                self.rule,
                self.detail,
                self.position,
                self.event_id,
                self.device_id,
                self.device_seq,
            ),
        )


def _rebuild_chain_broken(
    rule: str,
    detail: str,
    position: int,
    event_id: str | None,
    device_id: str | None,
    device_seq: int | None,
) -> ChainBroken:
    return ChainBroken(
        rule,
        detail,
        position=position,
        event_id=event_id,
        device_id=device_id,
        device_seq=device_seq,
    )
