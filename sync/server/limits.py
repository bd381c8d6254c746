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
        blob = path.startswith(BLOB_PREFIX)
        limit = self.blobs if blob else self.default
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit, blob=blob)
            return
        received = 0
        started = False
        exceeded = False

        async def counting() -> Message:
            nonlocal received, started, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer 413 now and tell the app the client left: whatever it makes of
                    # that (a parse error, a fault) is not sent.
                    exceeded = True
                    if not started:
                        started = True
                        await _too_large(send, limit, blob=blob)
                    return {"type": "http.disconnect"}
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except Exception:
            if not exceeded:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int, *, blob: bool) -> None:
    body: dict[str, Any] = {
        "error": {
            "code": "TOO_LARGE",
            "message": f"The request body is larger than the limit of {limit} bytes.",
            "hint": "Upload files in chunks of at most this size."
            if blob
            else "Send fewer events per batch, or a smaller request.",
        }
    }
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": data})
