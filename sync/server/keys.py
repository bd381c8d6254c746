"""The server's Ed25519 keys, kept outside the database: the ledger keys and the device key.

Ledger keys sign checkpoints. They live as files ``ledger-<UTC time>.key`` (base64 of the
32-byte seed, mode 0600) in the keys folder, or the current one in ``SITESYNC_LEDGER_KEY``.
``rotate-ledger-key`` adds a newer file: the newest is current from then on, and every older key
cosigns each new checkpoint, so a device that pinned any of them keeps verifying however many
rotations it slept through. Every public key stays published, so old checkpoints stay
verifiable.

The device key (``server-device.key``) signs the events written through the REST API: the
server is one more device of each organization.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from app.audit.checkpoint import key_id, verifier_key_string
from app.audit.signing import Ed25519Signer

LEDGER_PREFIX: Final = "ledger-"
DEVICE_KEY_FILE: Final = "server-device.key"


class KeyFileError(Exception):
    """A key file is missing, unreadable or malformed (the message names it)."""


@dataclass(frozen=True, slots=True)
class LedgerKey:
    """One checkpoint-signing key and when it was made."""

    created: str
    signer: Ed25519Signer

    def key_id(self, name: str) -> str:
        return key_id(name, self.signer.public_key).hex()

    def verifier(self, name: str) -> str:
        return verifier_key_string(name, self.signer.public_key)


@dataclass(frozen=True, slots=True)
class ServerKeys:
    """Every ledger key (oldest first; the last is current) and the server's device key."""

    ledger: tuple[LedgerKey, ...]
    device: Ed25519Signer

    @property
    def current(self) -> LedgerKey:
        return self.ledger[-1]

    @property
    def signing(self) -> tuple[LedgerKey, ...]:
        """The keys that sign a new checkpoint: every one (a device pins the key it joined
        with, which may be any of them)."""
        return self.ledger


def _read_seed(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        seed = base64.b64decode(text, validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error, ValueError) as exc:
        raise KeyFileError(f"The key file {path} cannot be read: {exc}.") from None
    if len(seed) != 32:
        raise KeyFileError(f"The key file {path} does not hold a 32-byte Ed25519 seed.")
    return seed


def decode_seed(text: str, what: str) -> bytes:
    """A 32-byte seed from base64 text; raise naming ``what`` otherwise."""
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(
            f"{what} is not base64: give the base64 of a 32-byte Ed25519 seed (what a "
            "ledger-*.key file holds), or unset it to use the key files."
        ) from None
    if len(seed) != 32:
        raise KeyFileError(
            f"{what} holds {len(seed)} bytes, not a 32-byte Ed25519 seed: give what a "
            "ledger-*.key file holds, or unset it to use the key files."
        )
    return seed


def _write_seed(path: Path, seed: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(base64.b64encode(seed).decode() + "\n")
        file.flush()
        os.fsync(file.fileno())


def ledger_key_files(folder: Path) -> list[Path]:
    """The ledger key files in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{LEDGER_PREFIX}*.key") if p.is_file())


def new_ledger_key(folder: Path) -> Path:
    """Write a fresh ledger key file (newer than every other) and return its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{LEDGER_PREFIX}{stamp}.key"
    _write_seed(path, Ed25519Signer.generate().seed)
    return path


def ensure_keys(folder: Path, *, ledger_key_given: bool = False) -> None:
    """Create the device key, and the first ledger key file unless the current ledger key is
    given otherwise (``SITESYNC_LEDGER_KEY``), if the folder has none (first start)."""
    if not ledger_key_given and not ledger_key_files(folder):
        new_ledger_key(folder)
    device = folder / DEVICE_KEY_FILE
    if not device.exists():
        _write_seed(device, Ed25519Signer.generate().seed)


def load_keys(folder: Path, *, current_seed: str | None = None) -> ServerKeys:
    """Read every key; ``current_seed`` (base64, from the environment) is the newest key."""
    ledger = [
        LedgerKey(path.stem.removeprefix(LEDGER_PREFIX), Ed25519Signer(_read_seed(path)))
        for path in ledger_key_files(folder)
    ]
    if current_seed:
        signer = Ed25519Signer(decode_seed(current_seed, "SITESYNC_LEDGER_KEY"))
        ledger = [k for k in ledger if k.signer.public_key != signer.public_key]
        ledger.append(LedgerKey("environment", signer))
    if not ledger:
        raise KeyFileError(
            f"No ledger key in {folder}.",
        )
    device_path = folder / DEVICE_KEY_FILE
    if not device_path.exists():
        raise KeyFileError(f"The server's device key {device_path} is missing.")
    return ServerKeys(tuple(ledger), Ed25519Signer(_read_seed(device_path)))
