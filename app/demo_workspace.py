"""The demo store: built through the real services on first use, rebuilt when a build was cut.

A demo store is an ordinary store made by ``app.demo.generate_demo`` under a fixed seed, its
device key in a plain file beside it (demo stores only) and its dashboard figures saved with
it. Until its last write marks it complete, it is an unfinished demo, which opening refuses.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path

from app.audit.signing import Ed25519Signer
from app.bootstrap import (
    DEMO_COMPLETE,
    Workspace,
    blob_dir,
    demo_store_unfinished,
    device_key_name,
    initialise_store,
    open_workspace,
    write_lock,
)
from app.compute import BackgroundCompute
from app.demo import DemoSummary, demo_device_seed, generate_demo
from app.demo.generator import demo_ids
from app.domain.errors import SiteSyncError
from app.keystore import KEY_STORAGE_DEMO, InsecureDemoKeyStore, demo_key_path
from app.services.queries import DEFAULT_DAYS, FleetFigures, trailing_period
from app.store import open_store
from app.store.blobs import FileBlobStore
from app.store.database import IntegrityCheck

_COMPANION_SUFFIXES = (".INSECURE-demo-device-key.json", ".blobs")
"""Files beside a demo store that belong to it (see ``demo_key_path`` and ``blob_dir``)."""


async def create_demo_store(
    path: Path,
    *,
    units: int,
    seed: int,
    as_of: date,
    months: int = 12,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> tuple[DemoSummary, int]:
    """Build a demo store through the real services; returns its summary and event count.

    Its dashboard figures are computed and saved with it, taken at ``now`` (this computer's
    clock unless given).

    The demo device key is kept in a plain file beside the store (demo stores only).
    """
    async with write_lock(path):
        if await asyncio.to_thread(path.exists):
            raise SiteSyncError(f"{path} already exists.", hint="Delete it or choose another --db.")
        try:
            return await _build_demo(
                path, units=units, seed=seed, as_of=as_of, months=months, progress=progress, now=now
            )
        except BaseException:
            # a failed build (a full disk, say) leaves nothing; a killed one leaves a store
            # without its completion mark, which says so when it is opened
            await asyncio.to_thread(discard_demo_store, path)
            raise


def discard_demo_store(path: Path) -> None:
    """Delete a demo store and every file beside it that belongs to it."""
    for suffix in ("", "-wal", "-shm", ".creating", ".creating-wal", ".creating-shm"):
        with suppress(OSError):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    with suppress(OSError):
        demo_key_path(path).unlink(missing_ok=True)
    shutil.rmtree(blob_dir(path), ignore_errors=True)


async def _build_demo(
    path: Path,
    *,
    units: int,
    seed: int,
    as_of: date,
    months: int,
    progress: Callable[[int, int], None] | None,
    now: datetime | None,
) -> tuple[DemoSummary, int]:
    org_id, device_id = demo_ids(seed)
    signer = Ed25519Signer(demo_device_seed(seed))
    InsecureDemoKeyStore(demo_key_path(path)).set(device_key_name(device_id), signer.seed)
    store = await open_store(path, create=True)
    try:
        await initialise_store(
            store,
            organization_id=org_id,
            organization_name="(demo)",
            device_id=device_id,
            signer=signer,
            key_storage=KEY_STORAGE_DEMO,
        )
        async with store.batch() as batch:
            summary = await generate_demo(
                uow=batch,
                blobs=FileBlobStore(blob_dir(path), durable=False),  # demo data: no fsync
                seed=seed,
                units=units,
                as_of=as_of,
                months=months,
                progress=progress,
            )
        # saved with the store, so its first opening paints the dashboard at once
        figures = FleetFigures(store.unit_of_work, store, runner=BackgroundCompute())
        period = trailing_period(as_of, DEFAULT_DAYS)
        await figures.current(today=as_of, periods=[period], now=now or datetime.now(UTC))
        events = await store.count_events()
        # the last write: until it is there, the store is an unfinished demo (killed half-way)
        await store.set_meta(
            {
                "organization_name": summary.organization_name,
                "demo_seed": str(seed),
                DEMO_COMPLETE: "yes",
            }
        )
        return summary, events
    finally:
        await store.close()


async def open_demo_workspace(
    path: Path,
    *,
    seed: int,
    units: int = 58,
    rebuild_unfinished: bool = False,
    integrity: IntegrityCheck = "at_open",
) -> Workspace:
    """Open the demo store, building it through the real services on first use.

    An unfinished demo store (its build was killed) is refused with IncompleteStoreError, or
    deleted and built again with ``rebuild_unfinished``. ``integrity``: see ``open_store``.
    """
    async with write_lock(path):
        if rebuild_unfinished and await asyncio.to_thread(demo_store_unfinished, path):
            await asyncio.to_thread(discard_demo_store, path)
        if not await asyncio.to_thread(path.exists):
            partial = path.with_name(path.name + ".building")
            await asyncio.to_thread(discard_demo_store, partial)  # what a killed build left
            await create_demo_store(partial, units=units, seed=seed, as_of=date.today())
            # the key file and blob folder follow the store's name: move them with it
            for suffix in ("", *_COMPANION_SUFFIXES):
                source = partial.with_name(partial.name + suffix)
                if await asyncio.to_thread(source.exists):
                    await asyncio.to_thread(source.rename, path.with_name(path.name + suffix))
        return await open_workspace(path, integrity=integrity)
