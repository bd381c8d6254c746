"""Where the device's private key lives.

- ``KeyringKeyStore``: the OS keyring (Keychain, Windows Credential Locker, Secret Service).
  Backends that are missing, failing or store in plain text are refused, and every write is read
  back and compared, so a keyring that drops writes is detected.
- ``PasswordFileKeyStore``: when no secure keyring exists, secrets are sealed in a file beside the
  store with a key derived by argon2id from the user's offline-unlock password.
- ``InsecureDemoKeyStore``: demo stores only; a plain file whose name says it is insecure.
"""

from __future__ import annotations

import errno
import json
import os
from base64 import b64decode, b64encode
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from app.domain.errors import KeyStoreError, WrongPasswordError
from app.services.ports import KeyStore

SERVICE_NAME = "SiteSync"

KEY_STORAGE_KEYRING = "keyring"
KEY_STORAGE_PASSWORD = "password-file"
KEY_STORAGE_DEMO = "demo-insecure-file"

MIN_PASSWORD_LENGTH = 10
"""Shortest offline-unlock password accepted for a new store (it guards the device key)."""

type PasswordPrompt = Callable[[], str]
"""Asks the person for the offline-unlock password (stdin for the CLI)."""
_PLAINTEXT_BACKENDS = ("PlaintextKeyring", "EncryptedKeyring", "Null", "fail")


class SecureStorageUnavailable(KeyStoreError):
    """No secure OS keyring is available on this machine."""

    code = "SECURE_STORAGE_UNAVAILABLE"


def _write_private(path: Path, data: bytes) -> None:
    """Write a secrets file readable by its owner only, whole or not at all.

    The data goes to a temporary file first, flushed to disk, then renamed over ``path``; a
    failure (a full disk, say) leaves ``path`` as it was and no temporary file behind.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise KeyStoreError(
            f"Could not write the key file {path}: "
            + ("the disk is full." if full else f"{exc.strerror or exc}."),
            hint="Free some disk space and try again."
            if full
            else "Check that the folder exists and can be written, then try again.",
        ) from None


class KeyringKeyStore:
    """Secrets in the OS keyring, refusing insecure backends."""

    def __init__(self, service: str = SERVICE_NAME, backend: Any = None) -> None:
        import keyring  # imported lazily: probing backends is slow and only needed here
        from keyring.errors import KeyringError

        self._errors: tuple[type[BaseException], ...] = (KeyringError, OSError, RuntimeError)
        self._service = service
        try:
            self._backend = backend if backend is not None else keyring.get_keyring()
        except self._errors as exc:
            raise self._unavailable(str(exc)) from exc
        name = type(self._backend).__name__
        priority = getattr(self._backend, "priority", 0)
        if any(bad in name for bad in _PLAINTEXT_BACKENDS) or priority <= 0:
            raise self._unavailable(f"the only keyring backend is {name}")

    @staticmethod
    def _unavailable(detail: str) -> SecureStorageUnavailable:
        return SecureStorageUnavailable(
            f"Secure storage unavailable: {detail}.",
            hint="SiteSync will protect the device key with your offline-unlock password instead.",
        )

    @property
    def secure(self) -> bool:
        return True

    def get(self, name: str) -> bytes | None:
        try:
            value = self._backend.get_password(self._service, name)
        except self._errors as exc:
            raise KeyStoreError(f"The OS keyring could not be read: {exc}.") from exc
        return None if value is None else b64decode(value)

    def set(self, name: str, value: bytes) -> None:
        encoded = b64encode(value).decode()
        try:
            self._backend.set_password(self._service, name, encoded)
            stored = self._backend.get_password(self._service, name)
        except self._errors as exc:
            raise KeyStoreError(f"The OS keyring could not be written: {exc}.") from exc
        if stored != encoded:
            raise KeyStoreError(
                "The OS keyring did not keep the secret written to it.",
                hint="Check the keyring service (unlock it or repair it) and try again.",
            )

    def delete(self, name: str) -> None:
        try:
            self._backend.delete_password(self._service, name)
        except self._errors as exc:
            raise KeyStoreError(f"The OS keyring could not delete a secret: {exc}.") from exc


class PasswordFileKeyStore:
    """Secrets sealed (XSalsa20-Poly1305) under an argon2id key derived from a password."""

    def __init__(self, path: Path, password: str) -> None:
        if not password:
            raise KeyStoreError("An offline-unlock password is required.", hint="Enter one.")
        self._path = path
        self._password = password.encode()

    @property
    def secure(self) -> bool:
        return True

    def _load(self) -> dict[str, Any]:
        if not self._path.exists():
            return {"kdf": "argon2id", "salt": None, "secrets": {}}
        return dict(json.loads(self._path.read_text("utf-8")))

    def _box(self, doc: dict[str, Any]) -> nacl.secret.SecretBox:
        if doc["salt"] is None:
            doc["salt"] = b64encode(nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)).decode()
        key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            self._password,
            b64decode(doc["salt"]),
            opslimit=nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
            memlimit=nacl.pwhash.argon2id.MEMLIMIT_MODERATE,
        )
        return nacl.secret.SecretBox(key)

    def get(self, name: str) -> bytes | None:
        doc = self._load()
        sealed = doc["secrets"].get(name)
        if sealed is None:
            return None
        try:
            return self._box(doc).decrypt(b64decode(sealed))
        except nacl.exceptions.CryptoError:
            raise WrongPasswordError(
                "The offline-unlock password is wrong.", hint="Enter it again."
            ) from None

    def set(self, name: str, value: bytes) -> None:
        doc = self._load()
        doc["secrets"][name] = b64encode(self._box(doc).encrypt(value)).decode()
        _write_private(self._path, json.dumps(doc, indent=2).encode())

    def delete(self, name: str) -> None:
        doc = self._load()
        if doc["secrets"].pop(name, None) is not None:
            _write_private(self._path, json.dumps(doc, indent=2).encode())


class InsecureDemoKeyStore:
    """Plain-file secrets for demo stores only; the file name says so."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def secure(self) -> bool:
        return False

    def _load(self) -> dict[str, str]:
        if not self._path.exists():
            return {}
        return dict(json.loads(self._path.read_text("utf-8")))

    def get(self, name: str) -> bytes | None:
        value = self._load().get(name)
        return None if value is None else bytes.fromhex(value)

    def set(self, name: str, value: bytes) -> None:
        doc = self._load()
        doc[name] = value.hex()
        _write_private(self._path, json.dumps(doc, indent=2).encode())

    def delete(self, name: str) -> None:
        doc = self._load()
        if doc.pop(name, None) is not None:
            _write_private(self._path, json.dumps(doc, indent=2).encode())


