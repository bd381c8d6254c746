"""`sitesync-server` as a new user runs it: serve on the embedded database, create an
organization and users, sign in; and its exit codes on bad input."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.server.admin import organization_name
from sync.server.cli_errors import CommandError
from sync.server.settings import ServerSettings
from tests.postgres import free_port

COMMAND = [sys.executable, "-m", "sync.server.cli"]


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SITESYNC_")}
    env.pop("DATABASE_URL", None)
    env["SITESYNC_DATA_DIR"] = str(data)
    env["SITESYNC_ARGON2_MEMORY_KIB"] = "1024"
    return env


def _run(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        env=_env(data),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def serving() -> Iterator[tuple[Path, str, str]]:
    """``sitesync-server serve`` on a fresh machine: no DATABASE_URL, an empty data folder."""
    # Not under pytest's temporary tree: as root, PostgreSQL runs as another user, and every
    # pytest session resets that tree's top folder to owner-only.
    home = Path(tempfile.mkdtemp(prefix="sitesync-home-"))
    data = home / "server"
    data.mkdir()
    port = free_port()
    log = data.parent / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(port)],
            env=_env(data),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"not ready:\n{log.read_text()}")
        yield data, url, log.read_text()
        # stopped as a service manager stops it: the command ends, and its database with it
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
        assert not (data / "postgres" / "postmaster.pid").exists(), "the database still runs"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        left = data / "postgres" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(left.read_text().split()[0]), signal.SIGTERM)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.timeout(240)
def test_a_fresh_machine_serves_and_creates_its_first_users(
    serving: tuple[Path, str, str],
) -> None:
    data, url, output = serving
    assert f"Embedded PostgreSQL: data in {data / 'postgres'}" in output
    assert "create-org" in output, "the first start says how to create an organization"
    made = _run(data, "create-org", "Acme Lifts")
    assert made.returncode == 0, made.stderr
    again = _run(data, "create-org", "acme lifts")
    assert again.returncode == 2
    assert "exists already" in again.stderr
    user = _run(
        data,
        "create-user",
        "--org",
        "Acme Lifts",
        "--email",
        "admin@acme.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a good long password\n",
    )
    assert user.returncode == 0, user.stderr
    weak = _run(
        data,
        *("create-user", "--org", "Acme Lifts", "--email", "x@acme.example", "--role", "admin"),
        "--password-stdin",
        stdin="short\n",
    )
    assert weak.returncode == 2
    unknown = _run(
        data,
        *("create-user", "--org", "Nobody", "--email", "y@acme.example", "--role", "admin"),
        "--password-stdin",
        stdin="a good long password\n",
    )
    assert unknown.returncode == 2
    assert "no organization named" in unknown.stderr
    answer = httpx.post(
        f"{url}/api/v1/auth/token",
        json={"email": "admin@acme.example", "password": "a good long password"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    me = httpx.get(
        f"{url}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
        timeout=10,
    )
    assert me.json()["role"] == "admin"
    status = _run(data, "status")
    assert status.returncode == 0, status.stderr
    assert "(at head)" in status.stdout
    rotated = _run(data, "rotate-ledger-key")
    assert rotated.returncode == 0
    assert len(list((data / "keys").glob("ledger-*.key"))) == 2


def test_bad_settings_and_arguments_exit_2(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["SITESYNC_ENVIRONMENT"] = "production"
    refused = subprocess.run(
        [*COMMAND, "status"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 2
    assert "SITESYNC_JWT_SECRET" in refused.stderr
    assert "Traceback" not in refused.stderr
    usage = _run(tmp_path, "create-user", "--org", "x")
    assert usage.returncode == 2


def test_what_serve_cannot_use_is_refused_in_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    def refused(*args: str, **settings: str) -> str:
        env = {**_env(tmp_path), **settings}
        done = subprocess.run(
            [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout
        return done.stderr

    assert "between 1 and 65535" in refused("serve", "--port", "99999")
    assert "between 1 and 64" in refused("serve", "--workers", "0")
    assert "not base64" in refused("serve", SITESYNC_LEDGER_KEY="garbage")
    assert "32-byte" in refused("serve", SITESYNC_LEDGER_KEY="c2hvcnQ=")
    assert "is not a PostgreSQL URL" in refused("migrate", DATABASE_URL="mysql://a@b/c")
    assert "is not a PostgreSQL URL" in refused("status", DATABASE_URL="notaurl")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert "address already in use" in refused("serve", "--port", port)
    assert "--host" in refused("serve", "--host", "256.1.1.1")
    assert not (tmp_path / "postgres").exists()  # refused before the database was started
    unreachable = refused("migrate", DATABASE_URL="postgresql://nobody:pw@127.0.0.1:1/none")
    assert "Check that PostgreSQL runs there" in unreachable


def test_with_a_database_url_no_embedded_database_is_started(
    server_settings: ServerSettings, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    assert server_settings.database_url is not None
    env["DATABASE_URL"] = server_settings.database_url
    env["SITESYNC_ADMIN_DATABASE_URL"] = server_settings.admin_database_url or ""
    shown = subprocess.run(
        [*COMMAND, "status"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "(DATABASE_URL)" in shown.stdout
    assert "Schema:        " in shown.stdout
    assert "at head" in shown.stdout
    assert not (tmp_path / "postgres").exists()  # where the embedded one would keep its data


def test_an_organization_name_is_one_plain_line() -> None:
    assert organization_name("  Acme \n Lifts ") == "Acme Lifts"
    for bad, why in [
        ("Evil\x1b[31m", "control characters"),
        ("x" * 201, "at most 200"),
        (" \t", "needs a name"),
    ]:
        with pytest.raises(CommandError, match=why):
            organization_name(bad)
