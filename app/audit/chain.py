"""Streaming verification of device chains: seq, links, hashes and signatures.

Events arrive in per-device ``device_seq`` order; devices may interleave (local insertion order,
ledger order). The verifier keeps O(devices) state and stops at the first bad event, naming its
1-based position in the stream and the rule it broke. Nothing is repaired.

Limits: a chain alone cannot show that its newest events were cut off (tail truncation); that
needs the server ledger (inclusion of the device head under a signed checkpoint).
"""

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple, NoReturn, Protocol

from app.audit.canonical import parse_canonical
from app.audit.envelope import EventBody, event_hash, genesis_hash, signature_message
from app.audit.errors import ChainBroken, ProfileViolation, Rule
from app.audit.signing import verify_signature

# How many recent hashes per device are kept to tell a fork (same seq, other hash) from a
# repeated event when a seq comes back after newer events of that device.
FORK_WINDOW: Final = 64


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as a store holds it: key columns, hash, signature and the exact canonical bytes.

    The optional columns are the other copies of signed fields a store keeps beside the bytes
    (for its queries); full verification checks each one given against the signed body.
    """

    event_id: str
    device_id: str
    device_seq: int
    prev_hash: str
    hash: str
    signature: bytes
    canonical: bytes  # b"" is allowed in link-only verification
    entity_type: str | None = None
    entity_id: str | None = None
    type: str | None = None
    type_version: int | None = None
    occurred_at: str | None = None
    actor_id: str | None = None

    def side_columns(self) -> tuple[tuple[str, object], ...]:
        """The optional copies of signed fields this row carries, as (field, stored value)."""
        return tuple(
            (name, value)
            for name, value in (
                ("entity_type", self.entity_type),
                ("entity_id", self.entity_id),
                ("type", self.type),
                ("type_version", self.type_version),
                ("occurred_at", self.occurred_at),
                ("actor_id", self.actor_id),
            )
            if value is not None
        )


class DeviceKeys(Protocol):
    """Looks up the public key a device used at a given point of its chain."""

    def key_for(self, device_id: str, device_seq: int) -> bytes | None:
        """Return the 32-byte key valid for `device_seq`, or None for an unknown device."""
        ...


class StaticDeviceKeys(dict[str, bytes]):
    """One key per device for its whole chain (no rotation): ``{device_id: public_key}``."""

    def key_for(self, device_id: str, device_seq: int) -> bytes | None:
        """Return the device's only key, whatever the seq."""
        return self.get(device_id)


class DeviceHead(NamedTuple):
    """The newest verified event of a device."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What a successful verification saw."""

    events: int
    devices: int
    heads: dict[str, DeviceHead]
    head_hash: str | None
    from_snapshot: dict[str, DeviceHead] = field(default_factory=dict)
    """Devices whose chains start at a snapshot's stated position, not at their genesis: their
    earlier events are not in the stream (a store joined from a snapshot)."""
    snapshot_at: int | None = None
    """The ledger index of that snapshot, when the stream's source knows it."""


class _Device:
    __slots__ = ("hash", "recent", "seq")

    def __init__(self) -> None:
        self.seq = 0
        self.hash = ""
        self.recent: deque[str] = deque(maxlen=FORK_WINDOW)


