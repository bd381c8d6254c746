"""A real PostgreSQL for the tests, a fresh database per test, and real server processes.

``SITESYNC_TEST_DATABASE_URL`` (a superuser connection) selects an existing server; without it
one embedded PostgreSQL (``pgserver``) starts per test session in a temporary folder. A
template database is migrated once; each test gets its own copy (``CREATE DATABASE ...
TEMPLATE``), so tests never see each other's rows. ``tests/conftest.py`` exposes these as
fixtures; end-to-end tests use ``ServerProcess`` to run ``sitesync-server serve`` on loopback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx
from pydantic import SecretStr

from sync.server.db.engine import make_engine
from sync.server.db.migrate import head_revision, upgrade
from sync.server.db.roles import (
    DatabaseUrls,
    connect,
    drop_database,
    ensure_database,
    ensure_roles,
    with_login,
)
from sync.server.keys import ensure_keys
from sync.server.settings import ServerSettings

OWNER: Final = "sitesync_owner"
RUNTIME: Final = "sitesync_app"
PASSWORD: Final = "sitesync-test-password"
JWT_SECRET: Final = "test-secret-" + "x" * 60


@dataclass
class PgCluster:
    """A PostgreSQL server the tests may create databases in, and its migrated template."""

    superuser_url: str
    template: str
    embedded: object | None = None

    def urls(self, database: str) -> DatabaseUrls:
        return DatabaseUrls(
            runtime=with_login(
                self.superuser_url, user=RUNTIME, password=PASSWORD, database=database
            ),
            owner=with_login(self.superuser_url, user=OWNER, password=PASSWORD, database=database),
        )

    def create_database(self) -> tuple[str, DatabaseUrls]:
        """A fresh copy of the migrated template; returns its name and URLs."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        asyncio.run(ensure_database(self.superuser_url, name, owner=OWNER, template=self.template))
        return name, self.urls(name)

    def drop_database(self, name: str) -> None:
        asyncio.run(drop_database(self.superuser_url, name))


def _start_embedded(folder: Path) -> tuple[str, object]:
    from sync.server.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(folder)
    url = embedded.start()
    return url, embedded


async def _tune_for_tests(url: str) -> None:
    """Durability off for a throw-away test server: commits need not reach the disk."""
    conn = await connect(url)
    try:
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            await conn.execute(f"ALTER SYSTEM SET {setting}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


async def _prepare_template(url: str, template: str) -> None:
    await ensure_roles(url, owner=OWNER, runtime=RUNTIME, password=PASSWORD)
    conn = await connect(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    finally:
        await conn.close()
    await ensure_database(url, template, owner=OWNER)
    owner_url = with_login(url, user=OWNER, password=PASSWORD, database=template)
    engine = make_engine(owner_url, pool_size=1)
    try:
        await upgrade(engine, RUNTIME)
    finally:
        await engine.dispose()


def start_cluster(scratch: Path, *, durable: bool = False) -> PgCluster:
    """The session's PostgreSQL with a freshly migrated template database.

    The embedded server runs without durability (no fsync) unless ``durable`` (benchmarks).
    """
    url = os.environ.get("SITESYNC_TEST_DATABASE_URL")
    embedded = None
    if not url:
        url, embedded = _start_embedded(scratch / "postgres")
        if not durable:
            asyncio.run(_tune_for_tests(url))
    template = f"sitesync_template_{head_revision()}_{os.getpid()}"
    asyncio.run(_prepare_template(url, template))
    return PgCluster(url, template, embedded)


def stop_cluster(cluster: PgCluster) -> None:
    asyncio.run(drop_database(cluster.superuser_url, cluster.template))
    if cluster.embedded is not None:
        cluster.embedded.stop()  # type: ignore[attr-defined]


def settings_for(urls: DatabaseUrls, keys_dir: Path, **overrides: object) -> ServerSettings:
    """Settings for a server on ``urls``, with cheap password hashing and test keys."""
    ensure_keys(keys_dir)
    values: dict[str, object] = {
        "environment": "test",
        "database_url": urls.runtime,
        "admin_database_url": urls.owner,
        "data_dir": keys_dir.parent,
        "ledger_key_dir": keys_dir,
        "jwt_secret": SecretStr(JWT_SECRET),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "argon2_parallelism": 1,
        "pool_size": 4,
    }
    values.update(overrides)
    return ServerSettings.model_validate(values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def settings_env(settings: ServerSettings) -> dict[str, str]:
    """The environment that gives a server process exactly ``settings``."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"SITESYNC_{name.upper()}"] = str(value)
    env["SITESYNC_SERVER_DATA_DIR"] = str(settings.data_dir)
    return env


@dataclass
class ServerProcess:
    """``sitesync-server serve`` on a loopback port, against ``settings``' database."""

    settings: ServerSettings
    workers: int = 1
    port: int = field(default_factory=free_port)
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (0 when it is not running)."""
        return self._process.pid if self._process is not None else 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SITESYNC_")}
        env.pop("DATABASE_URL", None)
        env.update(settings_env(self.settings))
        env.update(self.extra_env)
        command = [sys.executable, "-m", "sync.server.cli", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--log-level", "warning"]
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"server exited at start:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        self._process = None

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash)."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)
        self._process = None


def running_servers(settings: ServerSettings, count: int) -> Iterator[list[ServerProcess]]:
    """``count`` server processes on one database (stopped when the generator closes)."""
    servers = [ServerProcess(settings) for _ in range(count)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
