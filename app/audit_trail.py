"""Verify a store's audit trail and export a unit's evidence bundle (streaming, bounded memory)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from app.audit.chain import ChainReport, ChainVerifier, StaticDeviceKeys
from app.audit.envelope import format_timestamp
from app.audit.errors import AuditError, ChainBroken, Rule
from app.audit_export import ExportedBundle, export_record
from app.files import write_atomically
from app.store import StoreMeta, StoreReader, open_store_for_reading

type Progress = Callable[[int, int], None]

TRUNCATED_RULE = "device-head-mismatch"
"""The log ends before the device head the store recorded: newest events were removed."""


async def verify_open_store(
    store: StoreReader, *, full: bool = True, progress: Progress | None = None
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
    """Open the store at ``path`` read-only and verify its whole chain."""
    store = await open_store_for_reading(path)
    try:
        return await verify_open_store(store, full=full, progress=progress)
    finally:
        await store.close()


async def export_open_store(store: StoreReader, unit_id: UUID) -> ExportedBundle:
    """Build the evidence bundle of a unit from an open store."""
    return await export_record(
        store.iter_stored_events,
        await store.device_keys(),
        unit_id,
        generated_at=format_timestamp(datetime.now(UTC)),
    )


async def export_unit_bundle(path: Path, unit_id: UUID, out: Path) -> ExportedBundle:
    """Write the evidence bundle of unit ``unit_id`` from the store at ``path`` to ``out``.

    The store is opened read-only: an auditor's copy on read-only media can be exported.
    """
    store = await open_store_for_reading(path)
    try:
        bundle = await export_open_store(store, unit_id)
    finally:
        await store.close()
    await asyncio.to_thread(write_atomically, out, bundle.data)
    return bundle
