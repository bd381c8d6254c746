"""``/api/v1/blobs/{sha256}``: content-addressed photos, signatures and documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from sync.protocol import BlobStatus
from sync.server import blobs
from sync.server.deps import PrincipalDep, StateDep
from sync.server.errors import responses

router = APIRouter(prefix="/api/v1/blobs", tags=["blobs"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.put(
    "/{sha256}",
    response_model=BlobStatus,
    status_code=201,
    openapi_extra=_BODY,
    responses=responses(
        401,
        413,
        416,
        422,
        ok={200: ("Already stored", BlobStatus), 202: ("Chunk received", BlobStatus)},
    ),
)
async def put_blob(
    sha256: str,
    request: Request,
    principal: PrincipalDep,
    state: StateDep,
    content_range: Annotated[str | None, Header(description="bytes START-END/TOTAL")] = None,
) -> JSONResponse:
    """Upload a blob whole, or one chunk of it with Content-Range (resumable)."""
    data = await request.body()
    found, created = await blobs.put(state, principal.organization_id, sha256, data, content_range)
    code = 201 if created else (200 if found.complete else 202)
    return JSONResponse(found.model_dump(mode="json"), status_code=code)


_BYTES: dict[str, Any] = {"content": {"application/octet-stream": {}}}


@router.get(
    "/{sha256}",
    response_class=Response,
    responses=responses(401, 404, 416, 422)
    | {
        200: {**_BYTES, "description": "The blob's bytes"},
        206: {**_BYTES, "description": "The bytes the Range header asked for"},
    },
)
async def get_blob(
    sha256: str,
    principal: PrincipalDep,
    state: StateDep,
    range_: Annotated[
        str | None,
        Header(alias="Range", description="bytes=START- to resume a download (one range)"),
    ] = None,
) -> Response:
    """A blob's bytes: whole, or from where an interrupted download stopped."""
    found = await blobs.get(state, principal.organization_id, sha256, range_)
    headers = {"Cache-Control": "private, max-age=31536000, immutable", "Accept-Ranges": "bytes"}
    if found.partial:
        headers["Content-Range"] = found.content_range
    return Response(
        found.data,
        status_code=206 if found.partial else 200,
        media_type="application/octet-stream",
        headers=headers,
    )


@router.get("/{sha256}/status", response_model=BlobStatus, responses=responses(401, 422))
async def blob_status(sha256: str, principal: PrincipalDep, state: StateDep) -> BlobStatus:
    """How much of a blob the server has (where to resume an upload)."""
    return await blobs.status(state, principal.organization_id, sha256)