class ChainVerifier:
    """Feed events one by one; `feed` raises ChainBroken at the first bad event.

    With ``organization_id``, full verification also requires every event to belong to that
    organization (a valid chain of another organization's device must not pass).
    """

    def __init__(
        self,
        keys: DeviceKeys,
        *,
        full: bool = True,
        organization_id: str | None = None,
        starts: Mapping[str, DeviceHead] | None = None,
    ) -> None:
        self._keys = keys
        self._starts = dict(starts or {})
        self._full = full
        self._organization = organization_id
        self._devices: dict[str, _Device] = {}
        self._position = 0
        self._head_hash: str | None = None
        self._error: ChainBroken | None = None

    def _broken(self, ev: StoredEvent, rule: Rule | str, detail: str) -> ChainBroken:
        return ChainBroken(
            rule,
            detail,
            position=self._position,
            event_id=ev.event_id,
            device_id=ev.device_id,
            device_seq=ev.device_seq,
        )

    def _check_content(self, ev: StoredEvent) -> None:
        """Full mode: strict parse, recomputed hash, stored columns, signature."""
        try:
            body = EventBody.from_json(parse_canonical(ev.canonical))
        except ProfileViolation as exc:
            raise self._broken(ev, exc.rule, exc.message) from None
        if event_hash(ev.canonical) != ev.hash:
            raise self._broken(ev, Rule.EVENT_HASH, "stored hash is not the hash of the bytes")
        for name, stored in (
            ("event_id", ev.event_id),
            ("device_id", ev.device_id),
            ("device_seq", ev.device_seq),
            ("prev_hash", ev.prev_hash),
            *ev.side_columns(),
        ):
            signed = getattr(body, name)
            if stored != signed or type(stored) is not type(signed):
                raise self._broken(
                    ev,
                    Rule.STORED_FIELDS_MISMATCH,
                    f"stored {name} {stored!r} differs from the signed body's {signed!r}",
                )
        if self._organization is not None and body.organization_id != self._organization:
            raise self._broken(
                ev,
                Rule.ORGANIZATION,
                f"the event belongs to organization {body.organization_id}, "
                f"not to this one ({self._organization})",
            )
        key = self._keys.key_for(ev.device_id, ev.device_seq)
        if key is None:
            raise self._broken(ev, Rule.UNKNOWN_DEVICE, "no public key known for this device")
        if not verify_signature(key, signature_message(ev.hash), ev.signature):
            raise self._broken(ev, Rule.SIGNATURE, "signature does not verify with the device key")

    def feed(self, ev: StoredEvent) -> None:
        """Verify the next event of the stream; raise ChainBroken if it breaks a rule."""
        if self._error is not None:
            raise self._error  # a broken stream stays broken: nothing after it is trusted
        self._position += 1
        try:
            if self._full:
                self._check_content(ev)
            device = self._devices.get(ev.device_id)
            if device is None:
                device = self._devices[ev.device_id] = _Device()
                start = self._starts.get(ev.device_id)
                if start is not None:  # its events up to here came only in a snapshot
                    device.seq, device.hash = start.seq, start.hash
                    device.recent.append(start.hash)
            seq = ev.device_seq
            if seq != device.seq + 1:
                self._out_of_sequence(ev, device)
            expected = device.hash if device.seq else genesis_hash(ev.device_id)
            if ev.prev_hash != expected:
                raise self._broken(
                    ev,
                    Rule.PREV_HASH_LINK,
                    f"prev_hash {ev.prev_hash} is not the hash of seq {seq - 1} ({expected})"
                    if seq > 1
                    else f"prev_hash {ev.prev_hash} is not the device's genesis value",
                )
        except ChainBroken as exc:
            self._error = exc
            raise
        device.seq = seq
        device.hash = ev.hash
        device.recent.append(ev.hash)
        self._head_hash = ev.hash

    def _out_of_sequence(self, ev: StoredEvent, device: _Device) -> NoReturn:
        seq = ev.device_seq
        if type(seq) is not int or seq < 1 or seq > device.seq:
            expected = device.seq + 1
            raise self._broken(
                ev, Rule.DEVICE_SEQ_CONTIGUOUS, f"expected seq {expected}, got {seq!r}"
            )
        back = device.seq - seq
        if back < len(device.recent):
            seen = device.recent[len(device.recent) - 1 - back]
            if seen != ev.hash:
                raise self._broken(
                    ev, Rule.DEVICE_FORK, f"seq {seq} was already seen with hash {seen}"
                )
            raise self._broken(ev, Rule.DEVICE_SEQ_CONTIGUOUS, f"seq {seq} repeats an event")
        raise self._broken(
            ev,
            Rule.DEVICE_SEQ_CONTIGUOUS,
            f"seq {seq} comes again after seq {device.seq} (a repeat or a fork)",
        )

    def finish(self) -> ChainReport:
        """Return the report of everything fed so far; re-raise if the stream broke."""
        if self._error is not None:
            raise self._error
        heads = {d: DeviceHead(s.seq, s.hash) for d, s in self._devices.items() if s.seq}
        return ChainReport(
            events=self._position,
            devices=len(self._devices),
            heads={**self._starts, **heads},
            head_hash=self._head_hash,
            from_snapshot=dict(self._starts),
        )


def verify_events(
    events: Iterable[StoredEvent],
    keys: DeviceKeys,
    *,
    full: bool = True,
    organization_id: str | None = None,
) -> ChainReport:
    """Verify a whole stream and return its report; raise ChainBroken at the first bad event."""
    verifier = ChainVerifier(keys, full=full, organization_id=organization_id)
    feed = verifier.feed
    for ev in events:
        feed(ev)
    return verifier.finish()
