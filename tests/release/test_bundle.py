"""The desktop bundle: built with packaging/build.py, it starts, passes its self-check, carries
every module of the app and nothing of the server.

Marked ``bundle`` and left out of the default run (a build takes about a minute); ``.ci/run``
runs it as its own step: ``uv run pytest -m bundle``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.release.test_self_check import STEPS, project_version

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist" / "sitesync"
EXE = DIST / ("sitesync.exe" if sys.platform == "win32" else "sitesync")
SIZE_BUDGET_MB = 150.0

SERVER_SIDE = (
    *("sync.server", "fastapi", "starlette", "uvicorn", "asyncpg", "pgserver"),
    *("argon2", "_argon2_cffi_bindings", "jwt", "uvloop", "httptools"),
)
UNUSED_QT = ("QtWebEngine", "Qt3D", "QtMultimedia", "QtQml", "QtQuick", "QtPdf", "QtNetworkAuth")

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(sys.platform == "win32", reason="the bundle test runs on Linux and macOS"),
]


@pytest.fixture(scope="module")
def bundle() -> dict[str, object]:
    """Build the bundle once for this module; the build's report (size, seconds)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report: dict[str, object] = json.loads((ROOT / "build" / "bundle.json").read_text("utf-8"))
    print(f"bundle built in {report['build_seconds']} s, {report['size_mb']} MB")
    return report


def run_bundle(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The bundle's executable with a clean environment (no virtualenv, no PYTHONPATH)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=300,
        check=False,
    )


def modules_in_bundle() -> list[str]:
    """The Python modules in the executable's archive, as the bundle will import them."""
    from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

    archive = CArchiveReader(str(EXE)).open_embedded_archive("PYZ.pyz")
    return sorted(archive.toc)


def source_modules(package: str) -> set[str]:
    """Every module of ``package`` in the source tree (the store's migration scripts aside)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_version_is_stamped_from_the_project(bundle: dict[str, object], tmp_path: Path) -> None:
    done = run_bundle("--version", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"SiteSync {project_version()} (bundle built "), done.stdout
    assert bundle["version"] == project_version()


def test_self_check_passes_in_the_bundle(bundle: dict[str, object], tmp_path: Path) -> None:
    done = run_bundle("--self-check", home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in STEPS:
        assert f"ok     {step}:" in done.stdout, done.stdout
    if sys.platform.startswith("linux"):
        plugins = done.stdout.split("Qt platform plugins here: ", 1)[1].split("\n", 1)[0]
        assert {"offscreen", "wayland", "xcb"} <= set(plugins.split(", "))
    assert done.stdout.splitlines()[-1] == "self-check passed: 6 steps"


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring); "
    ".ci/run installs them",
)
def test_the_bundle_uses_the_secret_service_keyring(
    bundle: dict[str, object], tmp_path: Path
) -> None:
    shell = (
        "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f"exec '{EXE}' --self-check"
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keyring.backends.SecretService.Keyring in use, accepted as secure" in done.stdout


def test_every_app_module_is_in_and_the_server_is_out(bundle: dict[str, object]) -> None:
    modules = modules_in_bundle()
    wanted = source_modules("app") | {
        name for name in source_modules("sync") if not name.startswith("sync.server")
    }
    missing = wanted - set(modules)
    assert not missing, f"modules of the app missing from the bundle: {sorted(missing)}"
    carried = [
        name
        for name in modules
        if name.split(".")[0] in SERVER_SIDE or name.startswith("sync.server")
    ]
    assert not carried, f"server modules in the desktop bundle: {carried}"


def test_the_tree_holds_the_data_and_no_server_or_unused_qt(bundle: dict[str, object]) -> None:
    files = [path.relative_to(DIST).as_posix() for path in DIST.rglob("*")]
    inside = DIST / "_internal"
    for needed in (
        "app/store/migrations/env.py",
        "app/store/migrations/versions/0001_initial.py",
        "app/build-info.json",
        "resources/icons/sitesync.png",
        "resources/demo/organization.json",
        "docs/USER-GUIDE.md",
    ):
        assert (inside / needed).is_file(), needed
    assert list((inside / "resources" / "checklists").glob("*.json"))
    assert list(inside.glob("keyring-*.dist-info/entry_points.txt"))  # how backends are found
    names = [Path(file).name for file in files]
    for component in SERVER_SIDE:
        top = component.split(".")[0]
        assert top not in {Path(file).parts[1] for file in files if file.startswith("_internal/")}
    bindings = [path.name.split(".")[0] for path in (inside / "PySide6").glob("Qt*.*")]
    assert "QtCharts" in bindings
    # the network information that starts sync when the network comes back, with a backend
    assert "QtNetwork" in bindings
    assert list((inside / "PySide6" / "Qt" / "plugins" / "networkinformation").glob("*"))
    assert not [name for name in bindings if name.startswith(UNUSED_QT)], bindings
    libraries = [name for name in names if name.startswith(("libQt6", "Qt6"))]
    assert not [
        name
        for name in libraries
        if name.removeprefix("lib").startswith(
            tuple(f"Qt6{module.removeprefix('Qt')}" for module in UNUSED_QT)
        )
    ], libraries
    assert not [file for file in files if "/translations/" in file]


def test_size_is_within_budget(bundle: dict[str, object]) -> None:
    size = float(str(bundle["size_mb"]))
    assert size <= SIZE_BUDGET_MB, f"the bundle is {size} MB; the budget is {SIZE_BUDGET_MB} MB"
    assert os.access(EXE, os.X_OK)


linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the Linux bundle's libraries and X11 window"
)


@linux_only
def test_every_library_of_the_qt_plugins_resolves(bundle: dict[str, object]) -> None:
    """What the bundle does not carry must be on any desktop; a gap here means the build machine
    lacked a library (install the xcb libraries listed in docs/INSTALL.md and build again)."""
    qt = DIST / "_internal" / "PySide6" / "Qt"
    unresolved = {}
    for library in [*qt.glob("plugins/*/*.so"), *qt.glob("lib/*.so*")]:
        done = subprocess.run(
            ["ldd", str(library)], capture_output=True, text=True, timeout=60, check=False
        )
        missing = [line.split()[0] for line in done.stdout.splitlines() if "not found" in line]
        if missing:
            unresolved[library.relative_to(DIST).as_posix()] = missing
    assert not unresolved, unresolved


@linux_only
@pytest.mark.skipif(
    not shutil.which("xvfb-run"), reason="needs xvfb-run (Debian: xvfb); .ci/run installs it"
)
def test_the_bundle_opens_a_real_x11_window(bundle: dict[str, object], tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    made = run_bundle("demo", "--db", str(db), "--units", "3", "--months", "1", home=tmp_path)
    assert made.returncode == 0, made.stderr
    with closing(sqlite3.connect(db)) as conn:
        (supervisor,) = conn.execute("SELECT id FROM users WHERE role = 'supervisor'").fetchone()
    conf = tmp_path / "config" / "SiteSync" / "SiteSync.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(f"[profile]\nuser_id={supervisor}\n", "utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SITESYNC_DATA_DIR": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "xcb",
        "SITESYNC_QUIT_AFTER_FIRST_PAINT": "1",
    }
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", str(EXE), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("painted"), done.stdout + done.stderr
