"""A hand-written ``SyncApi`` for engine tests: an empty ledger that answers pushes in order.

Failures are scripted per method (``fail``); every request is recorded (``calls``).
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from app.audit.checkpoint import Checkpoint, sign_checkpoint
from app.audit.merkle import EMPTY_ROOT
from app.audit.signing import Ed25519Signer
from sync.client.api import BlobPart, ServerClock
from sync.protocol import (
    BlobStatus,
    ConsistencyProof,
    CosignatureResult,
    CosignatureUpload,
    CosignatureUploadResponse,
    Device,
    DeviceRegistration,
    EventResult,
    EventStatus,
    InclusionProof,
    LedgerKey,
    Me,
    PullResponse,
    PushRequest,
    PushResponse,
    SignedCheckpoint,
    SnapshotPage,
    TokenPair,
)

KEY_NAME: Final = "fake.example"
ORIGIN: Final = "fake.example/ledger"


class FakeSyncApi:
    """An empty ledger: pushes are answered accepted (or as ``rejected`` says), pulls are empty."""

    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.calls: list[str] = []
        self.pushed: list[PushRequest] = []
        self.cosigned: list[str] = []
        self.tokens: list[str | None] = []
        self.failures: dict[str, deque[Exception]] = defaultdict(deque)
        self.rejected: dict[str, str] = {}
        """event_id -> reason for pushed events to answer rejected."""
        self.clock_offset = timedelta(0)
        self.pull_answer: PullResponse | None = None
        """What ``pull`` answers instead of an empty page (e.g. a forged history)."""
        self._clock: ServerClock | None = None
        self._token: str | None = None
        self._index = 0

    def fail(self, method: str, *errors: Exception) -> None:
        """Raise ``errors`` from the next calls of ``method``, one per call."""
        self.failures[method].extend(errors)

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        self.tokens.append(self._token)
        now = datetime.now(UTC)
        self._clock = ServerClock(now + self.clock_offset, now)
        if self.failures[method]:
            raise self.failures[method].popleft()

    def checkpoint_model(self, size: int = 0, root: bytes = EMPTY_ROOT) -> SignedCheckpoint:
        """A checkpoint of ``size`` and ``root``, signed with this fake's ledger key."""
        note = sign_checkpoint(Checkpoint(ORIGIN, size, root), KEY_NAME, self.signer)
        return SignedCheckpoint(origin=ORIGIN, size=size, root_hash=root, note=note)

    @property
    def clock(self) -> ServerClock | None:
        return self._clock

    def set_access_token(self, token: str | None) -> None:
        self._token = token

    async def token(self, email: str, password: str) -> TokenPair:
        raise NotImplementedError

    async def refresh(self, refresh_token: str) -> TokenPair:
        raise NotImplementedError

    async def logout(self, refresh_token: str) -> None:
        raise NotImplementedError

    async def me(self) -> Me:
        raise NotImplementedError

    async def register_device(self, registration: DeviceRegistration) -> Device:
        raise NotImplementedError

    async def devices(self) -> list[Device]:
        raise NotImplementedError

    async def device(self, device_id: UUID) -> Device:
        raise NotImplementedError

    async def push(self, request: PushRequest) -> PushResponse:
        self._enter("push")
        self.pushed.append(request)
        results = []
        for wire in request.events:
            body = json.loads(wire.canonical)
            self._index += 1
            reason = self.rejected.get(body["event_id"])
            results.append(
                EventResult(
                    event_id=UUID(body["event_id"]),
                    device_seq=body["device_seq"],
                    status=EventStatus.REJECTED if reason else EventStatus.ACCEPTED,
                    ledger_index=self._index,
                    reason=reason,
                )
            )
        return PushResponse(
            results=results,
            checkpoint=self.checkpoint_model(),
            server_time=datetime.now(UTC),
        )

    async def pull(self, after: int, limit: int, known_size: int | None) -> PullResponse:
        self._enter("pull")
        if self.pull_answer is not None:
            return self.pull_answer
        return PullResponse(
            entries=[], checkpoint=self.checkpoint_model(), next_after=after, more=False
        )

    async def snapshot(
        self, at: int | None = None, cursor: str | None = None, limit: int = 500
    ) -> SnapshotPage:
        raise NotImplementedError

    async def upload_cosignatures(self, upload: CosignatureUpload) -> CosignatureUploadResponse:
        self._enter("cosignatures")
        self.cosigned.extend(upload.notes)
        return CosignatureUploadResponse(
            results=[CosignatureResult(tree_size=None, stored=True) for _ in upload.notes]
        )

    async def blob_status(self, sha256: str) -> BlobStatus:
        raise NotImplementedError

    async def put_blob_chunk(self, sha256: str, data: bytes, start: int, total: int) -> BlobStatus:
        raise NotImplementedError

    async def get_blob_part(self, sha256: str, start: int, length: int) -> BlobPart:
        raise NotImplementedError

    async def checkpoint(self) -> SignedCheckpoint:
        return self.checkpoint_model()

    async def ledger_keys(self) -> list[LedgerKey]:
        raise NotImplementedError

    async def inclusion_proof(
        self, ledger_index: int, tree_size: int | None = None
    ) -> InclusionProof:
        raise NotImplementedError

    async def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> ConsistencyProof:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


class CountingTokens:
    """``AccessTokens`` handing out token-1, token-2... (a refresh moves to the next)."""

    def __init__(self) -> None:
        self.issued = 1
        self.refreshes = 0

    async def access_token(self) -> str:
        return f"token-{self.issued}"

    async def after_rejection(self, rejected: str) -> str:
        assert rejected == f"token-{self.issued}", "the rejected token is the one in use"
        self.refreshes += 1
        self.issued += 1
        return f"token-{self.issued}"