def demo_key_path(db_path: Path) -> Path:
    """The insecure key file beside a demo store."""
    return db_path.with_name(db_path.name + ".INSECURE-demo-device-key.json")


def sealed_key_path(db_path: Path) -> Path:
    """The password-sealed key file beside a store."""
    return db_path.with_name(db_path.name + ".device-key.sealed.json")


def key_store_for(path: Path, mode: str, password: PasswordPrompt | None) -> KeyStore:
    """The key store a store recorded it uses (``mode``), opened for reading its key."""
    if mode == KEY_STORAGE_DEMO:
        return InsecureDemoKeyStore(demo_key_path(path))
    if mode == KEY_STORAGE_KEYRING:
        return KeyringKeyStore()
    if mode == KEY_STORAGE_PASSWORD:
        if password is None:
            raise KeyStoreError(
                "This store's device key is protected by an offline-unlock password.",
                hint="Run the command again with --password-stdin and type the password.",
            )
        return PasswordFileKeyStore(sealed_key_path(path), password())
    raise KeyStoreError(f"Unknown key storage '{mode}' recorded in {path}.")


def new_key_store(path: Path, password: PasswordPrompt | None) -> tuple[str, KeyStore]:
    """Where a new store keeps its key: the OS keyring, else a password-sealed file."""
    try:
        return KEY_STORAGE_KEYRING, KeyringKeyStore()
    except SecureStorageUnavailable:
        if password is None:
            raise SecureStorageUnavailable(
                "Secure storage unavailable: no OS keyring on this machine.",
                hint="Run again with --password-stdin to protect the device key with an "
                "offline-unlock password.",
            ) from None
        return KEY_STORAGE_PASSWORD, new_sealed_key_store(path, password)


def new_sealed_key_store(path: Path, password: PasswordPrompt) -> PasswordFileKeyStore:
    """The password-sealed key file of a new store; its password is checked for length first."""
    chosen = password()
    if len(chosen) < MIN_PASSWORD_LENGTH:
        raise KeyStoreError(
            f"An offline-unlock password needs at least {MIN_PASSWORD_LENGTH} characters "
            f"(this one has {len(chosen)}); nothing was created.",
            hint="Choose a longer one: a few unrelated words make a good password.",
        )
    return PasswordFileKeyStore(sealed_key_path(path), chosen)


def check_sealed_password(db_path: Path, password: str) -> None:
    """Raise KeyStoreError unless ``password`` opens the store's sealed device key."""
    doc = json.loads(sealed_key_path(db_path).read_text("utf-8"))
    names = list(doc.get("secrets", {}))
    if names:
        PasswordFileKeyStore(sealed_key_path(db_path), password).get(names[0])
