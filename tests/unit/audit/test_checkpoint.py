"""C2SP signed notes and checkpoints: the Go sumdb/note reference vector, format, tampering."""

import base64

import pytest

from app.audit import (
    AuditError,
    Checkpoint,
    Ed25519Signer,
    Rule,
    key_id,
    open_note,
    parse_and_verify_checkpoint,
    sign_checkpoint,
    sign_note,
    verifier_key_string,
    verify_checkpoint_growth,
)
from app.audit.merkle import consistency_proof, leaf_hash, root_hash

# golang.org/x/mod/sumdb/note: the package documentation's example key and signed note.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

LOG = "sitesync.example/ledger/org-1"
ROOT = bytes(range(32))


def _go_signer() -> Ed25519Signer:
    encoded = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert encoded[0] == 1  # signature type 0x01: Ed25519
    return Ed25519Signer(encoded[1:])


def test_signed_note_matches_the_go_reference_byte_for_byte() -> None:
    signer = _go_signer()
    assert verifier_key_string("PeterNeumann", signer.public_key) == GO_VERIFIER_KEY
    assert key_id("PeterNeumann", signer.public_key) == bytes.fromhex("c74f20a3")
    assert sign_note(GO_TEXT, "PeterNeumann", signer) == GO_NOTE
    assert open_note(GO_NOTE, "PeterNeumann", signer.public_key) == GO_TEXT


def test_checkpoint_body_and_note_layout() -> None:
    signer = Ed25519Signer(b"\x42" * 32)
    checkpoint = Checkpoint(LOG, 20852163, ROOT)
    root_b64 = base64.b64encode(ROOT).decode()
    assert checkpoint.body() == f"{LOG}\n20852163\n{root_b64}\n"
    note = sign_checkpoint(checkpoint, LOG, signer)
    body, signature_line = note.split("\n\n")
    assert body + "\n" == checkpoint.body()
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", LOG)
    raw = base64.b64decode(blob)
    assert raw[:4] == key_id(LOG, signer.public_key)
    assert raw[4:] == signer.sign(checkpoint.body().encode())
    assert parse_and_verify_checkpoint(note, LOG, signer.public_key, origin=LOG) == checkpoint


def test_extension_lines_and_empty_tree_round_trip() -> None:
    signer = Ed25519Signer(b"\x43" * 32)
    for checkpoint in (
        Checkpoint(LOG, 0, bytes(32)),
        Checkpoint(LOG, 5, ROOT, ("Timestamp: 1700000000",)),
    ):
        note = sign_checkpoint(checkpoint, LOG, signer)
        assert parse_and_verify_checkpoint(note, LOG, signer.public_key) == checkpoint


def test_signatures_by_unknown_keys_are_ignored() -> None:
    log, witness = Ed25519Signer(b"\x01" * 32), Ed25519Signer(b"\x02" * 32)
    checkpoint = Checkpoint(LOG, 3, ROOT)
    note = sign_checkpoint(checkpoint, LOG, log)
    cosigned = note + sign_note(checkpoint.body(), "witness.example", witness).split("\n\n")[1]
    assert parse_and_verify_checkpoint(cosigned, LOG, log.public_key) == checkpoint
    # The same name with another key (a rotated key) is an unknown key too.
    other = sign_note(checkpoint.body(), LOG, witness).split("\n\n")[1]
    assert parse_and_verify_checkpoint(note + other, LOG, log.public_key) == checkpoint
    with pytest.raises(AuditError) as caught:
        parse_and_verify_checkpoint(checkpoint.body() + "\n" + other, LOG, log.public_key)
    assert caught.value.rule == Rule.CHECKPOINT_SIGNATURE


def _tamper_cases(note: str) -> list[tuple[str, Rule]]:
    body, sig = note.split("\n\n")
    lines = body.split("\n")
    raw = bytearray(base64.b64decode(sig.split(" ")[2]))
    raw[-1] ^= 1
    bad_sig = f"— {LOG} {base64.b64encode(bytes(raw)).decode()}\n"
    return [
        (note.replace("\n3\n", "\n4\n"), Rule.CHECKPOINT_SIGNATURE),
        (body + "\n\n" + bad_sig, Rule.CHECKPOINT_SIGNATURE),
        (body + "\n\n" + sig + bad_sig, Rule.CHECKPOINT_SIGNATURE),
        (body + "\n" + sig, Rule.CHECKPOINT_FORMAT),
        (note.rstrip("\n"), Rule.CHECKPOINT_FORMAT),
        (note.replace("—", "--"), Rule.CHECKPOINT_FORMAT),
        (note.replace("— ", "—  "), Rule.CHECKPOINT_FORMAT),
        (note[:-2] + "!\n", Rule.CHECKPOINT_FORMAT),
        (note.replace(lines[0], lines[0] + "\t"), Rule.CHECKPOINT_FORMAT),
        (body + "\n\n", Rule.CHECKPOINT_FORMAT),
    ]


