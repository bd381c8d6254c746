"""The foundation: health and readiness, the error envelope, body limits, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from app.domain.enums import Role
from sync.server import reads
from sync.server.settings import ServerSettings
from tests.postgres import ServerProcess
from tests.server.conftest import Org, add_user, bearer, sign_in


async def test_health_and_ready(api: httpx.AsyncClient) -> None:
    assert (await api.get("/health")).json() == {"status": "ok"}
    assert (await api.head("/health")).status_code == 200  # for monitors that only ask HEAD
    ready = await api.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_unknown_route_answers_the_envelope(api: httpx.AsyncClient) -> None:
    response = await api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_a_fault_of_the_server_answers_500_in_the_envelope_without_a_traceback(
    api: httpx.AsyncClient,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_user(org, "tom@example.com")
    headers = bearer(await sign_in(api, "tom@example.com"))

    async def broken(*_args: object) -> None:
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(reads, "current_checkpoint", broken)
    response = await api.get("/api/v1/ledger/checkpoint", headers=headers)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "INTERNAL_ERROR"
    assert error["hint"]  # a next step
    assert "secret detail" not in response.text  # nothing of the fault reaches the client
    assert "Traceback" not in response.text
    assert "secret detail of a bug" in caplog.text  # it is in the server's log instead
    again = await api.get("/health")  # and the server goes on
    assert again.status_code == 200


async def test_oversized_body_is_refused_before_reading(api: httpx.AsyncClient) -> None:
    response = await api.post("/health", content=b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "TOO_LARGE"


async def _streamed(size: int, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body sent without Content-Length, ``piece`` bytes at a time."""
    for start in range(0, size, piece):
        yield b"x" * min(piece, size - start)


async def test_an_oversized_body_without_a_length_is_refused_as_it_streams(
    api: httpx.AsyncClient, org: Org
) -> None:
    await add_user(org, "tom@example.com", Role.TECHNICIAN)
    headers = bearer(await sign_in(api, "tom@example.com"))
    for method, path, size in [
        ("POST", "/api/v1/customers", 4 * 1024 * 1024),
        ("PUT", f"/api/v1/blobs/{'0' * 64}", 30 * 1024 * 1024),
    ]:
        response = await api.request(method, path, content=_streamed(size), headers=headers)
        assert response.status_code == 413, (path, response.text)
        assert response.json()["error"]["code"] == "TOO_LARGE"


async def test_malformed_requests_are_named_with_the_field_at_fault(
    api: httpx.AsyncClient, org: Org
) -> None:
    await add_user(org, "tom@example.com", Role.TECHNICIAN)
    headers = {**bearer(await sign_in(api, "tom@example.com")), "Content-Type": "application/json"}
    not_utf8 = await api.post("/api/v1/customers", content=b'{"name": "\xff"}', headers=headers)
    assert (not_utf8.status_code, not_utf8.json()["error"]["code"]) == (400, "MALFORMED_JSON")
    array = await api.post("/api/v1/customers", content=b'["name"]', headers=headers)
    assert array.status_code == 422
    assert array.json()["error"]["message"] == "The request body must be a JSON object."
    missing = await api.post("/api/v1/customers", json={"contact_name": "Ann"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "name"


def test_production_refuses_weak_or_missing_secrets() -> None:
    base = {"environment": "production", "database_url": "postgresql://u@h/db"}
    with pytest.raises(PydanticValidationError, match="not set"):
        ServerSettings.model_validate(base)
    for weak in ("changeme", "short-secret", "x" * 31):
        with pytest.raises(PydanticValidationError, match="too weak"):
            ServerSettings.model_validate({**base, "jwt_secret": SecretStr(weak)})
    good = ServerSettings.model_validate({**base, "jwt_secret": SecretStr("k" * 48)})
    assert good.jwt_secret is not None


def test_production_needs_a_database_url() -> None:
    with pytest.raises(PydanticValidationError, match="DATABASE_URL"):
        ServerSettings.model_validate({"environment": "production", "jwt_secret": "k" * 48})


def test_a_real_server_process_serves(server_process: ServerProcess) -> None:
    assert httpx.get(f"{server_process.url}/health", timeout=5).json() == {"status": "ok"}
    assert httpx.get(f"{server_process.url}/ready", timeout=5).status_code == 200
