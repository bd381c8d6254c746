"""The release sections of docs/PERFORMANCE.md: the desktop bundle and opening a large store.

From bench/results/bundle.json (``bench.bundle``), ui_startup_bundle.json (``bench.ui_startup
--bundle``), store_open.json (``bench.store_open``) and ui_startup_10k.json (``bench.ui_startup
--db ... --with-full-check``).
"""

from __future__ import annotations

from typing import Any, Final

BUNDLE_MB: Final = 150.0
PLATFORMS: Final = {"linux": "Linux", "darwin": "macOS", "win32": "Windows"}
WINDOW_AFTER_BARE_S: Final = 1.5


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _provenance(result: dict[str, Any]) -> str:
    return f"Command: `{result['command']}` · machine: {result['machine']} · {result['date']}"


def bundle(result: dict[str, Any], startup: dict[str, Any] | None) -> list[str]:
    """Size and build time of the bundle, and its start against `uv run sitesync`."""
    size = result["size_mb"]
    lines = [
        "## Desktop bundle",
        "",
        f"`uv run python packaging/build.py --clean` on "
        f"{PLATFORMS.get(result['platform'], result['platform'])} (PyInstaller, one "
        f"folder, its cache rebuilt): {result['clean_build_s']:.0f} s. The bundle is "
        f"{size:.1f} MB on disk in {result['files']:,} files (target at most {BUNDLE_MB:.0f} "
        f"MB: {_mark(size <= BUNDLE_MB)}); PySide6 with QtCharts and nothing left out comes to "
        "about 250 MB. What it is made of:",
        "",
        "| part | MB |",
        "|---|---|",
        *(f"| {part} | {mb:.1f} |" for part, mb in result["parts_mb"].items()),
        "",
        "Left out: the server side (FastAPI, uvicorn, uvloop, asyncpg, pgserver, argon2, jwt), "
        "development tools, Qt modules the app does not import (WebEngine, Qt 3D, Multimedia, "
        "QML and Quick, PDF, ...), Qt's translations, Qt plugins the app never loads together "
        "with the libraries only they needed (PDF and TIFF images, the virtual keyboard, the "
        "GTK theme, EGLFS and VNC, Qt's TLS backends, GIO's network information), and on Linux "
        "the libraries every desktop has (X11, D-Bus, fontconfig, FreeType, Kerberos), taken "
        "from the system as AppImage bundles do. Qt Network stays for its network information "
        "(sync runs as soon as the network comes back). "
        "`uv run pytest -m bundle` fails if any server module comes back or the size passes "
        f"{BUNDLE_MB:.0f} MB.",
        "",
        _provenance(result),
        "",
    ]
    if startup is None:
        return lines
    m = startup["median_of_runs"]
    rows = [
        ("bare Qt window (`QApplication` + `QMainWindow`)", "bare"),
        ("`uv run sitesync --db DEMO`", "uv_run"),
        ("`dist/sitesync/sitesync --db DEMO` (the bundle)", "bundle"),
    ]
    lines += [
        "### Start of the bundled app",
        "",
        "A new process to the first painted main window on the demo store (58 units, "
        "supervisor profile remembered), offscreen; the two commands are timed whole, as a "
        "person types them (`SITESYNC_QUIT_AFTER_FIRST_PAINT` ends them at the first paint). "
        f"Interleaved in the same run; median of {startup['runs']} runs.",
        "",
        "| | to first paint |",
        "|---|---|",
        *(f"| {label} | {m[key]['seconds']:.2f} s |" for label, key in rows if key in m),
        "",
        "Both commands include their own start-up (uv checks the environment; the bundle's "
        "bootloader sets up its interpreter and reads modules from a compressed archive). "
        f"The bundle is {m['bundle']['seconds'] - m['uv_run']['seconds']:+.2f} s from `uv run` "
        "here; on this shared machine runs of the same command spread by about a second, so "
        "the two start alike.",
        "",
        _provenance(startup),
        "",
    ]
    return lines


def store_open(result: dict[str, Any] | None, startup: dict[str, Any] | None) -> list[str]:
    """Opening a 10,000-unit store, before and after the full check moved to the background."""
    lines = ["## Opening a 10,000-unit store", ""]
    if result is not None:
        before, after = result["median_of_runs"]["at_open"], result["median_of_runs"]["background"]
        lines += [
            f"A demo store of {result['units']:,} units, {result['events']:,} events, "
            f"{result['file_mb']:,} MB. Before, a store opened only after SQLite's full "
            "`integrity_check` had read every page and cross-checked every index. Now it opens "
            "after a quick check (`quick_check` of every table but the event log, the file's "
            "length against its header, the header checks) and the full check runs on its own "
            "thread once the window is up; nothing is added to the log before it has passed. "
            f"Each open in its own process, the two ways interleaved; median of {result['runs']}"
            " runs.",
            "",
            "| | store opened | full integrity check |",
            "|---|---|---|",
            f"| before: full check, then open | {before['open_s']:.2f} s | "
            f"{before['full_check_s']:.1f} s (inside the open) |",
            f"| now: quick check, open, full check in the background | {after['open_s']:.2f} s | "
            f"{after['full_check_s']:.1f} s (after the open) |",
            "",
            _provenance(result),
            "",
        ]
    if startup is not None:
        m = startup["median_of_runs"]
        now, bare = m["app"]["seconds"], m["bare"]["seconds"]
        extra = now - bare
        lines += [
            "From a new process to the first painted main window on that store (supervisor "
            "profile remembered, figures saved at the last close), offscreen, against a bare Qt "
            f"window, interleaved in the same run; median of {startup['runs']} runs.",
            "",
            "| | to first paint | after the bare window |",
            "|---|---|---|",
            f"| bare Qt window | {bare:.2f} s | |",
        ]
        if "app_full_check" in m:
            old = m["app_full_check"]["seconds"]
            lines.append(f"| before: full check at open | {old:.2f} s | {old - bare:.2f} s |")
        lines += [
            f"| now | {now:.2f} s | {extra:.2f} s |",
            "",
            f"Target: the window within {WINDOW_AFTER_BARE_S} s of the bare Qt window: "
            f"{_mark(extra <= WINDOW_AFTER_BARE_S)}.",
            "",
            _provenance(startup),
            "",
        ]
    return lines
