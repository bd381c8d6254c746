"""The server's answers as the client reads them: a model, or the sync error to act on.

Each failure becomes one of the errors in ``sync.client.errors``, so a caller knows whether to
retry (``TransientSyncError``), sign in again (``AuthExpiredError``), stop and ask for an
update (``UpdateRequiredError``) or stop on that request (``PermanentSyncError``).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Final

import httpx
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from app.domain.wording import plural
from sync.client.errors import (
    AuthExpiredError,
    PermanentSyncError,
    TransientSyncError,
    UpdateRequiredError,
)
from sync.protocol import ErrorResponse


def parse_answer[M](model: type[M] | TypeAdapter[M], content: bytes) -> M:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_json(content)
        return model.model_validate_json(content)  # type: ignore[attr-defined,no-any-return]
    except PydanticValidationError as exc:
        raise PermanentSyncError(
            f"The server's answer could not be read ({plural(exc.error_count(), 'problem')}: "
            f"{exc.errors()[0]['msg']}).",
            status=200,
            code="BAD_RESPONSE",
            hint="The server may run another version of SiteSync; ask its administrator.",
        ) from exc


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_response(response: httpx.Response) -> Exception:
    """The ``sync.client.errors`` error for a failed answer."""
    status = response.status_code
    try:
        body = ErrorResponse.model_validate_json(response.content).error
    except PydanticValidationError:
        return _foreign_answer(response)
    message, code, hint = body.message, body.code, body.hint
    if status == 429 or status >= 500:
        return TransientSyncError(
            message,
            hint=hint or "Sync retries by itself in a moment.",
            retry_after=retry_after(response),
        )
    if status == 401:
        return AuthExpiredError(message, hint=hint or "Sign in again to sync.")
    if status == 426:
        return UpdateRequiredError(
            message, hint=hint or "Install the current version of SiteSync; your work is kept."
        )
    return PermanentSyncError(
        message,
        status=status,
        code=code or f"HTTP_{status}",
        hint=hint,
        expected_device_seq=body.expected_device_seq,
        event_id=body.event_id,
        rule=body.rule,
    )


_PASSING_TROUBLE: Final = frozenset({429, 500, 502, 503, 504})
"""Statuses a proxy in front of a restarting server answers: worth trying again."""


def _foreign_answer(response: httpx.Response) -> Exception:
    """An answer without SiteSync's error envelope: from a proxy, or not a SiteSync server.

    What it says (often a page of HTML) is not shown: it would not help, and it would fill the
    sync status.
    """
    status = response.status_code
    where = f"{response.url.scheme}://{response.url.netloc.decode('ascii', 'replace')}"
    what = f"{status} {response.reason_phrase}".strip()
    if status in _PASSING_TROUBLE:
        return TransientSyncError(
            f"The server at {where} is not available right now ({what}).",
            hint="Sync retries by itself in a moment.",
            retry_after=retry_after(response),
        )
    return PermanentSyncError(
        f"{where} answered {what}, which is not how a SiteSync server answers.",
        status=status,
        code=f"HTTP_{status}",
        hint="Check the server address with your administrator (e.g. https://sync.example.com).",
    )
