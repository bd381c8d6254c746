"""How long the Qt event loop goes without a turn while work runs, on a 10,000-unit store.

    uv run python -m bench.ui_stall [--db PATH] [--runs 3]

The store is the dashboard benchmark's (``bench/out/ui_dashboard-10000.sqlite``: 10,000 units,
about a million events; built on first use). Each run is its own process with the window
offscreen, as a supervisor, the clock fixed at the demo's as-of day, the dashboard current
first. A 5 ms ``QTimer`` ticks on the Qt thread throughout; the stall is the largest gap between
two ticks (so a few milliseconds is the floor), measured over:

- ``visit_save``: the visit form filled in (every checklist item answered, a signature, the
  visit completed and locked), then Save clicked, until the form reports the visit stored;
- ``visit_refresh``: from that moment until the dashboard shows current figures again (the
  recompute the new events cause, in the background);
- ``verify``: "Verify now" in the Audit view on every event of the store (signatures, hashes,
  links), until the result is shown; its duration is recorded too.

Results go to bench/results/ui_stall.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import close_workspace, median, peak_rss_mb, run_child, save
from bench.ui_dashboard import NOW, OUT, ensure_store

TICK_MS = 5


class _Clock:
    def now(self) -> Any:
        return NOW


class _Ticks:
    """A timer on the Qt thread noting when it fires; ``stall_ms`` is the largest gap."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def start(self) -> None:
        self.times = [time.perf_counter()]
        self.timer.start(TICK_MS)

    def stall_ms(self) -> float:
        self.timer.stop()
        ends = [*self.times, time.perf_counter()]
        return 1000 * max((b - a for a, b in itertools.pairwise(ends)), default=0.0)


def measure(db: Path, *, verify: bool = True) -> dict[str, Any]:
    """One run in this process: a visit saved through the form, then Verify now."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QRadioButton

    from app.bootstrap import Workspace, open_workspace
    from app.domain.entities import User
    from app.domain.enums import ItemKind, Role
    from app.services.queries import profiles
    from app.ui.errors import ErrorPresenter
    from app.ui.main_window import MainWindow
    from app.ui.runtime import CoreRuntime, Progress
    from app.ui.session import Session
    from app.ui.views.dialogs.profile import actor_of
    from app.ui.views.screens.audit import AuditView
    from app.ui.views.visit.form import VisitForm

    app = QApplication.instance() or QApplication([])
    runtime = CoreRuntime()
    runtime.start()
    result: dict[str, Any] = {}

    def wait(condition: Callable[[], bool], timeout: float = 900.0) -> None:
        start = time.perf_counter()
        while not condition():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.001)

    async def open_job(_progress: Progress) -> Workspace:
        return await open_workspace(db)

    ws = runtime.run_sync(open_job, timeout=1800)

    async def users_job(_progress: Progress) -> list[User]:
        return await profiles(ws.unit_of_work)

    chief = next(u for u in runtime.run_sync(users_job) if u.role is Role.SUPERVISOR)
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(runtime, ws, clock=_Clock(), errors=ErrorPresenter(), data_dir=Path(tmp))
        session.switch_profile(actor_of(chief))
        window = MainWindow(
            session, QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        )
        window.resize(1366, 768)
        window.show()
        dashboard: Any = window.views["Dashboard"]

        def current() -> bool:
            board = dashboard.board
            return board is not None and not board.stale

        wait(current)
        window.go("Sites & Units")
        wait(lambda: window.fleet.model.rowCount() > 0)
        unit = window.fleet.model.row_at(0)
        window.go("Dashboard")

        form = window.forms.record_visit(unit.elevator_id)
        assert isinstance(form, VisitForm)
        wait(lambda: len(form.checklist.rows) > 3)
        for key, row in form.checklist.rows.items():
            if row.item.kind is ItemKind.PASS_FAIL:
                button = row.findChild(QRadioButton, f"pass_{key}")
                assert button is not None
                button.setChecked(True)
            elif row.item.kind is ItemKind.READING:
                row.value.setText(str(row.item.min_value if row.item.min_value is not None else 0))
            else:
                row.na.setChecked(True)
        strokes: list[list[list[float]]] = [[[10, 60], [200, 20], [380, 90]]]
        form.signoff.tech_pad.set_strokes(strokes)
        form.signoff.customer_pad.set_strokes(strokes)
        form.signoff.customer_name.setText("Facilities manager")
        form.completion.complete.setChecked(True)
        form.completion.lock.setChecked(True)
        app.processEvents()

        saved: list[bool] = []
        form.saved.connect(lambda *_: saved.append(True))
        ticks = _Ticks()
        before = dashboard.board
        ticks.start()
        begin = time.perf_counter()
        form.save_button.click()
        wait(lambda: bool(saved) or bool(form.errors.messages()))
        result["visit_save_s"] = time.perf_counter() - begin
        result["visit_save_stall_ms"] = ticks.stall_ms()
        if not saved:
            raise RuntimeError(f"the visit form did not save: {form.errors.messages()}")

        ticks.start()
        begin = time.perf_counter()
        wait(lambda: dashboard.board is not before and current())
        result["visit_refresh_s"] = time.perf_counter() - begin
        result["visit_refresh_stall_ms"] = ticks.stall_ms()

        if verify:
            window.go("Audit")
            audit = window.views["Audit"]
            assert isinstance(audit, AuditView)
            wait(lambda: audit.model.rowCount() > 0)
            ticks.start()
            begin = time.perf_counter()
            audit.verify.click()
            wait(lambda: audit.verify.isEnabled())
            result["verify_s"] = time.perf_counter() - begin
            result["verify_stall_ms"] = ticks.stall_ms()
            result["verify_result"] = audit.chain.text()
        window.close()

    close_workspace(runtime, ws)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an existing store (built if missing)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    db = args.db or OUT / "ui_dashboard-10000.sqlite"
    ensure_store(db, 10_000, 6)
    runs: list[dict[str, Any]] = []
    for _ in range(args.runs):
        runs.append(run_child(["-m", "bench.ui_stall", "--step", str(db)]))
        print(json.dumps(runs[-1]), flush=True)
    keys = [k for k, v in runs[0].items() if isinstance(v, float)]
    command = "uv run python -m bench.ui_stall " + " ".join(sys.argv[1:])
    save(
        "ui_stall",
        {
            "command": command.strip(),
            "runs": args.runs,
            "median_of_runs": {k: round(median([float(r[k]) for r in runs]), 3) for k in keys},
            "each_run": runs,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        main()
