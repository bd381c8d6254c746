"""Dashboard and Sites & Units on a 10,000-unit store, offscreen: first paint, filter, sort.

    uv run python -m bench.ui_dashboard [--db PATH] [--units 10000] [--months 6] [--runs 3]

Without ``--db`` the store is ``bench/out/ui_dashboard-UNITS.sqlite``, built on first use with
``create_demo_store`` (seed 7, as of 2026-11-26; about a million events at 10,000 units and six
months, several minutes). Each measurement runs in its own process with the window offscreen
(``QT_QPA_PLATFORM=offscreen``), as a supervisor, the clock fixed at the demo's as-of day:

- ``cold``: no saved figures (the snapshot row is deleted first), as on a store's first open;
- ``warm``: the figures saved by the run before, as on every later open;
- ``stale``: one new event recorded first, as after a sync: the saved figures are painted at
  once, marked as updating, and replaced when the background recompute ends.

Timed: opening the workspace (SQLite's integrity check, apart), window shown to the dashboard's
first paint with figures, then to current figures; the customer and make filters; the Sites &
Units list's load, column sorts and searches; the Work, Callbacks and Compliance screens' first
load; the longest the Qt thread went without running
its event loop (a 10 ms timer's largest gap). Results go to bench/results/ui_dashboard.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, close_workspace, median, peak_rss_mb, run_child, save

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OUT = ROOT / "bench" / "out"
SCENARIOS = ("cold", "warm", "stale")
SCREENS = ("Work", "Callbacks", "Compliance")


class _Clock:
    def now(self) -> datetime:
        return NOW


def _forget_figures(db: Path) -> None:
    """Delete the saved figures, if the store has any (the ``cold`` scenario)."""
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'"
        ).fetchone()
        if found:
            conn.execute("DELETE FROM snapshots")


def measure(db: Path, scenario: str, filters: int) -> dict[str, Any]:
    """One run in this process: open, paint, filter, sort; returns the timings."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.bootstrap import Workspace, open_workspace
    from app.domain.commands import OpenDeficiency
    from app.domain.entities import User
    from app.domain.enums import DeficiencySeverity, Role
    from app.services.deficiencies import open_deficiency
    from app.services.queries import profiles
    from app.ui.errors import ErrorPresenter
    from app.ui.main_window import MainWindow
    from app.ui.runtime import CoreRuntime, Progress
    from app.ui.session import Session
    from app.ui.views.dialogs.profile import actor_of

    if scenario == "cold":
        _forget_figures(db)
    app = QApplication.instance() or QApplication([])
    runtime = CoreRuntime()
    runtime.start()
    result: dict[str, Any] = {"scenario": scenario}

    def wait(condition: Callable[[], bool], timeout: float = 900.0) -> float:
        start = time.perf_counter()
        while not condition():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.001)
        app.processEvents()  # let the paint that follows happen
        return time.perf_counter() - start

    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(db)

    start = time.perf_counter()
    ws = runtime.run_sync(open_job, timeout=1800)
    result["open_s"] = time.perf_counter() - start

    async def users_job(_progress: Progress) -> list[User]:
        return await profiles(ws.unit_of_work)

    users = runtime.run_sync(users_job)
    chief = next(u for u in users if u.role in (Role.SUPERVISOR, Role.ADMIN))
    if scenario == "stale":
        sup = ws.context(actor_of(chief))

        async def record(_progress: Progress) -> None:
            async with ws.store.unit_of_work() as uow:
                site = (await uow.sites.list_all())[0]  # not every unit: the app never needs to
                unit = (await uow.elevators.list_by_site(site.id))[0]
            command = OpenDeficiency(
                elevator_id=unit.id, severity=DeficiencySeverity.ADVISORY, description="bench"
            )
            await open_deficiency(command, ctx=sup)

        runtime.run_sync(record)
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(runtime, ws, clock=_Clock(), errors=ErrorPresenter(), data_dir=Path(tmp))
        session.switch_profile(actor_of(chief))
        ticks: list[float] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start(10)
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        start = time.perf_counter()
        window = MainWindow(session, settings)
        window.resize(1366, 768)
        window.show()
        view: Any = window.views["Dashboard"]
        wait(lambda: view.board is not None)
        result["first_paint_s"] = time.perf_counter() - start
        result["first_paint_stale"] = bool(getattr(view.board, "stale", False))
        wait(lambda: not getattr(view.board, "stale", False))
        result["current_s"] = time.perf_counter() - start
        timer.stop()
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        result["max_gap_ms"] = 1000 * max(gaps, default=0.0)
        result["units"] = len(view.board.rows)

        def pick(combo: Any, index: int, field: str) -> float:
            value = combo.itemData(index)
            begin = time.perf_counter()
            combo.setCurrentIndex(index)
            wait(
                lambda: (
                    getattr(view.board.filter, field) == value
                    and not getattr(view.board, "stale", False)
                )
            )
            return 1000 * (time.perf_counter() - begin)

        for combo, field, name in (
            (view.customer, "customer_id", "filter_customer_ms"),
            (view.maker, "manufacturer", "filter_make_ms"),
        ):
            choices = range(1, min(combo.count(), filters + 1))
            result[name] = [pick(combo, i, field) for i in choices]
            pick(combo, 0, field)
        fleet: Any = window.fleet
        start = time.perf_counter()
        window.go("Sites & Units")
        result["fleet_list_s"] = wait(lambda: fleet.model.rowCount() == result["units"])
        table = fleet.table
        sorts: dict[str, float] = {}
        for column in (3, 1, 0, 4):
            title = fleet.model.headerData(column, Qt.Orientation.Horizontal)
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                begin = time.perf_counter()
                table.sortByColumn(column, order)
                app.processEvents()
                sorts[f"{title} {order.name[:-5].lower()}"] = 1000 * (time.perf_counter() - begin)
        result["sort_ms"] = sorts
        first = fleet.proxy.row_object(0)
        searches: dict[str, float] = {}
        for text in (first.site_name.split()[0], first.unit_number, "kone", ""):
            begin = time.perf_counter()
            fleet.search.setText(text)
            app.processEvents()
            searches[text or "(cleared)"] = 1000 * (time.perf_counter() - begin)
        result["search_ms"] = searches
        screens: dict[str, float] = {}
        for name in SCREENS:
            listed: Any = window.views[name]
            begin = time.perf_counter()
            window.go(name)
            wait(lambda: listed.model.rowCount() > 0)  # noqa: B023  # waited on at once
            screens[name] = time.perf_counter() - begin
        result["screens_s"] = screens
        window.close()

    close_workspace(runtime, ws)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def ensure_store(db: Path, units: int, months: int) -> None:
    if db.exists():
        return
    from app.demo_workspace import create_demo_store

    print(f"building {db} ({units} units, {months} months): several minutes", flush=True)
    start = time.perf_counter()
    _, events = asyncio.run(
        create_demo_store(db, units=units, seed=7, as_of=AS_OF, months=months, now=NOW)
    )
    print(f"built: {events:,} events in {time.perf_counter() - start:.0f} s", flush=True)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return round(median([float(r[key]) for r in runs]), 3)

    def med_list(key: str) -> float:
        return round(median([float(v) for r in runs for v in r[key]]), 1)

    def med_map(key: str) -> dict[str, float]:
        return {k: round(median([float(r[key][k]) for r in runs]), 1) for k in runs[0][key]}

    return {
        "open_s": med("open_s"),
        "first_paint_s": med("first_paint_s"),
        "current_s": med("current_s"),
        "max_gap_ms": med("max_gap_ms"),
        "filter_customer_ms": med_list("filter_customer_ms"),
        "filter_make_ms": med_list("filter_make_ms"),
        "fleet_list_s": med("fleet_list_s"),
        "sort_ms": med_map("sort_ms"),
        "search_ms": med_map("search_ms"),
        "screens_s": med_map("screens_s"),
        "peak_rss_mb": med("peak_rss_mb"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an existing store (built if missing)")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--filters", type=int, default=3, help="choices timed per filter")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--name", default="ui_dashboard", help="results file name")
    args = parser.parse_args()
    db = args.db or OUT / f"ui_dashboard-{args.units}.sqlite"
    ensure_store(db, args.units, args.months)
    each: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.runs):
        for scenario in args.scenarios.split(","):
            argv = ["-m", "bench.ui_dashboard", "--step", str(db), scenario, str(args.filters)]
            found = run_child(argv)
            each.setdefault(scenario, []).append(found)
            print(json.dumps(found), flush=True)
    command = "uv run python -m bench.ui_dashboard " + " ".join(sys.argv[1:])
    save(
        args.name,
        {
            "command": command.strip(),
            "units": each[next(iter(each))][0]["units"],
            "runs": args.runs,
            "median_of_runs": {scenario: _summary(runs) for scenario, runs in each.items()},
            "each_run": each,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        print(json.dumps(measure(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
    else:
        main()
