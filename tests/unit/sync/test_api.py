"""HttpSyncApi over httpx's in-memory transport: requests as sent, failures sorted by next step."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from sync.client.api import HttpSyncApi
from sync.client.errors import (
    AuthExpiredError,
    PermanentSyncError,
    TransientSyncError,
    UpdateRequiredError,
)
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

pytestmark = pytest.mark.timeout(10)


def _envelope(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def _api(handler: httpx.MockTransport) -> HttpSyncApi:
    return HttpSyncApi("http://sync.example/", access_token="t0", transport=handler)


async def test_requests_carry_the_protocol_version_and_the_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        me = {
            "user_id": str(uuid4()),
            "organization_id": str(uuid4()),
            "email": "tom@example.com",
            "display_name": "Tom",
            "role": "technician",
        }
        return httpx.Response(200, json=me, headers={"Date": "Sat, 05 Dec 2026 03:00:00 GMT"})

    async with _api(httpx.MockTransport(answer)) as api:
        me = await api.me()
        assert me.email == "tom@example.com"
        assert api.clock is not None
        assert api.clock.server_time.isoformat() == "2026-12-05T03:00:00+00:00"
    assert seen[0].url == "http://sync.example/api/v1/auth/me"
    assert seen[0].headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
    assert seen[0].headers["Authorization"] == "Bearer t0"


@pytest.mark.parametrize(
    ("status", "headers", "kind"),
    [
        (503, {"Retry-After": "5"}, TransientSyncError),
        (500, {}, TransientSyncError),
        (429, {"Retry-After": "30"}, TransientSyncError),
        (401, {}, AuthExpiredError),
        (426, {}, UpdateRequiredError),
        (422, {}, PermanentSyncError),
        (404, {}, PermanentSyncError),
    ],
)
async def test_failures_are_sorted_by_what_to_do_next(
    status: int, headers: dict[str, str], kind: type[Exception]
) -> None:
    body = _envelope("SOMETHING", "It went wrong.", hint="Do this.")
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body, headers=headers))
    async with _api(transport) as api:
        with pytest.raises(kind) as caught:
            await api.pull(0, 10, None)
    error = caught.value
    assert str(error).startswith("It went wrong.")
    if isinstance(error, TransientSyncError) and "Retry-After" in headers:
        assert error.retry_after == float(headers["Retry-After"])


async def test_a_sequence_gap_names_the_expected_sequence() -> None:
    body = _envelope("SEQUENCE_GAP", "Expected 4.", expected_device_seq=4)
    transport = httpx.MockTransport(lambda _: httpx.Response(409, json=body))
    async with _api(transport) as api:
        with pytest.raises(PermanentSyncError) as caught:
            await api.pull(0, 10, None)
    assert (caught.value.code, caught.value.expected_device_seq) == ("SEQUENCE_GAP", 4)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")],
)
async def test_network_failures_are_transient(failure: Exception) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise failure

    async with _api(httpx.MockTransport(answer)) as api:
        with pytest.raises(TransientSyncError):
            await api.checkpoint()


async def test_an_unreadable_answer_is_permanent_not_a_crash() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=b"<html>proxy</html>"))
    async with _api(transport) as api:
        with pytest.raises(PermanentSyncError) as caught:
            await api.checkpoint()
    assert caught.value.code == "BAD_RESPONSE"


@pytest.mark.parametrize(
    ("status", "kind", "says"),
    [
        (501, PermanentSyncError, "not how a SiteSync server answers"),
        (404, PermanentSyncError, "not how a SiteSync server answers"),
        (502, TransientSyncError, "not available right now (502 Bad Gateway)"),
    ],
)
async def test_an_answer_that_is_not_sitesyncs_names_the_address_not_the_page(
    status: int, kind: type[Exception], says: str
) -> None:
    page = b"<!DOCTYPE HTML>\n<html><body><h1>Error response</h1></body></html>"
    transport = httpx.MockTransport(lambda _: httpx.Response(status, content=page))
    async with _api(transport) as api:
        with pytest.raises(kind) as caught:
            await api.me()
    assert says in str(caught.value)
    assert "http://sync.example" in str(caught.value)
    assert "<" not in str(caught.value)


async def test_a_blob_chunk_is_sent_with_its_range() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = {"sha256": "a" * 64, "size": 10, "received": 4, "complete": False}
        return httpx.Response(202, json=status)

    async with _api(httpx.MockTransport(answer)) as api:
        status = await api.put_blob_chunk("a" * 64, b"abcd", 0, 10)
    assert status.received == 4
    assert seen[0].method == "PUT"
    assert seen[0].headers["Content-Range"] == "bytes 0-3/10"
    assert seen[0].content == b"abcd"
