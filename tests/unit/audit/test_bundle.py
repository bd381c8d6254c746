"""Evidence bundles: a unit's record round-trips offline; tampering is named, sizes are bounded."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.audit import BUNDLE_FORMAT, AuditError, ChainBroken, Rule, bundle_document, verify_bundle
from app.audit.bundle import CANNOT_PROVE
from tests.unit.audit.records import (
    INCIDENT,
    OTHER_UNIT,
    RECORD,
    SITE,
    UNIT,
    VISIT,
    Log,
    make_log,
)

type Change = Callable[[dict[str, Any]], None]


def _edit(data: bytes, change: Change) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document, ensure_ascii=False).encode()


def _failure(data: bytes) -> AuditError:
    with pytest.raises(AuditError) as caught:
        verify_bundle(data)
    return caught.value


def _entities(document: dict[str, Any]) -> list[str]:
    return [json.loads(e["canonical"])["entity_id"] for e in document["events"]]


def _rechain(log: Log) -> Change:
    """Make the chains end at the newest event left, as someone editing a bundle would."""

    def change(document: dict[str, Any]) -> None:
        newest: dict[str, int] = {}
        for entry in document["events"]:
            newest[entry["device_id"]] = max(newest.get(entry["device_id"], 0), entry["device_seq"])
        document["chains"] = {d: log.chain(d, seq) for d, seq in newest.items()}
        document["device_keys"] = {d: k for d, k in document["device_keys"].items() if d in newest}

    return change


def _then(*changes: Change) -> Change:
    def change(document: dict[str, Any]) -> None:
        for step in changes:
            step(document)

    return change


def _drop(predicate: Callable[[dict[str, Any]], bool]) -> Change:
    def change(document: dict[str, Any]) -> None:
        document["events"] = [e for e in document["events"] if not predicate(e)]

    return change


def _about(entity: str, type_: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def matches(entry: dict[str, Any]) -> bool:
        body = json.loads(entry["canonical"])
        return bool(body["entity_id"] == entity and (type_ is None or body["type"] == type_))

    return matches


def test_bundle_round_trip_holds_the_units_record_and_nothing_else() -> None:
    log = make_log()
    data = log.export()
    document = json.loads(data)
    assert document["format"] == BUNDLE_FORMAT
    assert set(_entities(document)) == RECORD
    in_record = [s for s in log.events if s.body.entity_id in RECORD]
    assert [e["event_id"] for e in document["events"]] == [s.body.event_id for s in in_record]
    report = verify_bundle(data)
    assert report.name == "unit L1 at Harbour View Tower"  # from the newest signed site name
    assert (report.events, report.records, report.devices) == (len(in_record), 4, 2)
    assert report.heads[log.b.device_id].seq == 6  # B's newest event of the record


def test_the_other_units_bundle_names_it_from_its_signed_events() -> None:
    report = verify_bundle(make_log().export(OTHER_UNIT))
    assert report.name == "unit L2 at Harbour View Tower"
    assert report.records == 3  # the unit, its site, its visit


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param(
            _drop(_about(UNIT, "elevator.updated")), Rule.ENTITY_PARENTS, id="unit-middle"
        ),
        pytest.param(_drop(_about(VISIT, "visit.started")), Rule.ENTITY_PARENTS, id="visit-middle"),
        pytest.param(_drop(_about(UNIT, "elevator.registered")), Rule.ENTITY_PARENTS, id="first"),
        pytest.param(
            _drop(_about(VISIT, "visit.scheduled")), Rule.ENTITY_PARENTS, id="visit-first"
        ),
        pytest.param(_drop(lambda _e: True), Rule.BUNDLE_SUBJECT, id="all"),
        pytest.param(_drop(_about(UNIT)), Rule.BUNDLE_SUBJECT, id="all-of-the-unit"),
    ],
)
def test_events_removed_from_a_record_are_named(change: Change, rule: Rule) -> None:
    log = make_log()
    assert _failure(_edit(log.export(), _then(change, _rechain(log)))).rule == rule


def test_the_newest_event_removed_but_the_chain_kept_is_named() -> None:
    data = make_log().export()
    failure = _failure(_edit(data, _drop(_about(UNIT, "elevator.status_changed"))))
    # the second status change was the newest of device A: its chain now runs past the bundle
    assert failure.rule == Rule.ENTITY_PARENTS or failure.rule == Rule.LINK_SKELETON


def test_removing_the_newest_events_of_a_record_needs_the_ledger() -> None:
    # a bundle cannot prove its newest events are all there: that is what the server's
    # checkpoint is for; the report says so, and this test pins the limit
    log = make_log()

    newest = [s for s in log.events if s.body.entity_id == UNIT][-1].body.event_id

    def newest_unit_event(entry: dict[str, Any]) -> bool:
        return bool(entry["event_id"] == newest)

    trimmed = _edit(log.export(), _then(_drop(newest_unit_event), _rechain(log)))
    assert verify_bundle(trimmed).events == len(json.loads(log.export())["events"]) - 1
    assert "newest events" in CANNOT_PROVE


def _index(document: dict[str, Any], entity: str, type_: str, device: int = 0) -> int:
    return next(
        i
        for i, e in enumerate(document["events"])
        if _about(entity, type_)(e) and (not device or e["device_id"].endswith(f"{device:012x}"))
    )


def _move_before(entity: str, type_: str, device: int, before: tuple[str, str]) -> Change:
    """Move an event just before another (list order is the order the store applied them)."""

    def change(document: dict[str, Any]) -> None:
        events = document["events"]
        moved = events.pop(_index(document, entity, type_, device))
        events.insert(_index(document, *before), moved)

    return change


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param(
            _move_before(INCIDENT, "incident.opened", 1, (UNIT, "elevator.updated")),
            Rule.BUNDLE_ORDER,
            id="same-device",
        ),
        pytest.param(
            _move_before(UNIT, "elevator.updated", 2, (UNIT, "elevator.updated")),
            Rule.ENTITY_PARENTS,
            id="child-before-parent-of-another-device",
        ),
    ],
)
def test_reordered_events_are_named(change: Change, rule: Rule) -> None:
    failure = _failure(_edit(make_log().export(), change))
    assert isinstance(failure, ChainBroken)
    assert failure.rule == rule


def test_concurrent_events_of_two_devices_may_come_in_either_order() -> None:
    # a store applies concurrent events (neither names the other) in the order they arrived
    swap = _move_before(VISIT, "visit.scheduled", 2, (UNIT, "elevator.registered"))
    assert verify_bundle(_edit(make_log().export(), swap)).events > 0


def _subject(**fields: Any) -> Change:
    def change(document: dict[str, Any]) -> None:
        document["subject"].update(fields)

    return change


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param(_subject(entity_id=OTHER_UNIT), Rule.BUNDLE_SUBJECT, id="another-unit"),
        pytest.param(_subject(entity_id=VISIT), Rule.BUNDLE_SUBJECT, id="a-visit"),
        pytest.param(_subject(name="unit L9 at Temple Gate"), Rule.BUNDLE_SUBJECT, id="name"),
        pytest.param(_subject(note="all clear"), Rule.BUNDLE_FORMAT, id="padded"),
        pytest.param(_subject(entity_type="site"), Rule.BUNDLE_FORMAT, id="type"),
        pytest.param(_subject(name="x" * 501), Rule.BUNDLE_LIMIT, id="name-too-long"),
    ],
)
def test_a_changed_or_padded_subject_is_named(change: Change, rule: Rule) -> None:
    assert _failure(_edit(make_log().export(), change)).rule == rule


def test_an_event_of_another_unit_added_to_the_bundle_is_named() -> None:
    log = make_log()
    other = json.loads(log.export(OTHER_UNIT))
    foreign = next(e for e in other["events"] if _about(OTHER_UNIT)(e))

    def add(document: dict[str, Any]) -> None:
        document["events"].insert(3, foreign)
        document["device_keys"] = other["device_keys"] | document["device_keys"]

    failure = _failure(_edit(log.export(), _then(add, _rechain(log))))
    assert isinstance(failure, ChainBroken)
    assert (failure.rule, failure.event_id) == (Rule.BUNDLE_SUBJECT, foreign["event_id"])


def test_events_of_two_organizations_are_named() -> None:
    log = make_log()
    log.write(log.b, "elevator", UNIT, "elevator.updated", {"model": "X"}, organization=OTHER_ORG)
    failure = _failure(log.export())
    assert isinstance(failure, ChainBroken)
    assert (failure.rule, failure.device_id) == (Rule.ORGANIZATION, log.b.device_id)


OTHER_ORG = "0190a1b2-0000-7000-8000-0000000000ff"


def _set_event(index: int, **fields: Any) -> Change:
    def change(document: dict[str, Any]) -> None:
        document["events"][index].update(fields)

    return change


def _swap_keys(document: dict[str, Any]) -> None:
    keys = document["device_keys"]
    a, b = keys
    keys[a], keys[b] = keys[b], keys[a]


def _chain_of(device_index: int, change: Callable[[str], str]) -> Change:
    def edit(document: dict[str, Any]) -> None:
        device = sorted(document["chains"])[device_index]
        document["chains"][device] = change(document["chains"][device])

    return edit


@pytest.mark.parametrize(
    ("change", "rule", "position"),
    [
        (_set_event(3, canonical="{}"), Rule.ENVELOPE_FIELDS, 4),
        (_set_event(3, hash="0" * 64), Rule.EVENT_HASH, 4),
        (_set_event(3, signature=base64.b64encode(bytes(64)).decode()), Rule.SIGNATURE, 4),
        (_set_event(3, device_seq=9), Rule.STORED_FIELDS_MISMATCH, 4),
        (_swap_keys, Rule.SIGNATURE, 1),
        (_chain_of(0, lambda c: "0" * 64 + c[64:]), Rule.LINK_SKELETON, 1),
        (_set_event(0, device_id=UNIT), Rule.STORED_FIELDS_MISMATCH, 1),
    ],
)
def test_tampered_bundle_names_the_event_and_rule(
    change: Change, rule: Rule, position: int
) -> None:
    failure = _failure(_edit(make_log().export(), change))
    assert isinstance(failure, ChainBroken)
    assert (failure.rule, failure.position) == (rule, position)


def test_payload_edit_in_canonical_text_breaks_the_hash() -> None:
    document = json.loads(make_log().export())
    at = _index(document, UNIT, "elevator.updated", 1)
    text = document["events"][at]["canonical"]
    document["events"][at]["canonical"] = text.replace('"model":"', '"model":"X', 1)
    failure = _failure(json.dumps(document).encode())
    assert (failure.rule, getattr(failure, "position", None)) == (Rule.EVENT_HASH, at + 1)


def test_missing_device_key_is_unknown_device() -> None:
    log = make_log()

    def drop_key(document: dict[str, Any]) -> None:
        del document["device_keys"][log.b.device_id]

    failure = _failure(_edit(log.export(), drop_key))
    assert isinstance(failure, ChainBroken)
    assert (failure.rule, failure.device_id) == (Rule.UNKNOWN_DEVICE, log.b.device_id)


def test_duplicated_event_is_refused() -> None:
    def duplicate(document: dict[str, Any]) -> None:
        document["events"].append(document["events"][0])

    assert _failure(_edit(make_log().export(), duplicate)).rule == Rule.BUNDLE_ORDER


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",
        b"[]",
        b'{"format": "sitesync-evidence/v2"}',
        b'{"format":"x","format":"y"}',
        b'{"format": "sitesync-evidence/v2", "subject": 1}',
        b"{" * 100_000,
        b'{"format": "sitesync-evidence/v2", "subject": ' + b"[" * 1_000_000,
    ],
)
def test_malformed_documents_are_bundle_format_errors(data: bytes) -> None:
    assert _failure(data).rule == Rule.BUNDLE_FORMAT


def test_an_older_format_is_refused_with_the_next_step() -> None:
    def version(document: dict[str, Any]) -> None:
        document["format"] = "sitesync-evidence/v1"

    failure = _failure(_edit(make_log().export(), version))
    assert failure.rule == Rule.BUNDLE_FORMAT
    assert "export the bundle again" in failure.message


# -- sizes: a hostile file must not exhaust memory or time ----------------------------------

FAST = 2.0  # seconds: each refusal comes long before the work a large input would cost


def _bounded(data: bytes, rule: Rule, words: str) -> None:
    started = time.monotonic()
    failure = _failure(data)
    assert time.monotonic() - started < FAST
    assert failure.rule == rule
    assert words in failure.message


def _valid_prefix() -> bytes:
    document = json.loads(make_log().export())
    text = json.dumps(document)
    return text[: text.index('"events": [') + len('"events": [')].encode()


def test_a_file_past_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle_document, "MAX_BUNDLE_BYTES", 1024 * 1024)
    _bounded(make_log().export() + b" " * 1024 * 1024, Rule.BUNDLE_LIMIT, "at most 1,048,576")


def test_too_many_events_are_refused_at_the_first_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bundle_document, "MAX_EVENTS", 1000)
    entry = json.dumps(json.loads(make_log().export())["events"][0]).encode()
    data = _valid_prefix() + b",".join([entry] * 5_000) + b"]}"
    _bounded(data, Rule.BUNDLE_LIMIT, "more than 1,000 items")


def test_millions_of_tiny_values_are_refused_at_the_first() -> None:
    data = _valid_prefix() + b",".join([b"1"] * 5_000_000) + b"]}"
    _bounded(data, Rule.BUNDLE_FORMAT, "an event")


@pytest.mark.parametrize(
    ("field", "size", "words"),
    [
        ("hash", 10_000_000, "longer than 200"),
        ("canonical", 2 * 1024 * 1024, "longer than 1,048,576"),
        ("event_id", 201, "longer than 200"),
    ],
)
def test_oversized_fields_are_refused(field: str, size: int, words: str) -> None:
    _bounded(
        _edit(make_log().export(), _set_event(0, **{field: "a" * size})), Rule.BUNDLE_LIMIT, words
    )


def test_a_chain_of_garbage_is_refused() -> None:
    change = _chain_of(0, lambda c: c + "zz")
    _bounded(_edit(make_log().export(), change), Rule.BUNDLE_FORMAT, "64-hex-digit")


def test_subject_and_devices_must_match_the_events() -> None:
    log = make_log()

    def extra_chain(document: dict[str, Any]) -> None:
        document["chains"][SITE] = ""

    assert _failure(_edit(log.export(), extra_chain)).rule == Rule.BUNDLE_FORMAT
    assert INCIDENT in RECORD
