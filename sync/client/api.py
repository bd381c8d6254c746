"""The server as the sync engine sees it: a Protocol, and its implementation over httpx.

Every endpoint a device uses is here: sign-in (token, refresh, logout, me), devices, push,
pull, snapshot, blobs (resumable chunks), and the ledger's checkpoint, keys and proofs. Each
failure becomes one of the errors in ``sync.client.errors`` (``sync.client.answers``).

Every answer also tells the engine the server's clock (its ``Date`` header), from which the
device's clock offset is estimated at each sync.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter

from sync.client.answers import error_from_response, parse_answer
from sync.client.errors import (
    PermanentSyncError,
    TransientSyncError,
)
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    BlobStatus,
    ConsistencyProof,
    CosignatureUpload,
    CosignatureUploadResponse,
    Device,
    DeviceRegistration,
    InclusionProof,
    LedgerKey,
    Me,
    PullResponse,
    PushRequest,
    PushResponse,
    RefreshRequest,
    SignedCheckpoint,
    SnapshotPage,
    TokenPair,
    TokenRequest,
)

DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
"""Connect fast or give up (the laptop is probably offline); a push of 1 MB may take a while."""
BLOB_CHUNK: Final = 512 * 1024
"""Bytes per blob upload or download request."""
_CONTENT_RANGE: Final = re.compile(r"bytes (\d+)-(\d+)/(\d+)")

_DEVICES = TypeAdapter(list[Device])
_KEYS = TypeAdapter(list[LedgerKey])


@dataclass(frozen=True, slots=True)
class BlobPart:
    """Bytes of a blob from ``start``, and the blob's whole size."""

    data: bytes
    start: int
    total: int


@dataclass(frozen=True, slots=True)
class ServerClock:
    """The server's clock as last seen: its time and our monotonic-free local time then."""

    server_time: datetime
    local_time: datetime

    @property
    def offset_seconds(self) -> float:
        """Server clock minus device clock (positive: the device is behind)."""
        return (self.server_time - self.local_time).total_seconds()


class SyncApi(Protocol):
    """What the sync engine asks of the server (``HttpSyncApi``; fakes in tests)."""

    @property
    def clock(self) -> ServerClock | None:
        """The server's clock at the last answer (None before any)."""
        ...

    def set_access_token(self, token: str | None) -> None:
        """Use ``token`` on every later request (None: send none)."""
        ...

    async def token(self, email: str, password: str) -> TokenPair: ...

    async def refresh(self, refresh_token: str) -> TokenPair: ...

    async def logout(self, refresh_token: str) -> None: ...

    async def me(self) -> Me: ...

    async def register_device(self, registration: DeviceRegistration) -> Device: ...

    async def devices(self) -> list[Device]: ...

    async def device(self, device_id: UUID) -> Device: ...

    async def push(self, request: PushRequest) -> PushResponse: ...

    async def pull(self, after: int, limit: int, known_size: int | None) -> PullResponse: ...

    async def snapshot(
        self, at: int | None = None, cursor: str | None = None, limit: int = 500
    ) -> SnapshotPage: ...

    async def upload_cosignatures(self, upload: CosignatureUpload) -> CosignatureUploadResponse: ...

    async def blob_status(self, sha256: str) -> BlobStatus: ...

    async def put_blob_chunk(self, sha256: str, data: bytes, start: int, total: int) -> BlobStatus:
        """Upload ``data`` as bytes ``start..start+len-1`` of a blob of ``total`` bytes."""
        ...

    async def get_blob_part(self, sha256: str, start: int, length: int) -> BlobPart:
        """Up to ``length`` bytes of a blob from ``start`` (the server may send it whole)."""
        ...

    async def checkpoint(self) -> SignedCheckpoint: ...

    async def ledger_keys(self) -> list[LedgerKey]: ...

    async def inclusion_proof(
        self, ledger_index: int, tree_size: int | None = None
    ) -> InclusionProof: ...

    async def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof: ...

    async def aclose(self) -> None: ...


