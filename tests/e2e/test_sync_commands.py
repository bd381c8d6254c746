"""``sitesync sync`` and ``sitesync status`` as a user runs them, against a real server."""

from __future__ import annotations

import asyncio
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


async def _sitesync(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app", *args],
        input=stdin,
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
