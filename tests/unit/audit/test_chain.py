"""Device-chain verification: every attack of RELIABILITY.md A8 stops at the first bad event."""

import json
from dataclasses import replace

import pytest

from app.audit import (
    ChainBroken,
    ChainVerifier,
    Rule,
    StaticDeviceKeys,
    StoredEvent,
    canonicalize,
    event_hash,
    verify_events,
)
from app.audit.chain import FORK_WINDOW, DeviceHead
from tests.unit.audit.factory import ORG, make_device, make_world, reseal, stored

OTHER_ORG = "0190a1b2-0000-7000-8000-0000000000ff"


def _broken(stream: list[StoredEvent], keys: StaticDeviceKeys, *, full: bool = True) -> ChainBroken:
    with pytest.raises(ChainBroken) as caught:
        verify_events(stream, keys, full=full)
    return caught.value


def test_an_honest_interleaved_stream_verifies() -> None:
    world = make_world()
    report = verify_events(world.stream, world.keys)
    assert (report.events, report.devices) == (30, 2)
    assert report.heads[world.a.device_id] == (18, world.a.sealed[-1].hash)
    assert report.heads[world.b.device_id].seq == 12
    assert report.head_hash == world.stream[-1].hash
    link_only = [replace(ev, canonical=b"") for ev in world.stream]
    assert verify_events(link_only, world.keys, full=False) == report


def test_payload_edited_in_place_breaks_event_hash() -> None:
    world = make_world()
    target = world.event(world.a, 5)
    body = world.bodies[target.hash]
    edited = canonicalize(replace(body, payload={**body.payload, "status": "running"}).to_json())
    assert edited != target.canonical
    stream = list(world.stream)
    stream[world.position(world.a, 5) - 1] = replace(target, canonical=edited)
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.EVENT_HASH, world.position(world.a, 5))
    assert (error.device_id, error.device_seq, error.event_id) == (
        world.a.device_id,
        5,
        target.event_id,
    )


def test_edited_and_rehashed_but_not_resigned_breaks_signature() -> None:
    world = make_world()
    target = world.event(world.a, 7)
    body = world.bodies[target.hash]
    edited = canonicalize(replace(body, payload={"status": "forged"}).to_json())
    stream = list(world.stream)
    stream[world.position(world.a, 7) - 1] = replace(
        target, canonical=edited, hash=event_hash(edited)
    )
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.SIGNATURE, world.position(world.a, 7))


def test_resigned_with_another_devices_key_breaks_signature() -> None:
    world = make_world()
    target = world.event(world.a, 3)
    forged = reseal(world.bodies[target.hash], world.b.signer, payload={"x": "forged"})
    stream = list(world.stream)
    stream[world.position(world.a, 3) - 1] = forged
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.SIGNATURE, world.position(world.a, 3))


def test_reordered_events_break_seq_contiguity() -> None:
    world = make_world()
    first, second = world.position(world.a, 8), world.position(world.a, 9)
    stream = list(world.stream)
    stream[first - 1], stream[second - 1] = stream[second - 1], stream[first - 1]
    for full in (True, False):
        error = _broken(stream, world.keys, full=full)
        assert (error.rule, error.position, error.device_seq) == (
            Rule.DEVICE_SEQ_CONTIGUOUS,
            first,
            9,
        )


def test_deleted_event_breaks_seq_contiguity() -> None:
    world = make_world()
    gone = world.position(world.b, 4)
    stream = [ev for i, ev in enumerate(world.stream, start=1) if i != gone]
    error = _broken(stream, world.keys)
    expected_position = world.position(world.b, 5) - 1  # everything after shifted by one
    assert (error.rule, error.position, error.device_seq) == (
        Rule.DEVICE_SEQ_CONTIGUOUS,
        expected_position,
        5,
    )


def test_truncated_middle_breaks_seq_contiguity() -> None:
    world = make_world()
    cut = {world.position(world.a, seq) for seq in range(6, 11)}
    stream = [ev for i, ev in enumerate(world.stream, start=1) if i not in cut]
    error = _broken(stream, world.keys, full=False)
    assert error.rule == Rule.DEVICE_SEQ_CONTIGUOUS
    assert error.device_seq == 11
    assert error.position == world.position(world.a, 11) - len(cut)


def test_missing_first_event_breaks_seq_contiguity() -> None:
    world = make_world()
    stream = world.stream[1:]  # A1 is the first event of the stream
    error = _broken(stream, world.keys)
    assert (error.rule, error.device_seq) == (Rule.DEVICE_SEQ_CONTIGUOUS, 2)


