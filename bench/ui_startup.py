"""Cold start: process start to the first painted main window on the demo store, against a bare
QApplication + QMainWindow started the same way in the same run; resident memory of both.

    uv run python -m bench.ui_startup [--runs 5] [--db PATH --name NAME] [--with-full-check]
                                      [--bundle]

Each start is a new process with the window offscreen (``QT_QPA_PLATFORM=offscreen``); the demo
store (58 units, seed 7) is built once beforehand in a temporary folder, or ``--db`` names an
existing store (e.g. a 10,000-unit one from ``sitesync demo``; results then go to
``bench/results/NAME.json``). A supervisor's profile is remembered so no profile dialog is
shown. The app's modules are byte-compiled first, as on any start after the first (``uv sync``
compiles the dependencies when it installs them).

Each kind is started once untimed first, so every timed start finds the files it reads in the
operating system's cache, as on any start but the first after booting.

``--with-full-check`` also starts the app as it was before the full integrity check moved to
the background. ``--bundle`` also starts the built bundle (``dist/sitesync/sitesync --db``) and
``uv run sitesync --db``, both whole commands as a person types them, timed to the first paint
(``SITESYNC_QUIT_AFTER_FIRST_PAINT``; their memory is not measured).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import importlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from bench.common import ROOT, median, peak_rss_mb, save


def _child(kind: str, db: str, settings: str) -> None:
    """Start the window, wait for its first paint, print the resident memory, quit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if kind != "bare":
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
        from app.store.database import IntegrityCheck
        from app.ui.app import start_gui

        path = Path(db)
        # 'sitesync --db' opens after the quick check and runs the full one in the background;
        # ``app_full_check`` opens as SiteSync did before, after the full integrity check
        integrity: IntegrityCheck = "at_open" if kind == "app_full_check" else "background"
        keep.append(
            start_gui(
                app,
                lambda: open_workspace(path, integrity=integrity),
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


BUNDLE = ROOT / "dist" / "sitesync" / "sitesync"
COMMANDS = {"bundle": [str(BUNDLE)], "uv_run": ["uv", "run", "--frozen", "sitesync"]}


def _command(kind: str, db: Path, home: Path) -> dict[str, float]:
    """Start ``sitesync --db`` as a person would (the bundle, or through uv); time the paint."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SITESYNC_QUIT_AFTER_FIRST_PAINT": "1",
        "XDG_CONFIG_HOME": str(home / "config"),  # where QSettings finds the profile
        "SITESYNC_DATA_DIR": str(home / "data"),
    }
    begin = time.perf_counter()
    done = subprocess.run(
        [*COMMANDS[kind], "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
    elapsed = time.perf_counter() - begin
    if "painted" not in done.stdout:
        raise RuntimeError(f"{kind} did not paint: {done.stdout} {done.stderr}")
    return {"seconds": elapsed}


def _start(kind: str, db: Path, settings: Path) -> dict[str, float]:
    if kind in COMMANDS:
        return _command(kind, db, settings.parent)
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


def _supervisor(db: Path) -> str:
    """The id of a supervisor of an existing store (read directly, without opening it)."""
    with closing(sqlite3.connect(db.absolute().as_uri() + "?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT id FROM users WHERE role = 'supervisor' LIMIT 1").fetchone()
    if row is None:
        raise SystemExit(f"{db} has no supervisor")
    return str(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an existing store to start on")
    parser.add_argument("--name", default="ui_startup", help="the results file's name")
    parser.add_argument(
        "--with-full-check",
        action="store_true",
        help="also start the app as before, with the full integrity check before the window",
    )
    parser.add_argument(
        "--bundle", action="store_true", help="also time dist/sitesync and `uv run sitesync`"
    )
    args = parser.parse_args()
    from app.demo_workspace import create_demo_store

    compileall.compile_dir(ROOT / "app", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db is None:
            db = Path(tmp) / "demo.sqlite"
            summary, _ = asyncio.run(
                create_demo_store(db, units=58, seed=7, as_of=date(2026, 11, 26))
            )
            supervisor = str(summary.users["priya.shah@northgate-lifts.example"])
        else:
            db = args.db.absolute()
            supervisor = _supervisor(db)
        settings = Path(tmp) / "settings.ini"
        settings.write_text(f"[profile]\nuser_id={supervisor}\n", "utf-8")
        conf = Path(tmp) / "config" / "SiteSync" / "SiteSync.conf"  # the commands' QSettings
        conf.parent.mkdir(parents=True)
        conf.write_text(settings.read_text("utf-8"), "utf-8")
        kinds = ["bare", "app"]
        if args.with_full_check:
            kinds.append("app_full_check")
        if args.bundle:
            if not BUNDLE.exists():
                raise SystemExit("No bundle: build it with `uv run python packaging/build.py`.")
            kinds += ["uv_run", "bundle"]
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        for kind in kinds:  # one start of each, not timed: files read once are in the page cache
            _start(kind, db, settings)
        for _ in range(args.runs):
            for kind in kinds:  # interleaved: the same machine state for each
                runs[kind].append(_start(kind, db, settings))
                print(kind, runs[kind][-1], flush=True)
    summary_row = {
        kind: {key: round(median([r[key] for r in rs]), 3) for key in rs[0]}
        for kind, rs in runs.items()
    }
    extra = summary_row["app"]["seconds"] - summary_row["bare"]["seconds"]
    command = f"uv run python -m bench.ui_startup --runs {args.runs}"
    if args.db is not None:
        command += f" --db {args.db.name} --name {args.name}"
    if args.with_full_check:
        command += " --with-full-check"
    if args.bundle:
        command += " --bundle"
    save(
        args.name,
        {
            "command": command,
            "store": "demo, 58 units" if args.db is None else args.db.name,
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
