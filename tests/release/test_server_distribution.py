"""The server's distribution, checked without a container engine: the wheel, its ``server``
extra, the Containerfile (entry point, port, user, health check) and the compose file."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "packaging" / "server"
SERVE = ["sitesync-server", "serve", "--host", "0.0.0.0", "--port", "8000"]
SERVER_PACKAGES = {"fastapi", "uvicorn", "asyncpg"}
DESKTOP_TOOLKIT = re.compile(r"^(pyside6|shiboken6)([-_].*)?$")

needs_server = pytest.mark.skipif(
    not (ROOT / "sync" / "server" / "cli.py").exists(),
    reason="the server (sync/server) is not in this tree yet",
)


def project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def name_of(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text("utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def export_command() -> list[str]:
    """The ``uv export`` the image's build stage runs, as arguments."""
    run = next(args for word, args in instructions(SERVER / "Containerfile") if "uv export" in args)
    command = run[run.index("uv export") :].split("&&")[0]
    return shlex.split(command)


def test_the_image_runs_the_server_entry_point_on_port_8000_as_a_non_root_user() -> None:
    stage = final_stage(SERVER / "Containerfile")
    words = dict(stage)
    assert words["FROM"].startswith("python:3.12")
    assert words["CMD"] == '["sitesync-server", "serve", "--host", "0.0.0.0", "--port", "8000"]'
    assert words["EXPOSE"] == "8000"
    user = words["USER"].split(":")[0]
    assert user not in {"root", "0"}
    assert any("useradd --system --uid 10001" in args and user in args for _, args in stage)
    assert "http://127.0.0.1:8000/health" in words["HEALTHCHECK"]
    assert "SITESYNC_ENVIRONMENT=production" in words["ENV"]
    install = " ".join(args for word, args in stage if word == "RUN")
    assert "-r /tmp/wheels/requirements.txt" in install
    assert "sitesync-*.whl" in install


def test_the_image_leaves_out_every_desktop_toolkit_package_of_the_lock() -> None:
    command = export_command()
    assert "--extra" in command
    assert command[command.index("--extra") + 1] == "server"
    assert "--no-dev" in command
    excluded = {command[i + 1] for i, arg in enumerate(command) if arg == "--no-emit-package"}
    with (ROOT / "uv.lock").open("rb") as file:
        locked = {package["name"] for package in tomllib.load(file)["package"]}
    toolkit = {name for name in locked if DESKTOP_TOOLKIT.match(name)}
    assert toolkit, "the lock has no PySide6 packages: update this test"
    assert toolkit <= excluded, f"packages of the desktop toolkit left in: {toolkit - excluded}"


def test_compose_serves_the_image_from_database_url_after_migrating() -> None:
    compose = (SERVER / "compose.yaml").read_text("utf-8")
    assert "dockerfile: packaging/server/Containerfile" in compose
    assert "image: docker.io/library/postgres:16" in compose
    server = compose.split("\n  server:\n", 1)[1].split("\nvolumes:", 1)[0]
    assert "DATABASE_URL: postgresql://sitesync_app:" in server
    assert "SITESYNC_ADMIN_DATABASE_URL" not in server  # the owner's password stays with migrate
    assert '"8000:8000"' in server
    assert "condition: service_completed_successfully" in server
    assert "SITESYNC_JWT_SECRET: ${SITESYNC_JWT_SECRET:?" in server  # no default secret
    migrate = compose.split("\n  migrate:\n", 1)[1].split("\n  server:\n", 1)[0]
    assert '["sitesync-server", "migrate"]' in migrate
    init = (SERVER / "postgres-init.sh").read_text("utf-8")
    assert "CREATE ROLE sitesync_app LOGIN" in init
    assert "NOBYPASSRLS" in init


@needs_server
def test_the_wheel_installs_the_server_with_its_extra(tmp_path: Path) -> None:
    meta = project()
    assert meta["project"]["scripts"]["sitesync-server"] == "sync.server.cli:main"
    extra = {name_of(r) for r in meta["project"]["optional-dependencies"]["server"]}
    assert extra >= SERVER_PACKAGES
    assert not {name_of(r) for r in meta["project"]["dependencies"]} & SERVER_PACKAGES
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("sitesync-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        scripts = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "sync/server/cli.py" in names
    assert "app/store/migrations/versions/0001_initial.py" in names
    assert "Provides-Extra: server" in metadata
    for package in SERVER_PACKAGES:
        assert re.search(rf"Requires-Dist: {package}\b.*extra == .server.", metadata, re.I)
    assert "sitesync-server = sync.server.cli:main" in scripts


@needs_server
def test_the_export_gives_the_server_packages_and_no_toolkit(tmp_path: Path) -> None:
    out = tmp_path / "requirements.txt"
    command = [*export_command()]
    command[command.index("--output-file") + 1] = str(out)
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True, timeout=120)
    names = {name_of(line) for line in out.read_text("utf-8").splitlines() if line[:1].isalnum()}
    assert names >= SERVER_PACKAGES | {"sqlalchemy", "pydantic"}
    assert not {name for name in names if DESKTOP_TOOLKIT.match(name)}
