"""A pulled page's entries are checked with their signatures verified on other threads.

The refusal must be the one checking the entries one by one gives: the first bad entry, and
a bad signature before an entry that fails another check is the one named.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import uuid4

import pytest

from app.audit.merkle import CompactMerkleTree
from app.domain import payloads as p
from sync.client.errors import IntegrityError
from sync.client.pull import LedgerPull
from sync.client.verify import SIGNATURE_CHUNK, EntryVerifier
from sync.protocol import LedgerEntry
from tests.server.devices import Laptop, wire

RECEIVED = "2026-01-05T08:00:00.000000Z"


def _entries(laptop: Laptop, count: int) -> list[LedgerEntry]:
    unit = uuid4()
    sealed = [laptop.event(unit, p.ElevatorRegistered(site_id=uuid4(), unit_number="L1"))]
    sealed += [laptop.event(unit, p.ElevatorUpdated(model=f"M{n}")) for n in range(count - 1)]
    return [
        LedgerEntry.model_validate(
            {**wire(s), "ledger_index": n, "received_at": RECEIVED, "status": "accepted"}
        )
        for n, s in enumerate(sealed, start=1)
    ]


def _verifier(laptop: Laptop) -> EntryVerifier:
    keys = {str(laptop.device_id): laptop.signer.public_key}
    return EntryVerifier(str(laptop.organization_id), keys, {}, CompactMerkleTree())


def _bad_signature(entry: LedgerEntry) -> LedgerEntry:
    signature = bytearray(entry.signature)
    signature[0] ^= 1
    return entry.model_copy(update={"signature": bytes(signature)})


def _check_each(verifier: EntryVerifier, entries: list[LedgerEntry]) -> None:
    for entry in entries:
        verifier.check(entry)


async def _page(verifier: EntryVerifier, entries: list[LedgerEntry]) -> list[Any]:
    # the store, server and account are only asked for when a device is unknown
    unused = cast(Any, None)
    pull = LedgerPull(unused, unused, unused, unused, unused)
    pulled, signatures = await pull._verify_page(verifier, entries)
    signatures.settle()  # as before the page is stored
    return pulled


async def test_a_page_checked_with_threads_matches_one_by_one() -> None:
    laptop = Laptop(uuid4(), uuid4())
    entries = _entries(laptop, 3 * SIGNATURE_CHUNK + 5)
    one_by_one = _verifier(laptop)
    expected = [one_by_one.check(e) for e in entries]
    threaded = _verifier(laptop)
    pulled = await _page(threaded, entries)
    assert [x.sealed for x in pulled] == expected
    assert threaded.tree.root() == one_by_one.tree.root()
    assert threaded.heads == one_by_one.heads


async def test_a_bad_signature_deep_in_a_page_is_refused_by_its_entry() -> None:
    laptop = Laptop(uuid4(), uuid4())
    entries = _entries(laptop, 2 * SIGNATURE_CHUNK + 10)
    entries[SIGNATURE_CHUNK + 3] = _bad_signature(entries[SIGNATURE_CHUNK + 3])
    entries[-1] = _bad_signature(entries[-1])
    with pytest.raises(IntegrityError) as refused:
        await _page(_verifier(laptop), entries)
    index = SIGNATURE_CHUNK + 4
    assert f"entry {index}: the signature does not verify" in refused.value.message


async def test_a_bad_signature_is_named_before_a_later_broken_chain() -> None:
    laptop = Laptop(uuid4(), uuid4())
    entries = _entries(laptop, 40)
    entries[10] = _bad_signature(entries[10])
    del entries[20]  # entry 21 no longer continues the device's chain
    entries = [e.model_copy(update={"ledger_index": n}) for n, e in enumerate(entries, start=1)]
    with pytest.raises(IntegrityError) as refused:
        await _page(_verifier(laptop), entries)
    assert "entry 11: the signature does not verify" in refused.value.message
    # checked one by one, the same refusal
    verifier = _verifier(laptop)
    with pytest.raises(IntegrityError) as alone:
        _check_each(verifier, entries)
    assert alone.value.message == refused.value.message
