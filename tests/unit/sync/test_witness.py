"""Devices as witnesses: a server showing two histories is caught by either device as soon as
it sees the other's cosignature; one honest history always passes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import pytest

from app.audit import Checkpoint, Ed25519Signer, Rule, sign_checkpoint
from app.audit.merkle import consistency_proof, leaf_hash, root_hash
from app.store.sync_state import SyncAccount
from sync.client.errors import PermanentSyncError
from sync.client.witness import (
    ForkDetected,
    Witnessed,
    check_proved,
    check_views,
    cosign_verified,
    open_witnessed,
    proofs_needed,
)
from sync.protocol import CosignedNote

ORIGIN = "sitesync.test/ledger/acme"
KEY_NAME = "sitesync.test/ledger"
SERVER = Ed25519Signer(b"\x11" * 32)
ALICE_ID = "0190a1b2-c3d4-7e5f-8a9b-00000000000a"
BOB_ID = "0190a1b2-c3d4-7e5f-8a9b-00000000000b"
ALICE = Ed25519Signer(b"\x0a" * 32)
BOB = Ed25519Signer(b"\x0b" * 32)
KEYS = {ALICE_ID: ALICE.public_key, BOB_ID: BOB.public_key}

COMMON = [leaf_hash(f"entry {i}".encode()) for i in range(3)]
HISTORY_A = [*COMMON, *(leaf_hash(f"alice saw {i}".encode()) for i in range(4))]
HISTORY_B = [*COMMON, *(leaf_hash(f"bob saw {i}".encode()) for i in range(4))]


def _account(device_id: str) -> SyncAccount:
    return SyncAccount(
        server_url="http://server.test",
        organization_id="0190a1b2-c3d4-7e5f-8a9b-0000000000ff",
        user_id="0190a1b2-c3d4-7e5f-8a9b-0000000000ee",
        email="t@example.com",
        device_id=device_id,
        ledger_origin=ORIGIN,
        ledger_key_name=KEY_NAME,
        ledger_public_key=SERVER.public_key,
        joined_at=datetime.now(UTC),
    )


def _signed(history: list[bytes], size: int) -> tuple[Checkpoint, str]:
    """The split-view server signs whatever history it shows (it holds the real key)."""
    checkpoint = Checkpoint(ORIGIN, size, root_hash(history[:size]))
    return checkpoint, sign_checkpoint(checkpoint, KEY_NAME, SERVER)


def _cosigned(device_id: str, signer: Ed25519Signer, history: list[bytes], size: int) -> Witnessed:
    checkpoint, note = _signed(history, size)
    return cosign_verified(_account(device_id), signer, checkpoint, note, 1_800_000_000)


def _prover(history: list[bytes]):  # type: ignore[no-untyped-def]
    """The server answering proofs from one of its histories."""

    async def prove(old: int, new: int) -> list[bytes]:
        if new > len(history):
            raise PermanentSyncError("no such size", status=404, code="NOT_FOUND")
        return consistency_proof(old, history[:new])

    return prove


def _relay(view: Witnessed) -> CosignedNote:
    return CosignedNote(
        device_id=UUID(view.device_id), tree_size=view.checkpoint.size, note=view.note
    )


def test_one_honest_history_passes_for_both_devices() -> None:
    alice = _cosigned(ALICE_ID, ALICE, HISTORY_A, 4)
    bob = _cosigned(BOB_ID, BOB, HISTORY_A, 6)
    relayed = open_witnessed(_account(ALICE_ID), KEYS, [_relay(alice), _relay(bob)])
    assert [w.device_id for w in relayed] == [BOB_ID]  # our own is not taken from the server
    new, note = _signed(HISTORY_A, 7)
    asyncio.run(check_views(new, note, [alice, *relayed], _prover(HISTORY_A)))
    assert proofs_needed([Witnessed("", new, note), alice, *relayed]) == [(4, 6), (6, 7)]


@pytest.mark.parametrize(("alice_size", "bob_size"), [(5, 5), (4, 6), (6, 4), (7, 7)])
@pytest.mark.parametrize("prover", ["A", "B"])
def test_a_split_view_is_caught_as_soon_as_either_sees_the_others_cosignature(
    alice_size: int, bob_size: int, prover: str
) -> None:
    # The server showed HISTORY_A to Alice and HISTORY_B to Bob; each verified and cosigned its
    # own view, and each device's own pulls were consistent, so neither noticed alone.
    alice = _cosigned(ALICE_ID, ALICE, HISTORY_A, alice_size)
    bob = _cosigned(BOB_ID, BOB, HISTORY_B, bob_size)
    prove = _prover(HISTORY_A if prover == "A" else HISTORY_B)

    # Alice sees Bob's cosignature next to her next checkpoint of history A.
    seen_by_alice = open_witnessed(_account(ALICE_ID), KEYS, [_relay(bob)])
    assert len(seen_by_alice) == 1
    new, note = _signed(HISTORY_A, 7)
    with pytest.raises(ForkDetected) as caught:
        asyncio.run(check_views(new, note, [alice, *seen_by_alice], prove))
    fork = caught.value
    assert fork.rule == Rule.WITNESS_FORK
    evidence = {fork.first.note, fork.second.note}
    assert bob.note in evidence  # Bob's cosigned note is evidence: signed by server and Bob
    assert "two different histories" in fork.message
    assert fork.hint

    # Bob sees Alice's, next to his next checkpoint of history B: caught just the same.
    seen_by_bob = open_witnessed(_account(BOB_ID), KEYS, [_relay(alice)])
    new_b, note_b = _signed(HISTORY_B, 7)
    with pytest.raises(ForkDetected):
        asyncio.run(check_views(new_b, note_b, [bob, *seen_by_bob], prove))


def test_a_new_checkpoint_inconsistent_with_our_own_cosignature_is_refused() -> None:
    ours = _cosigned(ALICE_ID, ALICE, HISTORY_A, 5)
    rewritten, note = _signed(HISTORY_B, 7)
    with pytest.raises(ForkDetected, match="this device"):
        asyncio.run(check_views(rewritten, note, [ours], _prover(HISTORY_B)))


def test_relayed_cosignatures_that_do_not_verify_are_not_witnesses() -> None:
    bob = _cosigned(BOB_ID, BOB, HISTORY_B, 5)
    forged_by_server = _cosigned(BOB_ID, Ed25519Signer(b"\x99" * 32), HISTORY_B, 5)
    other_log = Ed25519Signer(b"\x12" * 32)
    checkpoint = Checkpoint(ORIGIN, 5, root_hash(HISTORY_B[:5]))
    foreign = cosign_verified(
        _account(BOB_ID), BOB, checkpoint, sign_checkpoint(checkpoint, KEY_NAME, other_log), 1
    )
    unknown = CosignedNote(
        device_id=UUID("0190a1b2-c3d4-7e5f-8a9b-00000000000c"), tree_size=5, note=bob.note
    )
    assert (
        open_witnessed(
            _account(ALICE_ID),
            KEYS,
            [_relay(forged_by_server), _relay(foreign), unknown],
        )
        == []
    )
    assert len(open_witnessed(_account(ALICE_ID), KEYS, [_relay(bob)])) == 1


def test_missing_proofs_fail_closed() -> None:
    alice = _cosigned(ALICE_ID, ALICE, HISTORY_A, 4)
    new, note = _signed(HISTORY_A, 7)
    with pytest.raises(ForkDetected, match="no consistency proof from 4 to 7"):
        check_proved([Witnessed("", new, note), alice], {})
