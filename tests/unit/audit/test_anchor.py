"""Anchored evidence bundles: the server's checkpoint and the inclusion proofs of the events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Sequence
from typing import Any
from uuid import UUID

import pytest

from app.audit import AuditError, Rule, verify_bundle
from app.audit.anchor import (
    LedgerAnchor,
    LedgerProof,
    ServerKey,
    ledger_origin,
    parse_server_key,
)
from app.audit.bundle import ledger_claims
from app.audit.bundle_document import MAX_BUNDLE_BYTES
from app.audit.chain import StoredEvent
from app.audit.checkpoint import Checkpoint, sign_checkpoint, verifier_key_string
from app.audit.merkle import inclusion_proof, leaf_hash, ledger_leaf, root_hash
from app.audit.signing import Ed25519Signer
from app.audit_export import export_record
from tests.unit.audit import records
from tests.unit.audit.factory import ORG, Device
from tests.unit.audit.records import GENERATED, RECORD, UNIT, Log, make_log

KEY_NAME = "ledger.example.com"
SERVER = Ed25519Signer(bytes(range(32)))
OTHER_SERVER = Ed25519Signer(bytes(range(1, 33)))
KEY = ServerKey(KEY_NAME, SERVER.public_key)


def _received(index: int) -> str:
    return f"2025-03-09T10:{index // 60:02d}:{index % 60:02d}.000000Z"


class Ledger:
    """The server's ledger of a log: one leaf per event, in the log's order."""

    def __init__(self, log: Log, *, size: int | None = None, origin: str | None = None) -> None:
        self.events = log.stored
        self.leaves = [
            leaf_hash(ledger_leaf(ev.hash, ev.signature, i + 1, _received(i + 1)))
            for i, ev in enumerate(self.events)
        ]
        self.size = len(self.leaves) if size is None else size
        tree = self.leaves[: self.size]
        checkpoint = Checkpoint(origin or ledger_origin(KEY_NAME, ORG), self.size, root_hash(tree))
        self.note = sign_checkpoint(checkpoint, KEY_NAME, SERVER)
        self.index = {ev.event_id: i + 1 for i, ev in enumerate(self.events)}

    async def anchor(self, events: Sequence[StoredEvent]) -> LedgerAnchor | None:
        proofs = tuple(
            LedgerProof(
                ev.event_id,
                self.index[ev.event_id],
                _received(self.index[ev.event_id]),
                tuple(inclusion_proof(self.index[ev.event_id] - 1, self.leaves[: self.size])),
            )
            for ev in events
            if self.index[ev.event_id] <= self.size
        )
        return LedgerAnchor(self.note, proofs) if proofs else None


def _export(log: Log, ledger: Ledger) -> bytes:
    rows = log.stored

    async def read() -> AsyncGenerator[StoredEvent]:
        for row in rows:
            yield row

    async def build() -> bytes:
        bundle = await export_record(
            read, log.keys, UUID(UNIT), generated_at=GENERATED, anchor=ledger.anchor
        )
        return bundle.data

    return asyncio.run(build())


def _edit(data: bytes, change: Any) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document, ensure_ascii=False).encode()


def _failure(data: bytes, key: ServerKey | None = KEY) -> AuditError:
    with pytest.raises(AuditError) as caught:
        verify_bundle(data, key)
    return caught.value


def test_an_anchored_bundle_proves_its_events_are_in_the_signed_ledger() -> None:
    log = make_log()
    data = _export(log, Ledger(log))
    document = json.loads(data)
    in_record = [s for s in log.events if s.body.entity_id in RECORD]
    assert len(document["ledger"]["proofs"]) == len(in_record)
    report = verify_bundle(data, KEY)
    assert report.ledger is not None
    assert report.ledger.signature_checked
    assert (report.ledger.size, report.ledger.anchored, report.ledger.unanchored) == (
        len(log.events),
        len(in_record),
        0,
    )
    proven, unproven = ledger_claims(report.ledger)
    assert "signed by the server key ledger.example.com" in proven
    assert "none can be removed from the ledger" in proven
    assert "newer than the newest bundled one" in unproven


def test_without_the_server_key_the_report_says_the_ledger_proves_nothing() -> None:
    log = make_log()
    report = verify_bundle(_export(log, Ledger(log)))
    assert report.ledger is not None
    assert not report.ledger.signature_checked
    proven, unproven = ledger_claims(report.ledger)
    assert "agrees with the bundled checkpoint" in proven
    assert unproven.startswith("anything about the server's ledger")
    assert "--server-key" in unproven


def test_events_after_the_checkpoint_are_counted_as_not_anchored() -> None:
    log = make_log()
    report = verify_bundle(_export(log, Ledger(log, size=9)), KEY)
    assert report.ledger is not None
    in_record = [s for s in log.events if s.body.entity_id in RECORD]
    early = [s for s in log.events[:9] if s.body.entity_id in RECORD]
    assert report.ledger.anchored == len(early)
    assert report.ledger.unanchored == len(in_record) - len(early)
    assert "not under the checkpoint" in ledger_claims(report.ledger)[1]


def test_a_bundle_without_a_ledger_part_fails_when_a_server_key_is_given() -> None:
    log = make_log()
    assert verify_bundle(log.export()).ledger is None  # still fine without a key
    assert _failure(log.export()).rule == Rule.LEDGER_MISSING


def test_a_wrong_server_key_is_a_checkpoint_signature_failure() -> None:
    log = make_log()
    data = _export(log, Ledger(log))
    assert _failure(data, ServerKey(KEY_NAME, OTHER_SERVER.public_key)).rule == (
        Rule.CHECKPOINT_SIGNATURE
    )
    assert _failure(data, ServerKey("other.example.com", SERVER.public_key)).rule == (
        Rule.CHECKPOINT_SIGNATURE
    )


def test_a_checkpoint_of_another_organization_is_named() -> None:
    log = make_log()
    other = ledger_origin(KEY_NAME, "0190a000-0000-7000-8000-000000000999")
    data = _export(log, Ledger(log, origin=other))
    failure = _failure(data)
    assert failure.rule == Rule.CHECKPOINT_ORIGIN
    assert other in failure.message
    assert _failure(data, None).rule == Rule.CHECKPOINT_ORIGIN  # even without the key


def test_a_forged_checkpoint_fails_its_signature() -> None:
    log = make_log()

    def forge(document: dict[str, Any]) -> None:
        note = document["ledger"]["checkpoint"]
        body, signatures = note.split("\n\n")
        origin, size, root = body.split("\n")[:3]
        document["ledger"]["checkpoint"] = f"{origin}\n{int(size) + 1}\n{root}\n\n{signatures}"

    assert _failure(_edit(_export(log, Ledger(log)), forge)).rule == Rule.CHECKPOINT_SIGNATURE


def _proof(index: int, **fields: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        document["ledger"]["proofs"][index].update(fields)

    return change


def _flip_path(document: dict[str, Any]) -> None:
    path = document["ledger"]["proofs"][1]["path"]
    document["ledger"]["proofs"][1]["path"] = ("0" if path[0] != "0" else "1") + path[1:]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (_flip_path, Rule.INCLUSION_PROOF),
        (_proof(0, ledger_index=5), Rule.INCLUSION_PROOF),
        (_proof(0, received_at="2025-03-09T11:00:00.000000Z"), Rule.INCLUSION_PROOF),
        (_proof(1, path=""), Rule.INCLUSION_PROOF),
        (_proof(1, ledger_index=10_000), Rule.INCLUSION_PROOF),
        (_proof(0, event_id="0190a000-0000-7000-8000-000000000123"), Rule.BUNDLE_FORMAT),
        (_proof(0, ledger_index=0), Rule.BUNDLE_FORMAT),
        (_proof(0, path="xy" * 32), Rule.BUNDLE_FORMAT),
        (_proof(0, path="ab" * 33), Rule.BUNDLE_FORMAT),
        (_proof(0, received_at="yesterday"), Rule.BUNDLE_FORMAT),
    ],
)
def test_tampered_proofs_are_named(change: Any, rule: Rule) -> None:
    log = make_log()
    data = _edit(_export(log, Ledger(log)), change)
    assert _failure(data).rule == rule
    assert _failure(data, None).rule == rule  # the proofs must agree with the checkpoint anyway


def test_a_proof_repeated_for_another_place_is_refused() -> None:
    log = make_log()

    def repeat(document: dict[str, Any]) -> None:
        document["ledger"]["proofs"].append(dict(document["ledger"]["proofs"][0]))

    assert _failure(_edit(_export(log, Ledger(log)), repeat)).rule == Rule.INCLUSION_PROOF


def test_events_re_signed_under_another_key_fail_their_proofs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-signing the same events under a new key changes their leaves: the proofs fail."""
    log = make_log()
    genuine = json.loads(_export(log, Ledger(log)))
    monkeypatch.setattr(
        records, "make_device", lambda n: Device(n, Ed25519Signer(bytes([n + 100]) * 32))
    )
    resigned = make_log()
    forged = json.loads(resigned.export())
    assert [e["hash"] for e in forged["events"]] == [e["hash"] for e in genuine["events"]]
    forged["ledger"] = genuine["ledger"]  # the genuine ledger part on re-signed events
    data = json.dumps(forged).encode()
    assert verify_bundle(resigned.export()).ledger is None  # alone it looks intact
    assert _failure(data).rule == Rule.INCLUSION_PROOF


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["ledger"].update(checkpoint="x" * 17_000), "ledger checkpoint"),
        (_proof(0, path="ab" * 32 * 65), "path"),
        (_proof(0, received_at="x" * 201), "received_at"),
    ],
)
def test_ledger_fields_are_bounded(change: Any, words: str) -> None:
    log = make_log()
    failure = _failure(_edit(_export(log, Ledger(log)), change))
    assert failure.rule == Rule.BUNDLE_LIMIT
    assert words in failure.message
    assert MAX_BUNDLE_BYTES > 0


