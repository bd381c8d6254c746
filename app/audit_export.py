"""Export a unit's evidence bundle from a store's event log, decided from signed bodies alone.

Which events belong to the unit's record is read from each event's signed bytes (never from the
columns kept beside them, which an edit could move to another record): see
``app.audit.record``. The log is read twice, streaming: once to learn which records are tied to
the unit, once to pick their events and note every device's chain.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from uuid import UUID

from app.audit.anchor import LedgerAnchor, unverified_checkpoint
from app.audit.bundle import build_bundle
from app.audit.bundle_document import SUBJECT_TYPE
from app.audit.canonical import parse_canonical
from app.audit.chain import StoredEvent
from app.audit.envelope import EventBody
from app.audit.errors import ChainBroken, ProfileViolation
from app.audit.record import UnitName, UnitRecord
from app.domain.errors import NotFoundError, SiteSyncError

type EventReader = Callable[[], AsyncGenerator[StoredEvent]]
"""Starts a new read of the whole log, in the order the store applied it."""

type Anchor = Callable[[Sequence[StoredEvent]], Awaitable[LedgerAnchor | None]]
"""The ledger's checkpoint and inclusion proofs of a bundle's events (None: none anchored)."""


def _check_whole(unit: str, incomplete: set[str], partial: Mapping[str, int]) -> None:
    """Refuse to write a bundle that could not verify: part of the history is not here.

    A store joined from the server's snapshot holds no events from before it: the records
    begun earlier, and the chains of the devices that wrote then, are the snapshot's word.
    """
    if not incomplete and not partial:
        return
    what = (
        f"the earlier events of record {sorted(incomplete)[0]}"
        if incomplete
        else f"the events of device {min(partial)} before seq {partial[min(partial)]}"
    )
    raise SiteSyncError(
        f"This store does not hold {what}, which the evidence bundle of unit {unit} needs "
        "(they came to it in the server's snapshot when it joined), so no bundle was written.",
        hint="Export the bundle from a store that holds the unit's whole history, such as one "
        "that has synced from the start.",
    )


@dataclass(frozen=True, slots=True)
class ExportedBundle:
    """A unit's evidence bundle and what it holds."""

    subject: str
    data: bytes
    events: int
    devices: int
    anchored: int = 0
    """Events with a ledger inclusion proof in the bundle."""
    checkpoint_size: int | None = None
    """The size of the ledger checkpoint the bundle carries (None: not anchored)."""
    anchorable: int = 0
    """Events the store knows are in the ledger under its verified checkpoint."""


def signed_body(stored: StoredEvent, position: int) -> EventBody:
    """The signed body in a stored event's bytes; ChainBroken if they cannot be read."""
    try:
        return EventBody.from_json(parse_canonical(stored.canonical))
    except ProfileViolation as exc:
        raise ChainBroken(
            exc.rule,
            f"{exc.message}; run 'sitesync audit verify' on the store",
            position=position,
            event_id=stored.event_id,
            device_id=stored.device_id,
            device_seq=stored.device_seq,
        ) from None


async def _tied_records(read: EventReader, unit: str) -> set[str]:
    record = UnitRecord(unit)
    needle = unit.encode()
    position = 0
    async with aclosing(read()) as events:
        async for stored in events:
            position += 1
            if needle in stored.canonical:  # only an event that mentions the unit can tie
                record.note(signed_body(stored, position))
    if not record.unit_events:
        raise NotFoundError(
            f"There is no unit {unit} in this store.",
            hint="Copy the unit id from the unit page or the demo output.",
        )
    return record.entities()


async def export_record(
    read: EventReader,
    device_keys: Mapping[str, bytes],
    unit_id: UUID,
    *,
    generated_at: str,
    anchor: Anchor | None = None,
    from_snapshot: bool = False,
) -> ExportedBundle:
    """Build the evidence bundle of a unit: its record's events and their devices' chains,
    and (with ``anchor``) the ledger's checkpoint and the proofs of its anchored events.

    ``from_snapshot``: the store was joined from the server's snapshot, so part of a record's
    history may not be in it; such a bundle could not verify and is refused.
    """
    unit = str(unit_id)
    members = await _tied_records(read, unit)
    name = UnitName(unit)
    picked: list[StoredEvent] = []
    chains: dict[str, bytearray] = {}
    first: dict[str, int] = {}
    newest: dict[str, int] = {}
    known: dict[str, set[str]] = {}
    incomplete: set[str] = set()
    position = 0
    async with aclosing(read()) as events:
        async for stored in events:
            position += 1
            first.setdefault(stored.device_id, stored.device_seq)
            chains.setdefault(stored.device_id, bytearray()).extend(stored.hash.encode())
            body = signed_body(stored, position)
            if body.entity_id in members:
                picked.append(stored)
                name.note(body)
                newest[body.device_id] = body.device_seq
                seen = known.setdefault(body.entity_id, set())
                if any(parent not in seen for parent in body.entity_parents):
                    incomplete.add(body.entity_id)
                seen.add(stored.hash)
    if from_snapshot:
        _check_whole(unit, incomplete, {d: first[d] for d in newest if first[d] != 1})
    missing = sorted(newest.keys() - device_keys.keys())
    if missing:
        raise SiteSyncError(
            f"The store holds no public key for device {missing[0]}, which signed events of "
            f"unit {unit}.",
            hint="Run 'sitesync audit verify' on the store to find out what happened to it.",
        )
    ledger = None if anchor is None else await anchor(picked)
    data = build_bundle(
        subject={"entity_type": SUBJECT_TYPE, "entity_id": unit, "name": name.name},
        events=picked,
        chains={device: chains[device][: 64 * seq].decode() for device, seq in newest.items()},
        device_keys={device: device_keys[device] for device in newest},
        generated_at=generated_at,
        ledger=ledger,
    )
    if ledger is None:
        return ExportedBundle(name.name, data, len(picked), len(newest))
    size = unverified_checkpoint(ledger.checkpoint).size
    return ExportedBundle(name.name, data, len(picked), len(newest), len(ledger.proofs), size)