def test_event_spliced_from_another_device_is_caught_both_ways() -> None:
    world = make_world()
    position = world.position(world.a, 5)
    donor = world.event(world.b, 5)
    # The attacker relabels B's seq-5 row as A's seq 5, keeping B's signed bytes and signature.
    spliced = replace(donor, device_id=world.a.device_id)
    stream = list(world.stream)
    stream[position - 1] = spliced
    # Full verification reads the signed body: it names device B, not the stored A.
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.STORED_FIELDS_MISMATCH, position)
    assert "device_id" in error.detail
    # Link-only verification sees B's prev_hash where A's seq-4 hash belongs.
    error = _broken(stream, world.keys, full=False)
    assert (error.rule, error.position) == (Rule.PREV_HASH_LINK, position)


def test_forked_seq_is_a_device_fork() -> None:
    world = make_world()
    original = world.event(world.a, 6)
    twin = reseal(world.bodies[original.hash], world.a.signer, payload={"twin": 1})
    position = world.position(world.a, 6) + 1
    stream = list(world.stream)
    stream.insert(position - 1, twin)
    error = _broken(stream, world.keys)
    assert (error.rule, error.position, error.device_seq) == (Rule.DEVICE_FORK, position, 6)


def test_fork_after_newer_events_is_still_a_fork() -> None:
    world = make_world()
    original = world.event(world.a, 6)
    twin = reseal(world.bodies[original.hash], world.a.signer, payload={"twin": 1})
    position = world.position(world.a, 9) + 1
    stream = list(world.stream)
    stream.insert(position - 1, twin)
    assert FORK_WINDOW > 9 - 6
    error = _broken(stream, world.keys, full=False)
    assert (error.rule, error.position) == (Rule.DEVICE_FORK, position)


def test_repeated_event_breaks_seq_contiguity() -> None:
    world = make_world()
    position = world.position(world.b, 3) + 1
    stream = list(world.stream)
    stream.insert(position - 1, world.event(world.b, 3))
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.DEVICE_SEQ_CONTIGUOUS, position)


def test_prev_hash_rewritten_and_resigned_with_the_right_key_breaks_the_link() -> None:
    world = make_world()
    target = world.event(world.a, 10)
    forged = reseal(world.bodies[target.hash], world.a.signer, prev_hash="0" * 64)
    stream = list(world.stream)
    stream[world.position(world.a, 10) - 1] = forged
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.PREV_HASH_LINK, world.position(world.a, 10))


def test_first_event_must_link_to_the_genesis_value() -> None:
    device = make_device(3)
    forged = reseal(device.next_body({"status": "running"}), device.signer, prev_hash="f" * 64)
    keys = StaticDeviceKeys({device.device_id: device.signer.public_key})
    error = _broken([forged], keys)
    assert (error.rule, error.position) == (Rule.PREV_HASH_LINK, 1)


def test_unknown_device_is_named() -> None:
    world = make_world()
    keys = StaticDeviceKeys({world.a.device_id: world.a.signer.public_key})
    error = _broken(world.stream, keys)
    assert (error.rule, error.position) == (Rule.UNKNOWN_DEVICE, world.position(world.b, 1))


def test_non_canonical_storage_is_named() -> None:
    world = make_world()
    target = world.event(world.b, 2)
    pretty = json.dumps(json.loads(target.canonical), indent=1).encode()
    stream = list(world.stream)
    stream[world.position(world.b, 2) - 1] = replace(target, canonical=pretty)
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.NON_CANONICAL_BYTES, world.position(world.b, 2))


def test_stored_column_edit_is_named() -> None:
    world = make_world()
    target = world.event(world.a, 4)
    stream = list(world.stream)
    stream[world.position(world.a, 4) - 1] = replace(
        target, event_id=world.event(world.a, 3).event_id
    )
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.STORED_FIELDS_MISMATCH, world.position(world.a, 4))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("entity_id", "0190a1b2-0000-7000-8000-0000000000e2"),
        ("entity_type", "site"),
        ("type", "elevator.updated"),
        ("type_version", 2),
        ("occurred_at", "2025-03-01T08:00:00.000001Z"),
        ("actor_id", "0190a1b2-0000-7000-8000-00000000000c"),
    ],
)
def test_a_side_column_that_disagrees_with_the_signed_body_is_named(
    column: str, value: object
) -> None:
    # columns kept beside the signed bytes (for queries) are evidence too: an edit that
    # leaves hash and signature intact must not pass
    world = make_world()
    stream = list(world.stream)
    at = world.position(world.a, 5)
    stream[at - 1] = replace(stream[at - 1], **{column: value})  # type: ignore[arg-type]
    error = _broken(stream, world.keys)
    assert (error.rule, error.position) == (Rule.STORED_FIELDS_MISMATCH, at)
    assert f"stored {column}" in error.detail


def test_side_columns_of_an_honest_stream_agree() -> None:
    world = make_world()
    assert all(ev.entity_id is not None and ev.occurred_at is not None for ev in world.stream)
    assert verify_events(world.stream, world.keys).events == 30