def test_the_ledger_part_has_exactly_its_members() -> None:
    log = make_log()
    extra = _edit(_export(log, Ledger(log)), lambda d: d["ledger"].update(note="hi"))
    assert _failure(extra).rule == Rule.BUNDLE_FORMAT
    lacking = _edit(_export(log, Ledger(log)), lambda d: d["ledger"].pop("proofs"))
    assert _failure(lacking).rule == Rule.BUNDLE_FORMAT
    other = _edit(_export(log, Ledger(log)), lambda d: d.update(witness={}))
    assert _failure(other).rule == Rule.BUNDLE_FORMAT
    empty = _edit(_export(log, Ledger(log)), lambda d: d["ledger"].update(proofs=[]))
    assert _failure(empty).rule == Rule.BUNDLE_FORMAT


def test_records_rules_still_hold_in_an_anchored_bundle() -> None:
    log = make_log()

    def drop_middle(document: dict[str, Any]) -> None:
        visits = [
            e for e in document["events"] if json.loads(e["canonical"])["type"] == "visit.started"
        ]
        document["events"].remove(visits[0])

    failure = _failure(_edit(_export(log, Ledger(log)), drop_middle))
    assert failure.rule in (Rule.ENTITY_PARENTS, Rule.LINK_SKELETON)


def test_server_keys_are_parsed_strictly() -> None:
    text = verifier_key_string(KEY_NAME, SERVER.public_key)
    assert parse_server_key(text) == KEY
    assert parse_server_key(f"  {text}\n") == KEY
    name, key_id, key = text.split("+", 2)
    for bad in (
        "",
        name,
        f"{name}+{key_id}",
        f"{name}+00000000+{key}",  # a mistyped key id
        f"{name}+{key_id}+{key[:-4]}",
        f"{name}+zz+{key}",
        "x" * 400,
    ):
        with pytest.raises(ValueError, match=r"server key|key id|key part|hex"):
            parse_server_key(bad)
