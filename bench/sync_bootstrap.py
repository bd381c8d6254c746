"""One new device bootstrapped from a server's snapshot to a usable dashboard (a child step).

uv run python -m bench.sync_bootstrap SERVER_URL FOLDER ORGANIZATION_ID EMAIL PASSWORD

Run by ``bench.sync_bench`` in a process of its own that loads what the app's sync does (the
app and ``sync.client``, not the server or the test helpers), so its peak resident memory is
the device's. The steps: a new store for the organization (its device key sealed under a
password, as on a computer without a keyring: the argon2id derivation alone takes 256 MiB,
so the peak after it is also reported, measured from there), sign-in, join (the snapshot at
a signed ledger index, proved by an inclusion proof), the first sync run, then the
dashboard's figures. Prints one JSON object: the seconds to the dashboard, each step's, and
the peak resident memory after each step.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from app.bootstrap import create_member_workspace
from app.services.queries.dashboard import DashboardFilter, trailing_period
from bench.common import peak_rss_mb
from sync.client.api import HttpSyncApi
from sync.client.engine import PasswordTokens, SyncEngine
from sync.client.join import join_store

KEY_PASSWORD = "a long offline unlock phrase"


def _reset_peak() -> None:
    """Start this process's peak resident size (``VmHWM``) again from its current size."""
    with contextlib.suppress(OSError):  # elsewhere the later peaks include the earlier ones
        Path("/proc/self/clear_refs").write_text("5")


async def bootstrap(
    url: str, folder: Path, org: UUID, email: str, password: str
) -> dict[str, object]:
    """Timings and peak memory of one device's bootstrap to its first dashboard."""
    began = time.perf_counter()
    peaks = {"imports": peak_rss_mb()}
    ws = await create_member_workspace(
        folder / "fresh.sqlite",
        organization_id=org,
        organization_name="Big Fleet",
        password=lambda: KEY_PASSWORD,
    )
    peaks["store_created"] = peak_rss_mb()
    _reset_peak()  # the rest is measured apart from the key derivation's 256 MiB
    api = HttpSyncApi(url)
    try:
        tokens = PasswordTokens(api, email, password)
        api.set_access_token(await tokens.access_token())
        joined = await join_store(
            ws.store, api, server_url=url, public_key=ws.device.signer.public_key
        )
        joined_s = time.perf_counter() - began
        peaks["joined"] = peak_rss_mb()
        engine = SyncEngine(ws.store, api, tokens, blobs=ws.blobs, cosigner=ws.device.signer)
        summary = await engine.run_once()
        if not summary.ok:
            raise RuntimeError(f"first sync: {summary}")
        synced_s = time.perf_counter() - began
        peaks["first_sync"] = peak_rss_mb()
        now = datetime.now(UTC)
        chosen = DashboardFilter(trailing_period(now.date(), 30))
        board = await ws.figures.dashboard(chosen, now=now)
        seconds = time.perf_counter() - began
        peaks["dashboard"] = peak_rss_mb()
        if board is None:
            raise RuntimeError("the dashboard had no figures")
    finally:
        await api.aclose()
        await ws.aclose()
    return {
        "seconds": round(seconds, 2),
        "join_s": round(joined_s, 2),
        "first_sync_s": round(synced_s - joined_s, 2),
        "dashboard_s": round(seconds - synced_s, 2),
        "snapshot_items": joined.snapshot_items,
        "units_on_dashboard": sum(board.by_status.values()),
        "peak_rss_mb": round(max(peaks.values())),
        "peak_rss_after_store_created_mb": round(max(peaks["joined"], peaks["dashboard"])),
        "peak_rss_mb_by_step": {step: round(mb) for step, mb in peaks.items()},
    }


def main() -> None:
    url, folder, org, email, password = sys.argv[1:6]
    print(json.dumps(asyncio.run(bootstrap(url, Path(folder), UUID(org), email, password))))


if __name__ == "__main__":
    main()
