"""A hand-written sign-in server behind ``sync.client.tokens.AuthApi``: rotating refresh
tokens, a way to end them, and a gate that holds refreshes so tests can pile callers up."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from sync.client.errors import AuthExpiredError, TransientSyncError
from sync.protocol import TokenPair


class FakeAuthServer:
    """Issues token pairs; a used refresh token is rotated away."""

    def __init__(self, *, password: str = "correct horse battery", expires_in: int = 900) -> None:
        self.password = password
        self.expires_in = expires_in
        self.live_refresh: set[str] = set()
        self.refresh_calls = 0
        self.logged_out: list[str] = []
        self.gate: asyncio.Event | None = None
        """When set (cleared), refreshes wait for it: concurrent callers pile up."""
        self.offline = False
        self.sent_token: str | None = None
        self._serial = itertools.count(1)

    def _pair(self) -> TokenPair:
        n = next(self._serial)
        refresh = f"refresh-{n}"
        self.live_refresh.add(refresh)
        return TokenPair(
            access_token=f"access-{n}",
            expires_in=self.expires_in,
            refresh_token=refresh,
            refresh_expires_at=datetime.now(UTC) + timedelta(days=7),
        )

    def end_every_sign_in(self) -> None:
        """What an expired or revoked refresh family looks like to the device."""
        self.live_refresh.clear()

    # -- AuthApi ---------------------------------------------------------------------------

    def set_access_token(self, token: str | None) -> None:
        self.sent_token = token

    async def token(self, email: str, password: str) -> TokenPair:
        if self.offline:
            raise TransientSyncError("The server cannot be reached.")
        if password != self.password:
            raise AuthExpiredError("Wrong e-mail or password.")
        return self._pair()

    async def refresh(self, refresh_token: str) -> TokenPair:
        self.refresh_calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.offline:
            raise TransientSyncError("The server cannot be reached.")
        if refresh_token not in self.live_refresh:
            raise AuthExpiredError("The refresh token is not valid.")
        self.live_refresh.discard(refresh_token)
        return self._pair()

    async def logout(self, refresh_token: str) -> None:
        if self.offline:
            raise TransientSyncError("The server cannot be reached.")
        self.live_refresh.discard(refresh_token)
        self.logged_out.append(refresh_token)
