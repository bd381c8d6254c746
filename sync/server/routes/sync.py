"""``/api/v1/sync``: push, pull and snapshot, for devices speaking the sync protocol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError as PydanticValidationError

from sync.protocol import (
    ACCEPTED_PROTOCOL_VERSIONS,
    MAX_INDEX,
    MAX_PULL_LIMIT,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    CosignatureUpload,
    CosignatureUploadResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    SnapshotPage,
)
from sync.server import ingest, reads, snapshot, witnesses
from sync.server.deps import ClaimsDep, ReadingDep, StateDep
from sync.server.errors import ApiError, responses


async def protocol_version(
    version: Annotated[
        str | None,
        Header(
            alias=PROTOCOL_HEADER,
            description=f"The device's protocol version (this server: {PROTOCOL_VERSION}).",
        ),
    ] = None,
) -> int:
    """The device's protocol version; 426 unless this server accepts it."""
    accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
    if (
        version is not None
        and version.strip().isdigit()
        and int(version) > max(ACCEPTED_PROTOCOL_VERSIONS)
    ):
        raise ApiError(
            426,
            "UPGRADE_REQUIRED",
            f"This device speaks sync protocol {int(version)}, newer than this server's "
            f"{accepted}. Your unsent work is kept.",
            hint="Ask the server's administrator to update it, then sync again.",
        )
    if (
        version is None
        or not version.strip().isdigit()
        or int(version) not in ACCEPTED_PROTOCOL_VERSIONS
    ):
        raise ApiError(
            426,
            "UPGRADE_REQUIRED",
            f"This server speaks sync protocol {accepted}; this device sent "
            f"{version or 'none'}. Update SiteSync to sync; your unsent work is kept.",
            hint="Install the current version of SiteSync, then sync again.",
        )
    return int(version)


router = APIRouter(prefix="/api/v1/sync", tags=["sync"], dependencies=[Depends(protocol_version)])


@router.post(
    "/push",
    response_model=PushResponse,
    responses=responses(400, 401, 403, 404, 409, 413, 422, 426),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}
            },
        }
    },
)
async def push(request: Request, claims: ClaimsDep, state: StateDep) -> Response:
    """Append a device's events (contiguous by device_seq) to the organization's ledger.

    The body is parsed straight from its bytes and the answer serialized once: a push
    carries up to a megabyte of events.
    """
    try:
        body = PushRequest.model_validate_json(await request.body())
    except PydanticValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    result = await ingest.push(state, claims, body)
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/pull", response_model=PullResponse, responses=responses(401, 409, 422, 426))
async def pull(
    reading: ReadingDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_INDEX, description="A tree size: entries after it")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = reads.DEFAULT_PULL_LIMIT,
    known_size: Annotated[
        int | None,
        Query(ge=0, le=MAX_INDEX, description="The tree size of your last verified checkpoint"),
    ] = None,
) -> PullResponse:
    """Ledger entries after ``after``, with the checkpoint and a consistency proof."""
    return await reads.pull(reading.conn, reading.state, reading.org, after, limit, known_size)


@router.get("/snapshot", response_model=SnapshotPage, responses=responses(401, 404, 422, 426))
async def get_snapshot(
    reading: ReadingDep,
    at: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="Ledger index (default: latest)")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
) -> SnapshotPage:
    """The organization's projections at one ledger index, page by page."""
    return await snapshot.page(reading.conn, reading.state, reading.org, at, cursor, limit)


@router.post(
    "/cosignatures",
    response_model=CosignatureUploadResponse,
    responses=responses(400, 401, 403, 404, 413, 422, 426),
)
async def cosignatures(
    upload: CosignatureUpload, claims: ClaimsDep, state: StateDep
) -> CosignatureUploadResponse:
    """Keep the checkpoints this device verified and cosigned (C2SP cosignature/v1).

    Each note is the server's signed checkpoint with the device's cosignature line added; the
    answer says, per note, whether it was kept and if not why. A cosigned root that differs
    from the ledger's raises an alarm for the administrators.
    """
    return await witnesses.store_cosignatures(state, claims, upload)
