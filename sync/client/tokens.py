"""The access token in memory, refreshed one refresh at a time.

``TokenManager.access_token`` hands out the current access token, refreshing it shortly before it
expires. Concurrent callers share one refresh (they all wait for the same answer), so a rotating
refresh token is never spent twice. A refresh token the server no longer accepts (expired,
revoked, its family ended) turns into ``SignInRequired`` ("Sign in to sync"): it stops sync
only; local work goes on and pending events stay in the store for the next sign-in. A network
failure during a refresh keeps the refresh token (the server's grace window answers a retry with
the same new pair if the first answer was lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from sync.client.credentials import TokenVault
from sync.client.errors import AuthExpiredError, PermanentSyncError
from sync.protocol import TokenPair

REFRESH_LEEWAY_SECONDS: Final = 60.0
"""Refresh this long before the access token expires, so a request never carries a dying one."""


class AuthApi(Protocol):
    """The sign-in part of ``sync.client.api.SyncApi``."""

    def set_access_token(self, token: str | None) -> None: ...

    async def token(self, email: str, password: str) -> TokenPair: ...

    async def refresh(self, refresh_token: str) -> TokenPair: ...

    async def logout(self, refresh_token: str) -> None: ...


class SignInRequired(AuthExpiredError):
    """No usable sign-in: sync waits for the user to sign in; work and pending events are kept."""

    code = "SIGN_IN_REQUIRED"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Sign in to sync" + (f": {detail}" if detail else "."),
            hint="Sign in again (your work is kept; events waiting to sync upload after you "
            "sign in).",
        )


class WrongCredentials(SignInRequired):
    """The server refused the e-mail and password."""

    code = "WRONG_CREDENTIALS"

    def __init__(self) -> None:
        AuthExpiredError.__init__(
            self,
            "The e-mail or password is wrong (or the account is disabled).",
            hint="Check them and sign in again.",
        )


class SessionState(StrEnum):
    SIGNED_OUT = "signed_out"
    """Never signed in in this process, and no refresh token kept."""
    SIGNED_IN = "signed_in"
    SIGN_IN_REQUIRED = "sign_in_required"
    """The server refused the refresh token: the user must sign in again to sync."""


@dataclass(slots=True)
class _Access:
    token: str
    expires_at: float
    """On the monotonic clock (the device's wall clock is not trusted for token lifetimes)."""


class TokenManager:
    """One sign-in's tokens: the access token in memory, the refresh token in its vault."""

    def __init__(
        self,
        api: AuthApi,
        vault: TokenVault,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        leeway: float = REFRESH_LEEWAY_SECONDS,
    ) -> None:
        self._api = api
        self._vault = vault
        self._now = monotonic
        self._leeway = leeway
        self._access: _Access | None = None
        self._refreshing: asyncio.Task[str] | None = None
        self._refused = False
        self.refreshes = 0
        """How many refreshes reached the server (for status and tests)."""

    @property
    def state(self) -> SessionState:
        if self._refused:
            return SessionState.SIGN_IN_REQUIRED
        if self._access is not None or self._vault.load() is not None:
            return SessionState.SIGNED_IN
        return SessionState.SIGNED_OUT

    async def sign_in(self, email: str, password: str) -> TokenPair:
        """Sign in online; the new pair replaces any earlier sign-in."""
        try:
            pair = await self._api.token(email, password)
        except AuthExpiredError:
            raise WrongCredentials() from None
        self._accept(pair)
        return pair

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        access = self._access
        if access is not None and self._now() < access.expires_at - self._leeway:
            return access.token
        return await self._refresh(None if access is None else access.token)

    async def after_rejection(self, rejected: str) -> str:
        """A fresh token after the server refused ``rejected`` (401): refresh once, retry once.

        Callers whose token was already replaced get the replacement without a new refresh.
        """
        return await self._refresh(rejected)

    async def sign_out(self) -> None:
        """End the sign-in here and (when reachable) on the server; local data is untouched."""
        refresh = self._vault.load()
        self._forget()
        self._refused = False
        if refresh is not None:
            # already ended on the server: nothing left to end; a network failure propagates
            # (the token is gone here, and the server ends its family in time)
            with suppress(AuthExpiredError, PermanentSyncError):
                await self._api.logout(refresh)

    def _forget(self) -> None:
        self._access = None
        self._api.set_access_token(None)
        self._vault.clear()

    def _accept(self, pair: TokenPair) -> None:
        self._refused = False
        self._access = _Access(pair.access_token, self._now() + pair.expires_in)
        self._api.set_access_token(pair.access_token)
        self._vault.save(pair.refresh_token)

    async def _refresh(self, stale: str | None) -> str:
        current = self._access
        if current is not None and current.token != stale and self._now() < current.expires_at:
            return current.token  # another caller refreshed meanwhile
        if self._refreshing is None:
            self._refreshing = asyncio.create_task(self._do_refresh())
            self._refreshing.add_done_callback(self._refresh_done)
        return await asyncio.shield(self._refreshing)

    def _refresh_done(self, task: asyncio.Task[str]) -> None:
        if self._refreshing is task:
            self._refreshing = None
        if not task.cancelled():
            task.exception()  # retrieved here too, so an unawaited failure is never logged

    async def _do_refresh(self) -> str:
        if self._refused:
            raise SignInRequired()
        refresh = self._vault.load()
        if refresh is None:
            self._refused = self._access is not None
            raise SignInRequired()
        self.refreshes += 1
        try:
            pair = await self._api.refresh(refresh)
        except AuthExpiredError as exc:
            self._forget()
            self._refused = True
            raise SignInRequired("the sign-in has expired or was ended") from exc
        self._accept(pair)
        return pair.access_token
