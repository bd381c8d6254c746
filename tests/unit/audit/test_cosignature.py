"""C2SP cosignatures (cosignature/v1): the spec's example line, layout, signing, tampering."""

import base64
import hashlib
from dataclasses import replace
from uuid import UUID

import pytest

from app.audit import AuditError, Checkpoint, Ed25519Signer, Rule, sign_checkpoint
from app.audit.checkpoint import open_note
from app.audit.cosignature import (
    Cosignature,
    add_cosignature,
    cosign,
    cosigned_message,
    cosigner_key_id,
    device_cosigner_name,
    find_cosignature,
    open_cosigned,
    parse_cosignature,
    verify_cosignature,
)
from app.audit.signing import verify_signature

# c2sp.org/tlog-cosignature: the example checkpoint and its witness line, signed at the time
# the spec's signed-message example shows (1679315147).
SPEC_ORIGIN = "example.com/behind-the-sofa"
SPEC_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJ"
    "sX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
SPEC_CHECKPOINT = Checkpoint(
    SPEC_ORIGIN, 20852163, base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
)
LOG = "sitesync.example/ledger/org-1"
DEVICE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def test_the_spec_example_line_parses_to_its_key_id_and_timestamp() -> None:
    parsed = parse_cosignature(SPEC_LINE)
    assert parsed.name == "witness.example.com/w1"
    assert parsed.key_id == bytes.fromhex("8d66cf3f")
    assert parsed.timestamp == 1679315147
    assert len(parsed.signature) == 64
    assert parsed.line() == SPEC_LINE


def test_signed_message_is_the_spec_layout() -> None:
    assert cosigned_message(SPEC_CHECKPOINT.body(), 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_key_id_uses_signature_type_0x04() -> None:
    key = bytes(range(32))
    expected = hashlib.sha256(b"w\n\x04" + key).digest()[:4]
    assert cosigner_key_id("w", key) == expected
    assert device_cosigner_name(UUID(DEVICE)) == f"sitesync.device/{DEVICE}"


def test_cosign_then_verify_and_the_signature_covers_the_message() -> None:
    device = Ed25519Signer(b"\x07" * 32)
    checkpoint = Checkpoint(LOG, 5, bytes(32))
    name = device_cosigner_name(DEVICE)
    made = cosign(checkpoint, name, device, 1_700_000_000)
    assert verify_signature(
        device.public_key, cosigned_message(checkpoint.body(), 1_700_000_000), made.signature
    )
    parsed = parse_cosignature(made.line())
    assert parsed == made
    verify_cosignature(parsed, checkpoint, name, device.public_key)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: replace(c, timestamp=c.timestamp + 1),
        lambda c: replace(c, signature=bytes(64)),
        lambda c: replace(c, key_id=b"\x00\x00\x00\x00"),
    ],
)
def test_tampered_cosignatures_are_refused(change: object) -> None:
    device = Ed25519Signer(b"\x07" * 32)
    checkpoint = Checkpoint(LOG, 5, bytes(32))
    name = device_cosigner_name(DEVICE)
    made = change(cosign(checkpoint, name, device, 1_700_000_000))  # type: ignore[operator]
    with pytest.raises(AuditError) as caught:
        verify_cosignature(made, checkpoint, name, device.public_key)
    assert caught.value.rule == Rule.COSIGNATURE


def test_a_cosignature_of_another_checkpoint_or_by_another_key_is_refused() -> None:
    device, other = Ed25519Signer(b"\x07" * 32), Ed25519Signer(b"\x08" * 32)
    name = device_cosigner_name(DEVICE)
    made = cosign(Checkpoint(LOG, 5, bytes(32)), name, device, 1)
    with pytest.raises(AuditError, match="does not verify"):
        verify_cosignature(made, Checkpoint(LOG, 5, b"\x01" * 32), name, device.public_key)
    with pytest.raises(AuditError, match="not by the key"):
        verify_cosignature(made, Checkpoint(LOG, 5, bytes(32)), name, other.public_key)


@pytest.mark.parametrize(
    "line",
    [
        "— w AAAA",  # too short
        "- w " + base64.b64encode(bytes(76)).decode(),  # not an em dash
        "— w+x " + base64.b64encode(bytes(76)).decode(),  # '+' in the name
        "— w " + base64.b64encode(bytes(76)).decode().rstrip("="),  # not padded
        "— w " + base64.b64encode(bytes(4) + b"\xff" * 8 + bytes(64)).decode(),  # ts > 2^63-1
    ],
)
def test_malformed_lines_are_refused(line: str) -> None:
    with pytest.raises(AuditError) as caught:
        parse_cosignature(line)
    assert caught.value.rule == Rule.COSIGNATURE


def test_a_cosigned_note_still_opens_with_the_log_key_and_yields_the_cosignature() -> None:
    log, device = Ed25519Signer(b"\x01" * 32), Ed25519Signer(b"\x07" * 32)
    checkpoint = Checkpoint(LOG, 9, b"\x05" * 32)
    note = sign_checkpoint(checkpoint, LOG, log)
    name = device_cosigner_name(DEVICE)
    cosigned = add_cosignature(note, cosign(checkpoint, name, device, 42))
    assert open_note(cosigned, LOG, log.public_key) == checkpoint.body()
    opened = open_cosigned(
        cosigned,
        log_name=LOG,
        log_key=log.public_key,
        origin=LOG,
        cosigner=name,
        cosigner_key=device.public_key,
    )
    assert opened.checkpoint == checkpoint
    assert opened.cosignature.timestamp == 42
    with pytest.raises(AuditError, match="no cosignature"):
        find_cosignature(note, name, device.public_key)
    forged = cosigned.replace(checkpoint.body(), Checkpoint(LOG, 9, b"\x06" * 32).body())
    with pytest.raises(AuditError) as caught:
        open_cosigned(
            forged,
            log_name=LOG,
            log_key=log.public_key,
            origin=LOG,
            cosigner=name,
            cosigner_key=device.public_key,
        )
    assert caught.value.rule == Rule.CHECKPOINT_SIGNATURE


def test_cosignature_is_a_value() -> None:
    assert Cosignature("w", b"abcd", 1, bytes(64)).line().startswith("— w ")
