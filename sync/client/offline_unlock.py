"""Offline unlock: after an online sign-in, the store keeps an argon2id verifier of the user's
password, so the app unlocks with no network. A wrong password can simply be tried again.

The verifier is kept in the store's ``store_meta`` (one entry per user, by e-mail), written in
one transaction with whatever else ``remember`` is given; the password itself is never kept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol
from uuid import UUID

import nacl.exceptions
import nacl.pwhash

from app.domain.errors import SiteSyncError

META_PREFIX: Final = "offline_unlock:"


class MetaStore(Protocol):
    """The store's key/value metadata (``app.store.Store`` has both methods)."""

    async def meta(self) -> dict[str, str]: ...

    async def set_meta(self, values: Mapping[str, str]) -> None: ...


class UnlockError(SiteSyncError):
    """The store could not be unlocked with what was typed."""

    code = "UNLOCK_FAILED"


@dataclass(frozen=True, slots=True)
class KnownUser:
    """A user who signed in online on this store before."""

    user_id: UUID
    email: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Hardness:
    """argon2id's cost; the default is libsodium's "moderate" (about 256 MiB, under a second)."""

    opslimit: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
    memlimit: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def _key(email: str) -> str:
    return META_PREFIX + email.strip().casefold()


class OfflineUnlock:
    """Remember a password's verifier after an online sign-in; check it later, offline."""

    def __init__(self, store: MetaStore, *, hardness: Hardness | None = None) -> None:
        self._store = store
        self._hardness = hardness or Hardness()

    async def remember(self, user: KnownUser, password: str) -> None:
        """Keep the verifier of ``password`` for ``user`` (after the server accepted it)."""
        verifier = await asyncio.to_thread(
            nacl.pwhash.argon2id.str,
            password.encode("utf-8"),
            opslimit=self._hardness.opslimit,
            memlimit=self._hardness.memlimit,
        )
        entry = {
            "user_id": str(user.user_id),
            "email": user.email,
            "display_name": user.display_name,
            "verifier": verifier.decode("ascii"),
        }
        await self._store.set_meta({_key(user.email): json.dumps(entry)})

    async def known_users(self) -> list[KnownUser]:
        """Users who can unlock this store offline, by e-mail."""
        meta = await self._store.meta()
        entries = [v for k, v in meta.items() if k.startswith(META_PREFIX) and v]
        users = [_user(json.loads(entry)) for entry in entries]
        return sorted(users, key=lambda user: user.email.casefold())

    async def forget(self, email: str) -> None:
        """Remove a user's verifier (``set_meta`` keeps keys, so the entry is emptied)."""
        await self._store.set_meta({_key(email): ""})

    async def unlock(self, email: str, password: str) -> KnownUser:
        """The user, when ``password`` matches their verifier; UnlockError otherwise.

        Nothing is counted or locked out: a wrong password is simply tried again (argon2id
        makes each try cost the same fraction of a second).
        """
        raw = (await self._store.meta()).get(_key(email), "")
        if not raw:
            raise UnlockError(
                f"{email} has not signed in on this store while online yet, so it cannot be "
                "unlocked offline.",
                hint="Connect to the network and sign in once; after that it unlocks offline.",
            )
        entry = json.loads(raw)
        try:
            await asyncio.to_thread(
                nacl.pwhash.argon2id.verify,
                entry["verifier"].encode("ascii"),
                password.encode("utf-8"),
            )
        except nacl.exceptions.InvalidkeyError:
            raise UnlockError(
                "The password is wrong.", hint="Type it again (it is the one you sign in with)."
            ) from None
        return _user(entry)


def _user(entry: dict[str, str]) -> KnownUser:
    return KnownUser(UUID(entry["user_id"]), entry["email"], entry["display_name"])
