"""Fixtures shared by the test layers: a real SQLite store in a temporary folder and a service
context writing to it (the unit tests of services override ``store`` and ``ctx`` with the
in-memory fake); a real PostgreSQL and the server on it, started only for the tests that ask
(server, contract, end-to-end).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.demo.seeding import adopt_device, seed_context
from app.services.context import ServiceContext
from app.store import Store, open_store
from sync.server.app import create_app
from sync.server.db.roles import DatabaseUrls
from sync.server.settings import ServerSettings
from tests.postgres import PgCluster, ServerProcess, settings_for, start_cluster, stop_cluster


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
async def store(store_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(store_path, create=True)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def ctx(store: Store) -> ServiceContext:
    context = seed_context(store.unit_of_work)
    await adopt_device(store, context)
    return context


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL server and migrated template database."""
    # Outside pytest's temporary tree: the server runs as another user when tests run as root,
    # and pytest may prune its old session folders while this one still needs its own.
    scratch = Path(tempfile.mkdtemp(prefix="sitesync-pg-"))
    try:
        cluster = start_cluster(scratch)
        try:
            yield cluster
        finally:
            stop_cluster(cluster)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def pg_urls(pg_cluster: PgCluster) -> Iterator[DatabaseUrls]:
    """A fresh migrated database for this test only (runtime and owner URLs)."""
    name, urls = pg_cluster.create_database()
    try:
        yield urls
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def server_settings(pg_urls: DatabaseUrls, tmp_path: Path) -> ServerSettings:
    """Settings of a server on this test's database, with keys in a temporary folder."""
    return settings_for(pg_urls, tmp_path / "keys")


@pytest.fixture
async def server_app(server_settings: ServerSettings) -> AsyncIterator[FastAPI]:
    """The server application with its lifespan running (engine open, keys loaded)."""
    app = create_app(server_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def api(server_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in-process."""
    transport = httpx.ASGITransport(app=server_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def server_process(server_settings: ServerSettings) -> Iterator[ServerProcess]:
    """A real ``sitesync-server serve`` process on a loopback port, on this test's database."""
    server = ServerProcess(server_settings).start()
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the server tests last: they leave a large heap (real processes, schemathesis'
    generated cases), whose garbage collections would disturb the desktop's stall timings."""
    server = [item for item in items if "tests/server/" in item.nodeid]
    if server:
        items[:] = [item for item in items if "tests/server/" not in item.nodeid] + server