def test_tampered_notes_are_rejected_with_the_rule() -> None:
    signer = Ed25519Signer(b"\x05" * 32)
    note = sign_checkpoint(Checkpoint(LOG, 3, ROOT), LOG, signer)
    for tampered, rule in _tamper_cases(note):
        with pytest.raises(AuditError) as caught:
            parse_and_verify_checkpoint(tampered, LOG, signer.public_key)
        assert caught.value.rule == rule, tampered


@pytest.mark.parametrize(
    "body",
    [
        f"{LOG}\n03\n{base64.b64encode(ROOT).decode()}\n",
        f"{LOG}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{LOG}\n3\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{LOG}\n3\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",
        f"{LOG}\n3\n",
        f"\n3\n{base64.b64encode(ROOT).decode()}\n",
    ],
)
def test_signed_but_malformed_bodies_are_format_errors(body: str) -> None:
    signer = Ed25519Signer(b"\x06" * 32)
    note = sign_note(body, LOG, signer)
    with pytest.raises(AuditError) as caught:
        parse_and_verify_checkpoint(note, LOG, signer.public_key)
    assert caught.value.rule == Rule.CHECKPOINT_FORMAT


def test_wrong_pinned_key_or_origin_is_refused() -> None:
    signer, stranger = Ed25519Signer(b"\x07" * 32), Ed25519Signer(b"\x08" * 32)
    note = sign_checkpoint(Checkpoint(LOG, 3, ROOT), LOG, signer)
    with pytest.raises(AuditError) as caught:
        parse_and_verify_checkpoint(note, LOG, stranger.public_key)
    assert caught.value.rule == Rule.CHECKPOINT_SIGNATURE
    with pytest.raises(AuditError) as caught:
        parse_and_verify_checkpoint(note, LOG, signer.public_key, origin="other.example/log")
    assert caught.value.rule == Rule.CHECKPOINT_FORMAT


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint("", 1, ROOT),
        Checkpoint("a\nb", 1, ROOT),
        Checkpoint(LOG, -1, ROOT),
        Checkpoint(LOG, 1, b"short"),
        Checkpoint(LOG, 1, ROOT, ("",)),
    ],
)
def test_invalid_checkpoints_cannot_be_signed(checkpoint: Checkpoint) -> None:
    with pytest.raises(AuditError) as caught:
        sign_checkpoint(checkpoint, LOG, Ed25519Signer(b"\x09" * 32))
    assert caught.value.rule == Rule.CHECKPOINT_FORMAT


@pytest.mark.parametrize("name", ["", "has space", "plus+sign"])
def test_key_names_are_checked(name: str) -> None:
    with pytest.raises(AuditError):
        sign_note("text\n", name, Ed25519Signer(b"\x0a" * 32))


def test_checkpoint_growth_uses_the_signed_sizes_and_roots() -> None:
    signer = Ed25519Signer(b"\x0b" * 32)
    leaves = [leaf_hash(bytes([i])) for i in range(9)]
    notes = [
        sign_checkpoint(Checkpoint(LOG, size, root_hash(leaves[:size])), LOG, signer)
        for size in (4, 9)
    ]
    old, new = (parse_and_verify_checkpoint(n, LOG, signer.public_key) for n in notes)
    verify_checkpoint_growth(old, new, consistency_proof(4, leaves))
    with pytest.raises(AuditError) as caught:
        verify_checkpoint_growth(new, old, [])
    assert caught.value.rule == Rule.TREE_GROWTH
    with pytest.raises(AuditError) as caught:
        verify_checkpoint_growth(old, new, consistency_proof(3, leaves))
    assert caught.value.rule == Rule.CONSISTENCY_PROOF
    forked = Checkpoint(LOG, 9, root_hash([*leaves[:8], leaf_hash(b"x")]))
    with pytest.raises(AuditError) as caught:
        verify_checkpoint_growth(old, forked, consistency_proof(4, leaves))
    assert caught.value.rule == Rule.CONSISTENCY_PROOF
    with pytest.raises(AuditError) as caught:
        verify_checkpoint_growth(old, Checkpoint("other.example", 9, new.root_hash), [])
    assert caught.value.rule == Rule.CHECKPOINT_FORMAT
