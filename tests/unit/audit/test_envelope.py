"""Event envelope: round trips, field rules, timestamps, hashing and signing."""

import hashlib
import pickle
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.audit import (
    ENVELOPE_FIELDS,
    EVENT_HASH_PREFIX,
    GENESIS_PREFIX,
    SIGNATURE_PREFIX,
    AuditError,
    ChainBroken,
    Ed25519Signer,
    EventBody,
    ProfileViolation,
    Rule,
    canonicalize,
    event_hash,
    format_timestamp,
    genesis_hash,
    parse_canonical,
    parse_timestamp,
    seal,
    signature_message,
    verify_signature,
)
from tests.unit.audit.factory import make_device


def _body() -> EventBody:
    return make_device(1).next_body({"status": "stopped", "reason": "door fault"})


def test_body_round_trips_through_canonical_bytes() -> None:
    body = replace(_body(), entity_parents=["0" * 64, "a" * 64])
    data = canonicalize(body.to_json())
    assert EventBody.from_json(parse_canonical(data)) == body
    assert set(body.to_json()) == set(ENVELOPE_FIELDS)


def test_seal_hashes_and_signs_with_the_documented_prefixes() -> None:
    signer = Ed25519Signer(b"\x07" * 32)
    sealed = seal(_body(), signer)
    assert sealed.hash == hashlib.sha256(b"sitesync/event/v1\n" + sealed.canonical).hexdigest()
    assert sealed.hash == event_hash(sealed.canonical)
    assert EVENT_HASH_PREFIX == b"sitesync/event/v1\n"
    message = b"sitesync/event-signature/v1\n" + bytes.fromhex(sealed.hash)
    assert signature_message(sealed.hash) == message
    assert message.startswith(SIGNATURE_PREFIX)
    assert len(sealed.signature) == 64
    assert verify_signature(signer.public_key, message, sealed.signature)
    assert not verify_signature(signer.public_key, message + b"x", sealed.signature)


def test_genesis_hash_is_fixed_per_device() -> None:
    device = "0190a1b2-000d-7000-8000-000000000001"
    assert genesis_hash(device) == hashlib.sha256(GENESIS_PREFIX + device.encode()).hexdigest()
    assert genesis_hash(device) != genesis_hash(device[:-1] + "2")


def _mutated(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = dict(_body().to_json())
    value.update(changes)
    return value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ({k: v for k, v in _body().to_json().items() if k != "payload"}, Rule.ENVELOPE_FIELDS),
        (_mutated(server_seq=4), Rule.ENVELOPE_FIELDS),
        (_mutated(event_id="0190A1B2-00E1-7000-8000-000000000001"), Rule.UUID_FORMAT),
        (_mutated(device_id="not-a-uuid"), Rule.UUID_FORMAT),
        (_mutated(entity_id=None), Rule.UUID_FORMAT),
        (_mutated(device_seq=0), Rule.ENVELOPE_FIELDS),
        (_mutated(device_seq=True), Rule.ENVELOPE_FIELDS),
        (_mutated(type_version="1"), Rule.ENVELOPE_FIELDS),
        (_mutated(prev_hash="A" * 64), Rule.HASH_FORMAT),
        (_mutated(prev_hash="a" * 63), Rule.HASH_FORMAT),
        (_mutated(entity_parents=["x"]), Rule.HASH_FORMAT),
        (_mutated(entity_parents=["b" * 64, "a" * 64]), Rule.ENVELOPE_FIELDS),
        (_mutated(entity_parents=["a" * 64, "a" * 64]), Rule.ENVELOPE_FIELDS),
        (_mutated(entity_parents="a" * 64), Rule.ENVELOPE_FIELDS),
        (_mutated(type="Elevator Status"), Rule.ENVELOPE_FIELDS),
        (_mutated(entity_type="Elevator"), Rule.ENVELOPE_FIELDS),
        (_mutated(occurred_at="2025-03-01T08:00:00Z"), Rule.TIMESTAMP_FORMAT),
        (_mutated(occurred_at="2025-03-01T08:00:00.000000+00:00"), Rule.TIMESTAMP_FORMAT),
        (_mutated(occurred_at="2025-02-30T08:00:00.000000Z"), Rule.TIMESTAMP_FORMAT),
        (_mutated(payload=[]), Rule.ENVELOPE_FIELDS),
        ([], Rule.ENVELOPE_FIELDS),
    ],
)
def test_from_json_names_the_broken_field_rule(value: Any, rule: Rule) -> None:
    with pytest.raises(ProfileViolation) as caught:
        EventBody.from_json(value)
    assert caught.value.rule == rule


def test_seal_refuses_an_invalid_body() -> None:
    with pytest.raises(ProfileViolation) as caught:
        seal(replace(_body(), device_id="ABC"), Ed25519Signer(b"\x01" * 32))
    assert caught.value.rule == Rule.UUID_FORMAT
    floats: dict[str, Any] = {"reading": 1.5}
    with pytest.raises(ProfileViolation) as caught:
        seal(replace(_body(), payload=floats), Ed25519Signer(b"\x01" * 32))
    assert caught.value.rule == Rule.NO_FLOATS


def test_timestamps_are_utc_microseconds_with_z() -> None:
    moment = datetime(2025, 3, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    text = format_timestamp(moment)
    assert text == "2025-03-01T08:00:00.000005Z"
    assert parse_timestamp(text) == moment
    assert parse_timestamp(text).tzinfo is not None
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000000Z"
    with pytest.raises(ProfileViolation) as caught:
        format_timestamp(datetime(2025, 3, 1))
    assert caught.value.rule == Rule.TIMESTAMP_FORMAT
    for bad in ["2025-03-01 08:00:00.000000Z", "2025-03-01T08:00:00.000000z", "２０２５-03-01"]:
        with pytest.raises(ProfileViolation):
            parse_timestamp(bad)


def test_signer_round_trips_its_seed_and_hides_it() -> None:
    signer = Ed25519Signer.generate()
    again = Ed25519Signer(signer.seed)
    assert again.public_key == signer.public_key
    assert len(signer.public_key) == 32
    assert signer.seed.hex() not in repr(signer)
    with pytest.raises(ValueError, match="32 bytes"):
        Ed25519Signer(b"short")


@pytest.mark.parametrize(
    ("key", "signature"),
    [(b"\x00" * 31, b"\x00" * 64), (b"\x00" * 32, b"\x00" * 63), (b"\xff" * 32, b"\x00" * 64)],
)
def test_verify_signature_never_raises(key: bytes, signature: bytes) -> None:
    assert verify_signature(key, b"message", signature) is False


def test_errors_keep_rule_and_position_through_pickle() -> None:
    error = ChainBroken(
        Rule.PREV_HASH_LINK, "detail", position=42, event_id="e", device_id="d", device_seq=7
    )
    assert str(error) == "event 42 (device d, seq 7, id e) breaks rule 'prev-hash-link': detail"
    again = pickle.loads(pickle.dumps(error))
    assert (again.rule, again.position, str(again)) == (error.rule, 42, str(error))
    plain = pickle.loads(pickle.dumps(AuditError(Rule.NFC, "msg")))
    assert (plain.rule, str(plain)) == (Rule.NFC, "msg")
