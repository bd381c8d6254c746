"""Cold start: process start to the first painted main window on the demo store, against a bare
QApplication + QMainWindow started the same way in the same run; resident memory of both.

    uv run python -m bench.ui_startup [--runs 5]

Each start is a new process with the window offscreen (``QT_QPA_PLATFORM=offscreen``); the demo
store (58 units, seed 7) is built once beforehand in a temporary folder, and the supervisor's
profile is remembered so no profile dialog is shown. The app's modules are byte-compiled first,
as on any start after the first (``uv sync`` compiles the dependencies when it installs them).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import ROOT, median, peak_rss_mb, save


def _child(kind: str, db: str, settings: str) -> None:
    """Start the window, wait for its first paint, print the resident memory, quit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if kind == "app":
        importlib.import_module("app.main")  # what ``sitesync`` imports before Qt, in order
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    keep: list[object] = []
    if kind == "bare":
        window = QMainWindow()
        window.resize(1366, 768)
        window.show()
        keep.append(window)
    else:
        from app.bootstrap import open_workspace
        from app.ui.app import start_gui

        path = Path(db)
        keep.append(
            start_gui(
                app,
                lambda: open_workspace(path),
                data_dir=path.parent,
                settings_path=Path(settings),
            )
        )

    def poll() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMainWindow) and widget.isVisible():
                widget.grab()  # forces the first paint offscreen
                print(json.dumps({"painted": True, "peak_rss_mb": peak_rss_mb()}), flush=True)
                os._exit(0)  # measured: skip the orderly shutdown
        QTimer.singleShot(2, poll)

    QTimer.singleShot(0, poll)
    app.exec()


def _start(kind: str, db: Path, settings: Path) -> dict[str, float]:
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.ui_startup", "--child", kind, str(db), str(settings)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    elapsed = time.perf_counter() - begin
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": elapsed, "peak_rss_mb": float(result["peak_rss_mb"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from app.bootstrap import create_demo_store

    compileall.compile_dir(ROOT / "app", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        summary, _ = asyncio.run(create_demo_store(db, units=58, seed=7, as_of=date(2026, 11, 26)))
        supervisor = summary.users["priya.shah@northgate-lifts.example"]
        settings = Path(tmp) / "settings.ini"
        settings.write_text(f"[profile]\nuser_id={supervisor}\n", "utf-8")
        runs: dict[str, list[dict[str, float]]] = {"bare": [], "app": []}
        for _ in range(args.runs):
            for kind in ("bare", "app"):  # interleaved: the same machine state for both
                runs[kind].append(_start(kind, db, settings))
                print(kind, runs[kind][-1], flush=True)
    summary_row = {
        kind: {key: round(median([r[key] for r in rs]), 3) for key in rs[0]}
        for kind, rs in runs.items()
    }
    extra = summary_row["app"]["seconds"] - summary_row["bare"]["seconds"]
    save(
        "ui_startup",
        {
            "command": f"uv run python -m bench.ui_startup --runs {args.runs}",
            "runs": args.runs,
            "median_of_runs": summary_row,
            "app_minus_bare_s": round(extra, 3),
            "each_run": runs,
        },
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
    else:
        main()
