"""Evidence bundles: one unit's events round-trip offline; tampering is named."""

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.audit import (
    BUNDLE_FORMAT,
    AuditError,
    ChainBroken,
    Rule,
    StoredEvent,
    build_bundle,
    verify_bundle,
)
from tests.unit.audit.factory import ELEVATOR, World, make_world, stored, uid

OTHER_UNIT = uid(0xE2, 1)
GENERATED = "2025-03-02T09:00:00.000000Z"


def _world_with_two_units() -> World:
    world = make_world()
    # A few events about another unit, so the bundle is a strict subset of the chains.
    world.a.append({"status": "running"}, entity_id=OTHER_UNIT)
    world.b.append({"status": "running"}, entity_id=OTHER_UNIT)
    world.a.append({"status": "stopped"})
    return world


def _bundle(world: World) -> tuple[bytes, list[StoredEvent]]:
    events = [
        stored(s)
        for device in (world.a, world.b)
        for s in device.sealed
        if s.body.entity_id == ELEVATOR
    ]
    links = {}
    for device in (world.a, world.b):
        last = max(ev.device_seq for ev in events if ev.device_id == device.device_id)
        links[device.device_id] = [
            (s.body.device_seq, s.body.prev_hash, s.hash) for s in device.sealed[:last]
        ]
    data = build_bundle(
        subject={"entity_type": "elevator", "entity_id": ELEVATOR},
        events=events,
        links=links,
        device_keys={d.device_id: d.signer.public_key for d in (world.a, world.b)},
        generated_at=GENERATED,
    )
    return data, events


def test_bundle_round_trip() -> None:
    world = _world_with_two_units()
    data, events = _bundle(world)
    document = json.loads(data)
    assert document["format"] == BUNDLE_FORMAT
    assert document["events"][0]["canonical"].encode() == events[0].canonical
    report = verify_bundle(data)
    assert report.subject == {"entity_type": "elevator", "entity_id": ELEVATOR}
    assert (report.events, report.devices) == (len(events), 2)
    assert report.heads[world.a.device_id] == (20, world.a.sealed[-1].hash)
    assert report.heads[world.b.device_id].seq == 12  # B's newest event is about the other unit


def _edit(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document, ensure_ascii=False).encode()


def _set_event(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["events"][index].update(fields)

    return change


def _reorder_links(document: dict[str, Any]) -> None:
    chain = next(iter(document["links"].values()))
    chain[2], chain[3] = chain[3], chain[2]


def _break_link(document: dict[str, Any]) -> None:
    chain = next(iter(document["links"].values()))
    chain[4][1] = "0" * 64


def _drop_link(document: dict[str, Any]) -> None:
    chain = next(iter(document["links"].values()))
    del chain[6]


def _swap_keys(document: dict[str, Any]) -> None:
    a, b = document["device_keys"]
    keys = document["device_keys"]
    keys[a], keys[b] = keys[b], keys[a]


@pytest.mark.parametrize(
    ("change", "rule", "position"),
    [
        (_set_event(3, canonical="{}"), Rule.ENVELOPE_FIELDS, 4),
        (_set_event(3, hash="0" * 64), Rule.EVENT_HASH, 4),
        (_set_event(3, signature=base64.b64encode(bytes(64)).decode()), Rule.SIGNATURE, 4),
        (_set_event(3, device_seq=9), Rule.STORED_FIELDS_MISMATCH, 4),
        (_set_event(3, extra=1), Rule.BUNDLE_FORMAT, 4),
        (_swap_keys, Rule.SIGNATURE, 1),
        (_reorder_links, Rule.DEVICE_SEQ_CONTIGUOUS, 3),
        (_break_link, Rule.PREV_HASH_LINK, 5),
        (_drop_link, Rule.DEVICE_SEQ_CONTIGUOUS, 7),
    ],
)
def test_tampered_bundle_names_the_event_and_rule(
    change: Callable[[dict[str, Any]], None], rule: Rule, position: int
) -> None:
    data, _ = _bundle(_world_with_two_units())
    with pytest.raises(ChainBroken) as caught:
        verify_bundle(_edit(data, change))
    assert (caught.value.rule, caught.value.position) == (rule, position)


def test_payload_edit_in_canonical_text_breaks_the_hash() -> None:
    data, events = _bundle(_world_with_two_units())
    document = json.loads(data)
    text = document["events"][2]["canonical"]
    document["events"][2]["canonical"] = text.replace('"status":"', '"status":"X', 1)
    with pytest.raises(ChainBroken) as caught:
        verify_bundle(json.dumps(document).encode())
    assert (caught.value.rule, caught.value.position) == (Rule.EVENT_HASH, 3)
    assert caught.value.event_id == events[2].event_id


def test_event_missing_from_the_skeleton_is_named() -> None:
    world = _world_with_two_units()
    data, events = _bundle(world)
    last_a = max(i for i, ev in enumerate(events) if ev.device_id == world.a.device_id)

    def shorten(document: dict[str, Any]) -> None:
        del document["links"][world.a.device_id][-1]

    with pytest.raises(ChainBroken) as caught:
        verify_bundle(_edit(data, shorten))
    assert (caught.value.rule, caught.value.position) == (Rule.LINK_SKELETON, last_a + 1)


def test_missing_device_key_is_unknown_device() -> None:
    world = _world_with_two_units()
    data, events = _bundle(world)

    def drop_key(document: dict[str, Any]) -> None:
        del document["device_keys"][world.b.device_id]

    first_b = next(i for i, ev in enumerate(events) if ev.device_id == world.b.device_id)
    with pytest.raises(ChainBroken) as caught:
        verify_bundle(_edit(data, drop_key))
    assert (caught.value.rule, caught.value.position) == (Rule.UNKNOWN_DEVICE, first_b + 1)


def test_duplicated_event_is_refused() -> None:
    data, _ = _bundle(_world_with_two_units())

    def duplicate(document: dict[str, Any]) -> None:
        document["events"].append(document["events"][0])

    with pytest.raises(ChainBroken) as caught:
        verify_bundle(_edit(data, duplicate))
    assert caught.value.rule == Rule.BUNDLE_FORMAT


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",
        b"[]",
        b'{"format": "sitesync-evidence/v1"}',
        b'{"format":"x","format":"y"}',
    ],
)
def test_malformed_documents_are_bundle_format_errors(data: bytes) -> None:
    with pytest.raises(AuditError) as caught:
        verify_bundle(data)
    assert caught.value.rule == Rule.BUNDLE_FORMAT


def test_wrong_format_version_is_refused() -> None:
    data, _ = _bundle(_world_with_two_units())

    def version(document: dict[str, Any]) -> None:
        document["format"] = "sitesync-evidence/v2"

    with pytest.raises(AuditError, match="v2") as caught:
        verify_bundle(_edit(data, version))
    assert caught.value.rule == Rule.BUNDLE_FORMAT
