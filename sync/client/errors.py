"""What can go wrong talking to the server, sorted by what the caller should do next.

- ``TransientSyncError``: the network, a timeout, 5xx, 429: retry later (with backoff).
- ``AuthExpiredError``: 401: refresh the token or sign in again, then retry.
- ``UpdateRequiredError``: 426: this app is too old for the server; the queue is kept.
- ``PermanentSyncError``: another 4xx with the server's error envelope: retrying the same
  request gives the same answer. ``IntegrityError`` is the kind that means data was refused
  on verification (a forked chain, bytes that do not match, a bad proof) and stops sync.
"""

from __future__ import annotations

from app.domain.errors import SiteSyncError


class SyncError(SiteSyncError):
    """Base of every sync failure."""

    retryable: bool = False


class TransientSyncError(SyncError):
    """The server could not be reached or answered "later": retry with backoff."""

    retryable = True

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after
        """Seconds the server asked to wait (``Retry-After``), when it said."""


class AuthExpiredError(SyncError):
    """The access token is missing, expired or revoked: refresh it or sign in again."""


class UpdateRequiredError(SyncError):
    """The server no longer accepts this app's protocol version (426)."""


class PermanentSyncError(SyncError):
    """The server refused the request; sending it again gives the same answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        hint: str | None = None,
        expected_device_seq: int | None = None,
        event_id: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.expected_device_seq = expected_device_seq
        self.event_id = event_id
        self.rule = rule


class IntegrityError(SyncError):
    """Data failed verification (ours refused by the server, or the server's by us): sync stops.

    Local data is always kept; the message names the first bad item and the rule it broke.
    """
