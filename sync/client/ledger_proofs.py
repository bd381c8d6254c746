"""Inclusion proofs asked of the server through a session that is already signed in.

An app that syncs holds one sign-in: its token manager keeps the access token fresh and rotates
the refresh token. Anything else that needs the server (an evidence bundle's proofs) goes through
that same session; a second sign-in would rotate the refresh token behind the first one's back,
which the server takes for a stolen token.
"""

from __future__ import annotations

from sync.client.api import SyncApi
from sync.client.engine import AccessTokens
from sync.client.errors import AuthExpiredError
from sync.protocol import InclusionProof


class SessionProofs:
    """``inclusion_proof`` on the session's client, with the session's own access token."""

    def __init__(self, api: SyncApi, tokens: AccessTokens) -> None:
        self._api = api
        self._tokens = tokens

    async def inclusion_proof(
        self, ledger_index: int, tree_size: int | None = None
    ) -> InclusionProof:
        """The server's proof of one ledger entry; refreshes once if the token was refused."""
        token = await self._tokens.access_token()
        self._api.set_access_token(token)
        try:
            return await self._api.inclusion_proof(ledger_index, tree_size)
        except AuthExpiredError:
            self._api.set_access_token(await self._tokens.after_rejection(token))
            return await self._api.inclusion_proof(ledger_index, tree_size)
