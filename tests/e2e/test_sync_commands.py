"""``sitesync sync`` and ``sitesync status`` as a user runs them, against a real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from app.domain import payloads as p
from tests.e2e.conftest import Organization
from tests.e2e.support import PASSWORD, new_laptop, server_projections
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(90)


async def _sitesync(
    *args: str, stdin: str = "", data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``sitesync ARGS``; with ``data_dir``, that is the data folder (your own store's)."""
    env = None if data_dir is None else {**os.environ, "SITESYNC_DATA_DIR": str(data_dir)}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_sync_and_status_commands(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    tom = await new_laptop("tom", tmp_path, server.url, organization.id, "tom@example.com")
    customer = uuid4()
    try:
        await tom.record(customer, p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
        await tom.record(customer, p.CustomerUpdated(contact_phone="555"))
    finally:
        await tom.close()
    db = str(tmp_path / "tom.sqlite")

    before = await _sitesync("status", "--db", db)
    assert before.returncode == 0, before.stderr
    assert "pending: 2" in before.stdout
    assert "last successful sync: never" in before.stdout

    refused = await _sitesync("sync", "--db", db)
    assert refused.returncode == 1
    assert "next step:" in refused.stderr
    assert "--password-stdin" in refused.stderr

    done = await _sitesync("sync", "--db", db, "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "sync up to date: pushed 2 (2 accepted" in done.stdout
    assert "pull:" in done.stderr  # progress
    server_view = await server_projections(organization.settings, organization.id)
    assert server_view["customer"][str(customer)]["contact_phone"] == "555"

    after = await _sitesync("status", "--db", db)
    assert after.returncode == 0
    assert "pending: 0" in after.stdout
    assert "last successful sync: never" not in after.stdout
    assert "problem:" not in after.stdout

    server.stop()
    offline = await _sitesync("sync", "--db", db, "--password-stdin", stdin=PASSWORD + "\n")
    assert offline.returncode == 1
    assert "Could not reach the server" in offline.stderr
    status = await _sitesync("status", "--db", db)
    assert "problem: Could not reach the server" in status.stdout


async def test_sync_of_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    missing = await _sitesync("sync", "--db", str(tmp_path / "nope.sqlite"))
    assert missing.returncode == 2
    assert "There is no store" in missing.stderr


async def test_without_db_the_commands_take_your_own_store(
    tmp_path: Path, server: ServerProcess, organization: Organization
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # "sitesync.sqlite" in the data folder: the store 'sitesync login' makes for you
    tom = await new_laptop("sitesync", data, server.url, organization.id, "tom@example.com")
    try:
        await tom.record(uuid4(), p.CustomerCreated(name="Acme Towers", contact_name="Ann"))
    finally:
        await tom.close()

    before = await _sitesync("status", data_dir=data)
    assert before.returncode == 0, before.stderr
    assert "pending: 1" in before.stdout
    done = await _sitesync("sync", "--password-stdin", stdin=PASSWORD + "\n", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "pushed 1 (1 accepted" in done.stdout
    assert "pending: 0" in (await _sitesync("status", data_dir=data)).stdout

    elsewhere = await _sitesync("status", data_dir=tmp_path / "empty")
    assert elsewhere.returncode == 2
    assert f"There is no store at {tmp_path / 'empty' / 'sitesync.sqlite'}" in elsewhere.stderr
    assert "sitesync login" in elsewhere.stderr
