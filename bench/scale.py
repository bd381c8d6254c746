"""Scale: demo generation at 10,000 units, full and link-only verification, projection rebuild.

Each step runs in its own process so its peak resident memory is its own.

    uv run python -m bench.scale [--units 10000] [--months 6] [--runs 3] [--keep PATH]

``--months 6`` gives about a million events at 10,000 units.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import median, peak_rss_mb, run_child, save

AS_OF = "2026-11-26"


async def _open_then(db: Path, work: str) -> dict[str, object]:
    """Open the store (timed apart: it runs the integrity check), then time ``work`` alone."""
    from app.audit_trail import verify_open_store
    from app.store import open_store

    start = time.perf_counter()
    store = await open_store(db)
    opened = time.perf_counter() - start
    try:
        start = time.perf_counter()
        if work == "rebuild":
            events = await store.rebuild_projections()
        else:
            events = (await verify_open_store(store, full=work == "verify-full")).events
        elapsed = time.perf_counter() - start
    finally:
        await store.close()
    return {
        "events": events,
        "seconds": elapsed,
        "events_per_s": events / elapsed,
        "open_seconds": opened,
    }


async def _generate(db: Path, units: int, months: int) -> dict[str, object]:
    from app.demo_workspace import create_demo_store

    start = time.perf_counter()
    _, events = await create_demo_store(
        db, units=units, seed=7, months=months, as_of=date.fromisoformat(AS_OF)
    )
    elapsed = time.perf_counter() - start
    return {"events": events, "seconds": elapsed, "events_per_s": events / elapsed}


def step(argv: list[str]) -> None:
    """Run one step in this process and print its result with the peak RSS as JSON."""
    kind, db = argv[0], Path(argv[1])
    if kind == "generate":
        result = asyncio.run(_generate(db, int(argv[2]), int(argv[3])))
    else:
        result = asyncio.run(_open_then(db, kind))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated store here")
    args = parser.parse_args()
    results: dict[str, list[dict[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.sqlite"
        for run in range(args.runs):
            if run:
                for item in Path(tmp).iterdir():
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
            steps = [
                ["generate", str(db), str(args.units), str(args.months)],
                ["verify-full", str(db)],
                ["verify-links", str(db)],
                ["rebuild", str(db)],
            ]
            for argv in steps:
                result = run_child(["-m", "bench.scale", "--step", *argv])
                results.setdefault(argv[0], []).append(result)
                print(argv[0], result, flush=True)
        if args.keep:
            for item in Path(tmp).iterdir():
                shutil.move(
                    item, args.keep.parent / item.name.replace("scale.sqlite", args.keep.name)
                )
    summary = {
        name: {
            key: round(median([float(r[key]) for r in runs]), 1)  # type: ignore[arg-type]
            for key in runs[0]
        }
        for name, runs in results.items()
    }
    save(
        "scale",
        {
            "units": args.units,
            "months": args.months,
            "runs": args.runs,
            "median_of_runs": summary,
            "each_run": results,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        step(sys.argv[2:])
    else:
        main()
