"""Where a signed-in store keeps its refresh token, following the store's key policy.

- A store whose device key lives in the OS keyring keeps its refresh token there too
  (``KeyringTokenVault``): every write is read back and compared by ``KeyringKeyStore``, and a
  missing, failing or plain-text keyring is refused, never used silently.
- A store without a secure keyring (its device key sealed under the offline-unlock password)
  never persists tokens (``MemoryTokenVault``): the password is asked again to sync, and the
  command line reads it from standard input.
- A demo store is never signed in to a server: its key lives in a plain file.

The access token is never stored anywhere: it lives in memory (``sync.client.tokens``).
"""

from __future__ import annotations

from typing import Final, Protocol
from uuid import UUID

from app.domain.errors import SiteSyncError
from app.keystore import (
    KEY_STORAGE_DEMO,
    KEY_STORAGE_KEYRING,
    KEY_STORAGE_PASSWORD,
    KeyringKeyStore,
)
from app.services.ports import KeyStore

REFRESH_TOKEN_PREFIX: Final = "refresh-token:"


class DemoStoreError(SiteSyncError):
    """A demo store cannot be joined to an organization."""

    code = "DEMO_STORE"


def demo_store_refused() -> DemoStoreError:
    """The error for signing a demo store in to a server."""
    return DemoStoreError(
        "A demo store cannot be signed in to an organization: its demo events must never reach "
        "a real organization, and its device key is kept in a plain file.",
        hint="Start a new store: run 'sitesync login' with a new --db file (or the default "
        "store), and the organization's data is downloaded into it.",
    )


class TokenVault(Protocol):
    """Keeps the refresh token of one store's sign-in (or, not ``persistent``, forgets it)."""

    @property
    def persistent(self) -> bool:
        """Whether the token outlives this process."""
        ...

    def load(self) -> str | None: ...

    def save(self, token: str) -> None: ...

    def clear(self) -> None: ...


def refresh_token_name(device_id: UUID) -> str:
    """The keyring entry holding a device's refresh token."""
    return f"{REFRESH_TOKEN_PREFIX}{device_id}"


class KeyringTokenVault:
    """The refresh token in the OS keyring (through a key store that reads back every write)."""

    def __init__(self, keys: KeyStore, device_id: UUID) -> None:
        if not keys.secure:
            raise demo_store_refused()
        self._keys = keys
        self._name = refresh_token_name(device_id)

    @property
    def persistent(self) -> bool:
        return True

    def load(self) -> str | None:
        value = self._keys.get(self._name)
        return None if value is None else value.decode("utf-8")

    def save(self, token: str) -> None:
        self._keys.set(self._name, token.encode("utf-8"))

    def clear(self) -> None:
        if self._keys.get(self._name) is not None:
            self._keys.delete(self._name)


class MemoryTokenVault:
    """The refresh token in memory only: without a secure keyring tokens are never written."""

    def __init__(self) -> None:
        self._token: str | None = None

    @property
    def persistent(self) -> bool:
        return False

    def load(self) -> str | None:
        return self._token

    def save(self, token: str) -> None:
        self._token = token

    def clear(self) -> None:
        self._token = None


def token_vault_for(
    key_storage: str, device_id: UUID, *, keyring: KeyStore | None = None
) -> TokenVault:
    """The vault for a store whose device key lives in ``key_storage`` (``store_meta``).

    ``keyring`` replaces the OS keyring (tests); without it the OS keyring is opened, and a
    missing or insecure one raises SecureStorageUnavailable rather than being used.
    """
    if key_storage == KEY_STORAGE_KEYRING:
        return KeyringTokenVault(keyring or KeyringKeyStore(), device_id)
    if key_storage == KEY_STORAGE_PASSWORD:
        return MemoryTokenVault()
    if key_storage == KEY_STORAGE_DEMO:
        raise demo_store_refused()
    raise SiteSyncError(f"Unknown key storage '{key_storage}' recorded in the store.")
