"""Errors as the API answers them: one envelope, a status per kind, never a stack trace.

``{"error": {"code": "...", "message": "...", "hint": "..."}}`` for every error a route, a
dependency, the framework or the database raises. Unexpected exceptions are logged with their
traceback on the server and answer 500 with a plain message; a database that cannot be
reached answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.errors import AuditError
from app.domain.errors import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    SiteSyncError,
    ValidationError,
)
from sync.protocol import ErrorBody, ErrorResponse

log = logging.getLogger("sitesync.server")

RETRY_AFTER_UNAVAILABLE: Final = 5


class ApiError(Exception):
    """An error with its HTTP status, stable code and message for a person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> ErrorResponse:
        """The envelope of this error."""
        return ErrorResponse(
            error=ErrorBody(code=self.code, message=self.message, hint=self.hint, **self.extra)
        )


def not_found(what: str) -> ApiError:
    """404 for a record that does not exist or belongs to another organization."""
    return ApiError(404, "NOT_FOUND", f"The {what} was not found.")


def unauthorized() -> ApiError:
    """401 without detail (forged, expired, wrong audience: all look the same)."""
    return ApiError(
        401,
        "UNAUTHORIZED",
        "Sign in again: the access token is missing, invalid or expired.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def forbidden(message: str, hint: str | None = None) -> ApiError:
    return ApiError(403, "FORBIDDEN", message, hint=hint)


def envelope(
    status: int,
    code: str,
    message: str,
    *,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response holding the error envelope."""
    return _respond(ApiError(status, code, message, hint=hint, headers=headers))


def _respond(error: ApiError) -> JSONResponse:
    content = error.body().model_dump(mode="json", exclude_none=True)
    return JSONResponse(content, status_code=error.status, headers=error.headers)


_DOMAIN_STATUS: Final = (
    (NotFoundError, 404),
    (AuthorizationError, 403),
    (ValidationError, 422),
    (ConflictError, 409),
)


def domain_error(exc: SiteSyncError) -> ApiError:
    """The API error of a domain error raised by a service."""
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
    field = exc.field if isinstance(exc, ValidationError) else None
    return ApiError(status, exc.code, exc.message, hint=exc.hint, field=field)


_MALFORMED: Final = "The request body is not valid JSON (UTF-8)."
_NOT_AN_OBJECT: Final = ("dict_type", "model_type", "model_attributes_type")


def _validation_error(errors: Iterable[Mapping[str, Any]]) -> ApiError:
    """The envelope of what FastAPI found wrong in a request: the first problems, the first
    field named."""
    items = list(errors)
    if any(item.get("type") == "json_invalid" for item in items):
        return ApiError(400, "MALFORMED_JSON", _MALFORMED, hint="Send a JSON object in UTF-8.")
    if any(item.get("loc") == ("body",) and item.get("type") in _NOT_AN_OBJECT for item in items):
        return ApiError(
            422,
            "VALIDATION_ERROR",
            "The request body must be a JSON object.",
            hint="Send the fields this route takes as one JSON object "
            "(Content-Type: application/json).",
        )
    parts = []
    fields = []
    for item in items[:5]:
        names = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(names) or "request"
        fields.append(".".join(names))
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    more = f" (and {len(items) - 5} more)" if len(items) > 5 else ""
    return ApiError(
        422,
        "VALIDATION_ERROR",
        "; ".join(parts) + more,
        hint="Correct the value named and send the request again.",
        field=next((f for f in fields if f), None),
    )


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, OSError | asyncpg.PostgresConnectionError | asyncpg.CannotConnectNowError):
        return True
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.ConnectionDoesNotExistError):
        return True
    if isinstance(exc, InterfaceError | OperationalError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or _is_unavailable_cause(exc)
    return False


def _is_unavailable_cause(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and _is_unavailable(cause)


def _is_retryable(exc: BaseException) -> bool:
    kinds = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
    return isinstance(exc, kinds) or isinstance(exc.__cause__, kinds)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the envelope."""

    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _respond(exc)

    async def domain(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SiteSyncError)
        return _respond(domain_error(exc))

    async def audit(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AuditError)
        return _respond(ApiError(422, "INTEGRITY_ERROR", exc.message, rule=str(exc.rule)))

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _respond(_validation_error(exc.errors()))

    async def http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}
        code = codes.get(exc.status_code, "HTTP_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "The request was refused."
        if exc.status_code == 404:
            message = "There is nothing at this address."
        if exc.status_code == 400 and message == "There was an error parsing the body":
            code, message = "MALFORMED_JSON", _MALFORMED  # not UTF-8: FastAPI's own words
        return envelope(exc.status_code, code, message, headers=exc.headers)

    async def bad_value(_request: Request, exc: Exception) -> JSONResponse:
        return envelope(
            422,
            "VALIDATION_ERROR",
            "A value in the request cannot be stored (out of range or an invalid character).",
            hint="Check numbers and remove control characters such as NUL.",
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(SiteSyncError, domain)
    app.add_exception_handler(AuditError, audit)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(asyncpg.DataError, bad_value)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_middleware(CatchAll)


def unexpected(exc: Exception, method: str, path: str) -> JSONResponse:
    """The answer to an exception no handler knows: 422, 503 or 500, never a traceback."""
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, asyncpg.DataError):
        return envelope(
            422,
            "VALIDATION_ERROR",
            "A value in the request cannot be stored (out of range or an invalid character).",
            hint="Check numbers and remove control characters such as NUL.",
        )
    if _is_unavailable(exc) or _is_retryable(exc):
        log.warning("database unavailable for %s %s: %r", method, path, exc)
        return envelope(
            503,
            "UNAVAILABLE",
            "The database is not reachable right now; nothing was changed.",
            hint="Try again in a few seconds.",
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        )
    log.error("unexpected error in %s %s", method, path, exc_info=exc)
    return envelope(
        500,
        "INTERNAL_ERROR",
        "Something went wrong on the server; the error was logged.",
        hint="Try again; if it keeps happening, tell your administrator.",
    )


class CatchAll:
    """ASGI middleware answering any exception the handlers let through, then carrying on.

    (An ``Exception`` handler would answer too, but Starlette raises the exception again
    afterwards and the server then drops the client's keep-alive connection.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise
            response = unexpected(exc, scope.get("method", ""), scope.get("path", ""))
            await response(scope, receive, send)


def responses(
    *statuses: int, ok: dict[int, tuple[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer (envelope schema).

    ``ok`` adds other success answers: ``{status: (description, model or None)}``.
    """
    found: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(status, "Error")}
        for status in sorted(set(statuses))
    }
    for status, (description, model) in (ok or {}).items():
        found[status] = {"description": description} | ({"model": model} if model else {})
    return found


_DESCRIPTIONS: Final = {
    400: "Malformed request (not JSON, bad UTF-8)",
    401: "Not signed in, or the token is invalid or expired",
    403: "Signed in, but the role or device may not do this",
    404: "Not found (or belongs to another organization)",
    409: "Conflicts with the current state",
    413: "Too large: body, batch or blob over its limit",
    415: "Unsupported content type",
    416: "Range outside the blob (an upload chunk, or a download past its end)",
    422: "Invalid input, or an event that breaks an integrity rule",
    426: "Protocol version no longer accepted: update required",
    429: "Too many attempts: retry after Retry-After seconds",
    503: "The database is unreachable: retry after Retry-After seconds",
}
