"""``sitesync --demo`` builds the demo store once, beside its key file and blobs, then reuses it."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import blob_dir, open_demo_workspace
from app.keystore import demo_key_path


async def test_demo_store_is_built_once_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "sitesync-demo.sqlite"
    ws = await open_demo_workspace(path, seed=3, units=6)
    try:
        events = await ws.store.count_events()
        assert events > 100
        assert demo_key_path(path).exists()
        assert blob_dir(path).is_dir()
    finally:
        await ws.close()
    assert not list(path.parent.glob("*.building*")), "the build's temporary names are gone"

    again = await open_demo_workspace(path, seed=3, units=6)
    try:
        assert await again.store.count_events() == events
    finally:
        await again.close()
