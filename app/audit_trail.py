"""Verify a store's audit trail and export a unit's evidence bundle (streaming, bounded memory)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from app.audit.bundle import build_bundle
from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys, StoredEvent
from app.audit.envelope import format_timestamp
from app.audit.errors import AuditError, ChainBroken, Rule
from app.domain.errors import NotFoundError
from app.store import Store, StoreMeta, open_store

type Progress = Callable[[int, int], None]

TRUNCATED_RULE = "device-head-mismatch"
"""The log ends before the device head the store recorded: newest events were removed."""


async def verify_open_store(
    store: Store, *, full: bool = True, progress: Progress | None = None
) -> ChainReport:
    """Verify every event of an open store; raise ChainBroken at the first bad one."""
    total = await store.count_events()
    organization = (await store.meta()).get(StoreMeta.ORGANIZATION_ID)
    if organization is None and total and full:
        raise AuditError(
            Rule.ORGANIZATION,
            "the store records no organization, so its events cannot be checked against it",
        )
    keys = StaticDeviceKeys(await store.device_keys())
    verifier = ChainVerifier(keys, full=full, organization_id=organization)
    done = 0
    async with aclosing(store.iter_stored_events(content=full)) as events:
        async for event in events:
            verifier.feed(event)
            done += 1
            if progress is not None and done % 5000 == 0:
                progress(done, total)
    report = verifier.finish()
    for device, (seq, digest) in (await store.device_heads()).items():
        head = report.heads.get(device)
        if head is None or head.seq != seq or head.hash != digest:
            found = f"seq {head.seq}" if head else "no events"
            raise ChainBroken(
                TRUNCATED_RULE,
                f"the store recorded device {device} at seq {seq} "
                f"({digest[:12]}...) but its log ends at {found}",
                position=done,
                device_id=device,
                device_seq=seq,
            )
    if progress is not None:
        progress(done, total)
    return report


async def verify_store(
    path: Path, *, full: bool = True, progress: Progress | None = None
) -> ChainReport:
    """Open the store at ``path`` and verify its whole chain."""
    store = await open_store(path)
    try:
        return await verify_open_store(store, full=full, progress=progress)
    finally:
        await store.close()


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` through a temporary file, so a reader never sees half a file."""
    tmp = out.with_name(out.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(out)


@dataclass(frozen=True, slots=True)
class ExportResult:
    subject: str
    events: int
    devices: int


async def _unit_entities(store: Store, unit_id: UUID) -> tuple[str, set[UUID]]:
    async with store.unit_of_work() as uow:
        unit = await uow.elevators.get(unit_id)
        if unit is None:
            raise NotFoundError(
                f"There is no unit {unit_id} in this store.",
                hint="Copy the unit id from the unit page or the demo output.",
            )
        site = await uow.sites.get(unit.site_id)
        related: set[UUID] = {unit_id}
        for repo in (uow.visits, uow.incidents, uow.deficiencies, uow.inspections):
            related.update(item.id for item in await repo.for_elevator(unit_id))
    name = f"unit {unit.unit_number}" + (f" at {site.name}" if site else "")
    return name, related


async def export_open_store(store: Store, unit_id: UUID) -> tuple[str, bytes, int, int]:
    """Build the evidence bundle of a unit: its record's events and their chain skeletons."""
    subject, entities = await _unit_entities(store, unit_id)
    wanted: set[str] = set()
    for entity in entities:
        async for event in store.iter_events_for_entity(entity):
            wanted.add(str(event.event_id))
    picked: list[StoredEvent] = []
    links: dict[str, list[tuple[int, str, str]]] = {}
    async for stored in store.iter_stored_events():
        links.setdefault(stored.device_id, []).append(
            (stored.device_seq, stored.prev_hash, stored.hash)
        )
        if stored.event_id in wanted:
            picked.append(stored)
    last: dict[str, int] = {}
    for stored in picked:
        last[stored.device_id] = max(last.get(stored.device_id, 0), stored.device_seq)
    skeleton = {
        device: [link for link in links[device] if link[0] <= seq] for device, seq in last.items()
    }
    keys = await store.device_keys()
    data = build_bundle(
        subject={"entity_type": "elevator", "entity_id": str(unit_id), "name": subject},
        events=picked,
        links=skeleton,
        device_keys={d: keys[d] for d in skeleton},
        generated_at=format_timestamp(datetime.now(UTC)),
    )
    return subject, data, len(picked), len(skeleton)


async def export_unit_bundle(path: Path, unit_id: UUID, out: Path) -> ExportResult:
    """Write the evidence bundle of unit ``unit_id`` from the store at ``path`` to ``out``."""
    store = await open_store(path)
    try:
        subject, data, events, devices = await export_open_store(store, unit_id)
    finally:
        await store.close()
    await asyncio.to_thread(write_atomically, out, data)
    return ExportResult(subject, events, devices)