def test_a_chain_of_another_organization_is_named() -> None:
    # a device of organization X with a valid chain of its own, spliced into organization
    # ORG's stream: every link and signature holds, only the organization gives it away
    world = make_world()
    intruder = make_device(9)
    spliced = [
        reseal(intruder.next_body({"n": 1}), intruder.signer, organization_id=OTHER_ORG),
    ]
    keys = StaticDeviceKeys({**world.keys, intruder.device_id: intruder.signer.public_key})
    stream = [*world.stream[:10], *spliced, *world.stream[10:]]
    assert verify_events(stream, keys).events == 31  # without the organization: intact
    with pytest.raises(ChainBroken) as caught:
        verify_events(stream, keys, organization_id=ORG)
    assert (caught.value.rule, caught.value.position) == (Rule.ORGANIZATION, 11)
    assert OTHER_ORG in caught.value.detail
    assert verify_events(world.stream, world.keys, organization_id=ORG).events == 30


def test_tail_truncation_shows_only_in_the_heads() -> None:
    # A chain cannot prove its own newest events are present; callers compare heads with the
    # ledger. This pins that limit so nobody relies on verify_events for it.
    world = make_world()
    last = world.position(world.a, 18)
    report = verify_events(world.stream[: last - 1] + world.stream[last:], world.keys)
    assert report.heads[world.a.device_id].seq == 17


def test_a_broken_verifier_stays_broken() -> None:
    world = make_world()
    verifier = ChainVerifier(world.keys)
    verifier.feed(world.stream[0])  # A1
    with pytest.raises(ChainBroken) as first:
        verifier.feed(world.stream[0])  # A1 again
    assert (first.value.rule, first.value.position) == (Rule.DEVICE_SEQ_CONTIGUOUS, 2)
    with pytest.raises(ChainBroken) as again:
        verifier.feed(world.stream[1])  # B1 is fine, but nothing after a break is trusted
    assert again.value is first.value
    with pytest.raises(ChainBroken):
        verifier.finish()


def test_key_rotation_through_device_keys() -> None:
    old, new = make_device(4), make_device(5)
    events = []
    for seq in range(1, 7):
        signer = old.signer if seq <= 3 else new.signer
        old.signer = signer
        events.append(stored(old.append({"seq": seq})))

    class Rotating:
        def key_for(self, device_id: str, device_seq: int) -> bytes | None:
            if device_id != old.device_id:
                return None
            return (make_device(4) if device_seq <= 3 else new).signer.public_key

    assert verify_events(events, Rotating()).events == 6
    static = StaticDeviceKeys({old.device_id: make_device(4).signer.public_key})
    error = _broken(events, static)
    assert (error.rule, error.position) == (Rule.SIGNATURE, 4)


def _snapshot_joined() -> tuple[list[StoredEvent], StaticDeviceKeys, dict[str, DeviceHead]]:
    """A device's events after seq 3, as a store joined from a snapshot at seq 3 holds them."""
    device = make_device(7)
    for n in range(6):
        device.append({"n": n})
    start = {device.device_id: DeviceHead(3, device.sealed[2].hash)}
    keys = StaticDeviceKeys({device.device_id: device.signer.public_key})
    return [stored(s) for s in device.sealed[3:]], keys, start


def test_a_chain_starts_at_the_snapshots_stated_position() -> None:
    events, keys, start = _snapshot_joined()
    (device,) = start
    verifier = ChainVerifier(keys, starts=start)
    for ev in events:
        verifier.feed(ev)
    report = verifier.finish()
    assert report.events == 3
    assert report.heads[device] == (6, events[-1].hash)
    assert report.from_snapshot == start
    with pytest.raises(ChainBroken) as caught:  # without the snapshot's position: a gap
        verify_events(events, keys)
    assert caught.value.rule == Rule.DEVICE_SEQ_CONTIGUOUS


def test_a_snapshot_device_without_later_events_keeps_its_stated_head() -> None:
    _, keys, start = _snapshot_joined()
    report = ChainVerifier(keys, starts=start).finish()
    assert report.heads == start
    assert report.events == 0


@pytest.mark.parametrize(
    ("shift", "rule"),
    [(0, Rule.PREV_HASH_LINK), (1, Rule.DEVICE_FORK), (-1, Rule.DEVICE_SEQ_CONTIGUOUS)],
)
def test_a_wrong_snapshot_position_is_named(shift: int, rule: Rule) -> None:
    events, keys, start = _snapshot_joined()
    (device,) = start
    wrong = DeviceHead(3, "0" * 64) if shift == 0 else DeviceHead(3 + shift, start[device].hash)
    verifier = ChainVerifier(keys, starts={device: wrong})
    with pytest.raises(ChainBroken) as caught:
        _feed(verifier, events)
    assert caught.value.rule == rule


def _feed(verifier: ChainVerifier, events: list[StoredEvent]) -> None:
    for ev in events:
        verifier.feed(ev)
