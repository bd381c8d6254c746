"""Opening a large store: with SQLite's full integrity check first (as before), against the quick
check with the full one in the background (as the desktop app opens a store now).

    uv run python -m bench.store_open --db PATH [--runs 5]

PATH is an existing store, e.g. ``sitesync demo --db PATH --units 10000 --months 6 --as-of
2026-11-26`` (about a million events, several minutes to build). Each open runs in its own
process, the two ways interleaved. Timed: ``open_store`` until it returns, and for the
background way also the full check that follows. Results go to bench/results/store_open.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

from bench.common import median, run_child, save


async def _open(db: Path, integrity: str) -> dict[str, float]:
    from app.store import open_store

    started = time.perf_counter()
    store = await open_store(db, integrity="background" if integrity == "background" else "at_open")
    opened = time.perf_counter() - started
    try:
        started = time.perf_counter()
        checked = await store.integrity()
        waited = time.perf_counter() - started
    finally:
        await store.close()
    return {"open_s": opened, "full_check_s": checked, "wait_after_open_s": waited}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = args.db.absolute()
    runs: dict[str, list[dict[str, float]]] = {"at_open": [], "background": []}
    for _ in range(args.runs):
        for way in runs:
            result = run_child(["-m", "bench.store_open", "--step", way, str(db)])
            runs[way].append({k: float(v) for k, v in result.items()})  # type: ignore[arg-type]
            print(way, runs[way][-1], flush=True)
    medians = {
        way: {key: round(median([r[key] for r in results]), 3) for key in results[0]}
        for way, results in runs.items()
    }
    with closing(sqlite3.connect(db.as_uri() + "?mode=ro", uri=True)) as conn:
        events = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        units = int(conn.execute("SELECT count(*) FROM elevators").fetchone()[0])
    save(
        "store_open",
        {
            "command": f"uv run python -m bench.store_open --db {db.name} --runs {args.runs}",
            "units": units,
            "events": events,
            "file_mb": round(db.stat().st_size / 1e6),
            "runs": args.runs,
            "median_of_runs": medians,
            "each_run": runs,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        print(json.dumps(asyncio.run(_open(Path(sys.argv[3]), sys.argv[2]))))
    else:
        main()
