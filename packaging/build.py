"""Build the SiteSync desktop bundle into dist/sitesync/ (one folder; dist/SiteSync.app on macOS).

    uv run python packaging/build.py [--clean]

1. Stamps the version from pyproject.toml, with the git commit and the build time, into
   build/stamp/build-info.json (the bundle's `sitesync --version` prints it).
2. Runs PyInstaller on packaging/sitesync.spec.
3. On Linux, puts the .desktop file and the icon beside the executable (docs/INSTALL.md).
4. Runs `sitesync --version` from the bundle and prints the bundle's size and the build time,
   also written to build/bundle.json.

`packaging/` is a folder of scripts, never an importable package: a package named `packaging`
would shadow the library of that name that PyInstaller and pip import.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUILD = ROOT / "build"
STAMP = BUILD / "stamp" / "build-info.json"
REPORT = BUILD / "bundle.json"


def project_version() -> str:
    """The version in pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def commit() -> str:
    """The checked-out commit (short), "+changes" when the tree has edits; "" without git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+changes" if dirty else "")


def stamp() -> dict[str, str]:
    """Write build/stamp/build-info.json; return what it holds."""
    info = {
        "version": project_version(),
        "commit": commit(),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
    }
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(json.dumps(info, indent=2) + "\n", "utf-8")
    return info


def windows_version_file(version: str) -> Path:
    """The version resource of sitesync.exe (file properties in Windows Explorer)."""
    numbers = [int(part) for part in version.split(".")[:3] if part.isdigit()]
    numbers += [0] * (4 - len(numbers))
    four = tuple(numbers[:4])
    fields = {
        "CompanyName": "SiteSync",
        "FileDescription": "SiteSync",
        "FileVersion": version,
        "InternalName": "sitesync",
        "OriginalFilename": "sitesync.exe",
        "ProductName": "SiteSync",
        "ProductVersion": version,
    }
    strings = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in fields.items())
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={four}, prodvers={four}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
{strings}
    ])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
    path = BUILD / "stamp" / "windows-version.txt"
    path.write_text(text, "utf-8")
    return path


def bundle_dir() -> Path:
    """Where the built app is: the .app on macOS, the folder elsewhere."""
    return DIST / "SiteSync.app" if sys.platform == "darwin" else DIST / "sitesync"


def executable() -> Path:
    """The bundle's executable."""
    if sys.platform == "darwin":
        return bundle_dir() / "Contents" / "MacOS" / "sitesync"
    return bundle_dir() / ("sitesync.exe" if sys.platform == "win32" else "sitesync")


def size_on_disk(folder: Path) -> int:
    """Bytes of every file under ``folder`` (links counted once, as links)."""
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            total += (Path(base) / name).lstat().st_size
    return total


def run_pyinstaller(clean: bool, env: dict[str, str]) -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(ROOT / "packaging" / "sitesync.spec"),
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={DIST}",
        f"--workpath={BUILD / 'pyinstaller'}",
    ]
    if clean:
        command.append("--clean")
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def add_linux_desktop_entry() -> None:
    """The .desktop file and the icon, beside the executable, for installing (INSTALL.md)."""
    shutil.copy2(ROOT / "packaging" / "linux" / "sitesync.desktop", bundle_dir())
    shutil.copy2(ROOT / "resources" / "icons" / "sitesync.png", bundle_dir() / "sitesync.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clean", action="store_true", help="rebuild PyInstaller's cache too")
    args = parser.parse_args()
    started = time.perf_counter()
    info = stamp()
    env = {**os.environ, "SITESYNC_BUILD_INFO": str(STAMP)}
    if sys.platform == "win32":
        env["SITESYNC_WINDOWS_VERSION_FILE"] = str(windows_version_file(info["version"]))
    try:
        run_pyinstaller(args.clean, env)
    except subprocess.CalledProcessError as exc:
        print(f"error: PyInstaller failed (exit {exc.returncode}); see its output above.")
        return 2
    if sys.platform.startswith("linux"):
        add_linux_desktop_entry()
    seconds = time.perf_counter() - started
    version = subprocess.run(
        [str(executable()), "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    if version.returncode != 0:
        print(f"error: the bundle does not start: {version.stderr.strip()}")
        return 1
    report = {
        "version": info["version"],
        "commit": info["commit"],
        "bundle": str(bundle_dir().relative_to(ROOT)),
        "size_mb": round(size_on_disk(bundle_dir()) / 1e6, 1),
        "build_seconds": round(seconds, 1),
        "platform": sys.platform,
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(version.stdout.strip())
    print(
        f"built {report['bundle']} in {report['build_seconds']} s: {report['size_mb']} MB. "
        f"Check it with: {executable().relative_to(ROOT)} --self-check"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
