"""Ledger key rotations: the new key signs, every older one cosigns, and every checkpoint
signed before a rotation still verifies against the key published for it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.audit.checkpoint import parse_and_verify_checkpoint
from app.audit.errors import AuditError
from app.domain import payloads as p
from sync.server.app import create_app
from sync.server.keys import ensure_keys, ledger_key_files, load_keys, new_ledger_key
from sync.server.settings import ServerSettings
from tests.server.conftest import Org
from tests.server.test_push import UNIT, field_tech, fleet_events


@asynccontextmanager
async def _server(settings: ServerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A server process's app as started now (it loads the keys folder at start)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            yield api


def _note(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    note: str = response.json()["checkpoint"]["note"]
    return note


async def test_after_a_rotation_old_and_new_checkpoints_verify(
    server_settings: ServerSettings, org: Org
) -> None:
    name = server_settings.ledger_name
    async with _server(server_settings) as api:
        tech = await field_tech(api, org, "tom@example.com")
        before = _note(await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop)))
    old_key = load_keys(server_settings.keys_dir).current.signer.public_key

    new_ledger_key(server_settings.keys_dir)  # what `sitesync-server rotate-ledger-key` does
    new_key = load_keys(server_settings.keys_dir).current.signer.public_key
    assert new_key != old_key
    async with _server(server_settings) as api:
        edit = tech.laptop.event(UNIT, p.ElevatorUpdated(model="MonoSpace 500"))
        after = _note(await tech.laptop.push(api, tech.headers, [edit]))
        published: list[dict[str, Any]] = (
            await api.get("/api/v1/ledger/keys", headers=tech.headers)
        ).json()

    assert [(base64.b64decode(k["public_key"]), k["current"]) for k in published] == [
        (old_key, False),
        (new_key, True),
    ]
    assert parse_and_verify_checkpoint(before, name, old_key).size == 4
    with pytest.raises(AuditError):
        parse_and_verify_checkpoint(before, name, new_key)  # signed before the new key existed
    newer = parse_and_verify_checkpoint(after, name, new_key)
    assert newer.size == 5
    # a device that pinned the old key keeps verifying while it learns the new one
    assert parse_and_verify_checkpoint(after, name, old_key) == newer


async def test_a_device_that_pinned_the_first_key_verifies_after_two_rotations(
    server_settings: ServerSettings, org: Org
) -> None:
    name = server_settings.ledger_name
    async with _server(server_settings) as api:
        tech = await field_tech(api, org, "tom@example.com")
        _note(await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop)))
    first = load_keys(server_settings.keys_dir).current.signer.public_key
    new_ledger_key(server_settings.keys_dir)
    new_ledger_key(server_settings.keys_dir)  # no checkpoint was signed by the one between
    keys = [k.signer.public_key for k in load_keys(server_settings.keys_dir).ledger]
    assert len(keys) == 3
    assert keys[0] == first
    async with _server(server_settings) as api:
        edit = tech.laptop.event(UNIT, p.ElevatorUpdated(model="MonoSpace 500"))
        after = _note(await tech.laptop.push(api, tech.headers, [edit]))
    for key in keys:
        assert parse_and_verify_checkpoint(after, name, key).size == 5


def test_a_ledger_key_given_in_the_environment_needs_only_the_device_key_file(
    tmp_path: Path,
) -> None:
    seed = base64.b64encode(b"k" * 32).decode()
    ensure_keys(tmp_path, ledger_key_given=True)
    assert not ledger_key_files(tmp_path)  # no second ledger key to cosign with
    keys = load_keys(tmp_path, current_seed=seed)
    assert [key.created for key in keys.ledger] == ["environment"]
