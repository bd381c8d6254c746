"""Request body limits, enforced before a route reads anything (413 in the error envelope).

A declared ``Content-Length`` over the limit is refused at once; a body sent without one is
counted as it streams and refused as soon as it passes the limit, so memory stays bounded.
Blob uploads have their own, larger limit (one chunk).
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BLOB_PREFIX: Final = "/api/v1/blobs/"


class BodyTooLarge(Exception):
    """The streamed body passed its limit."""


class BodyLimit:
    """ASGI middleware: bodies up to ``default`` bytes, ``blobs`` under ``BLOB_PREFIX``."""

    def __init__(self, app: ASGIApp, *, default: int, blobs: int) -> None:
        self.app = app
        self.default = default
        self.blobs = blobs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.blobs if path.startswith(BLOB_PREFIX) else self.default
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    body: dict[str, Any] = {
        "error": {
            "code": "TOO_LARGE",
            "message": f"The request body is larger than the limit of {limit} bytes.",
            "hint": "Send fewer events per batch, or upload large files in chunks.",
        }
    }
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": data})