class HttpSyncApi:
    """``SyncApi`` over one reused ``httpx.AsyncClient`` with explicit timeouts."""

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept": "application/json"},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        self._token = access_token
        self._clock: ServerClock | None = None

    @property
    def clock(self) -> ServerClock | None:
        """The server's clock at the last answer (None before any)."""
        return self._clock

    def set_access_token(self, token: str | None) -> None:
        """Use ``token`` on every later request (None: send none)."""
        self._token = token

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> HttpSyncApi:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- auth -------------------------------------------------------------------------------

    async def token(self, email: str, password: str) -> TokenPair:
        """Sign in: a token pair."""
        body = TokenRequest(email=email, password=password)
        return await self._json("POST", "/api/v1/auth/token", TokenPair, body=body, auth=False)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a refresh token for a new pair."""
        body = RefreshRequest(refresh_token=refresh_token)
        return await self._json("POST", "/api/v1/auth/refresh", TokenPair, body=body, auth=False)

    async def logout(self, refresh_token: str) -> None:
        """End the refresh token's sign-in on the server."""
        body = RefreshRequest(refresh_token=refresh_token)
        await self._send("POST", "/api/v1/auth/logout", body=body, auth=False)

    async def me(self) -> Me:
        """The signed-in user."""
        return await self._json("GET", "/api/v1/auth/me", Me)

    # -- devices ----------------------------------------------------------------------------

    async def register_device(self, registration: DeviceRegistration) -> Device:
        """Register this device's public key (idempotent)."""
        return await self._json("POST", "/api/v1/devices", Device, body=registration)

    async def devices(self) -> list[Device]:
        """The devices the signed-in user may see."""
        response = await self._send("GET", "/api/v1/devices")
        return parse_answer(_DEVICES, response.content)

    async def device(self, device_id: UUID) -> Device:
        """One device (its public key, head and clock offset)."""
        return await self._json("GET", f"/api/v1/devices/{device_id}", Device)

    # -- sync -------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResponse:
        """Push one batch of this device's events."""
        return await self._json("POST", "/api/v1/sync/push", PushResponse, body=request)

    async def pull(self, after: int, limit: int, known_size: int | None) -> PullResponse:
        """Ledger entries after ``after``, with a consistency proof from ``known_size``."""
        params: dict[str, int] = {"after": after, "limit": limit}
        if known_size is not None:
            params["known_size"] = known_size
        return await self._json("GET", "/api/v1/sync/pull", PullResponse, params=params)

    async def snapshot(
        self, at: int | None = None, cursor: str | None = None, limit: int = 500
    ) -> SnapshotPage:
        """One page of the organization's projections at ledger index ``at``."""
        params: dict[str, Any] = {"limit": limit}
        if at is not None:
            params["at"] = at
        if cursor is not None:
            params["cursor"] = cursor
        return await self._json("GET", "/api/v1/sync/snapshot", SnapshotPage, params=params)

    async def upload_cosignatures(self, upload: CosignatureUpload) -> CosignatureUploadResponse:
        """Send checkpoints this device verified and cosigned (witnesses)."""
        return await self._json(
            "POST", "/api/v1/sync/cosignatures", CosignatureUploadResponse, body=upload
        )

    # -- blobs ------------------------------------------------------------------------------

    async def blob_status(self, sha256: str) -> BlobStatus:
        """How much of a blob the server holds."""
        return await self._json("GET", f"/api/v1/blobs/{sha256}/status", BlobStatus)

    async def put_blob_chunk(self, sha256: str, data: bytes, start: int, total: int) -> BlobStatus:
        """Upload bytes ``start..start+len(data)-1`` of a blob of ``total`` bytes."""
        end = start + len(data) - 1
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{end}/{total}",
        }
        response = await self._send("PUT", f"/api/v1/blobs/{sha256}", content=data, headers=headers)
        return parse_answer(BlobStatus, response.content)

    async def get_blob_part(self, sha256: str, start: int, length: int) -> BlobPart:
        """Up to ``length`` bytes of a blob from ``start``, or the whole blob from 0 when the
        server ignores the range."""
        wanted = {"Range": f"bytes={start}-{start + length - 1}"}
        response = await self._send("GET", f"/api/v1/blobs/{sha256}", headers=wanted)
        if response.status_code != 206:
            return BlobPart(response.content, 0, len(response.content))
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if match is None or int(match[2]) - int(match[1]) + 1 != len(response.content):
            raise PermanentSyncError(
                "The server sent part of a photo or signature without saying which part.",
                status=206,
                code="BAD_RESPONSE",
                hint="The server may run another version of SiteSync; ask its administrator.",
            )
        return BlobPart(response.content, int(match[1]), int(match[3]))

    # -- ledger -----------------------------------------------------------------------------

    async def checkpoint(self) -> SignedCheckpoint:
        """The latest signed checkpoint."""
        return await self._json("GET", "/api/v1/ledger/checkpoint", SignedCheckpoint)

    async def ledger_keys(self) -> list[LedgerKey]:
        """Every key that signs or signed checkpoints."""
        response = await self._send("GET", "/api/v1/ledger/keys", auth=False)
        return parse_answer(_KEYS, response.content)

    async def inclusion_proof(
        self, ledger_index: int, tree_size: int | None = None
    ) -> InclusionProof:
        """Proof that entry ``ledger_index`` is in the tree of ``tree_size`` (default latest)."""
        params: dict[str, int] = {"ledger_index": ledger_index}
        if tree_size is not None:
            params["tree_size"] = tree_size
        return await self._json(
            "GET", "/api/v1/ledger/proofs/inclusion", InclusionProof, params=params
        )

    async def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof:
        """Proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
        params: dict[str, int] = {"old_size": old_size}
        if new_size is not None:
            params["new_size"] = new_size
        return await self._json(
            "GET", "/api/v1/ledger/proofs/consistency", ConsistencyProof, params=params
        )

    # -- plumbing ---------------------------------------------------------------------------

    async def _json[M: BaseModel](
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None = None,
        params: Mapping[str, Any] | None = None,
        auth: bool = True,
    ) -> M:
        response = await self._send(method, path, body=body, params=params, auth=auth)
        return parse_answer(model, response.content)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        sent_headers = dict(headers or {})
        if body is not None:
            content = body.model_dump_json(exclude_none=True).encode("utf-8")
            sent_headers["Content-Type"] = "application/json"
        if auth and self._token is not None:
            sent_headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = await self._client.request(
                method, path, content=content, params=params, headers=sent_headers
            )
        except httpx.TimeoutException as exc:
            raise TransientSyncError(
                f"The server at {self.base_url} did not answer in time ({type(exc).__name__}).",
                hint="Sync retries by itself; check the network if it keeps failing.",
            ) from exc
        except httpx.TransportError as exc:
            why = str(exc) or type(exc).__name__
            raise TransientSyncError(
                f"Could not reach the server at {self.base_url} ({why}).",
                hint="You are probably offline; your work is kept and sync retries by itself.",
            ) from exc
        self._note_clock(response)
        if response.is_success:
            return response
        raise error_from_response(response)

    def _note_clock(self, response: httpx.Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        # the Date header has whole seconds: take the middle of that second
        local = datetime.fromtimestamp(time.time() - 0.5, UTC)
        self._clock = ServerClock(server, local)
