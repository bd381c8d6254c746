"""Ed25519 signing behind a small Protocol, and cached signature verification (PyNaCl)."""

from typing import Final, Protocol

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from app.audit.envelope import signature_message

__all__ = ["Ed25519Signer", "Signer", "signature_message", "verify_signature"]

SEED_SIZE: Final = 32
PUBLIC_KEY_SIZE: Final = 32
SIGNATURE_SIZE: Final = 64


class Signer(Protocol):
    """Anything that signs bytes with an Ed25519 key (a device key, the server's log key)."""

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of `message`."""
        ...

    @property
    def public_key(self) -> bytes:
        """The 32-byte raw Ed25519 public key."""
        ...


class Ed25519Signer:
    """An in-memory Ed25519 key made from a 32-byte seed (what the key store keeps)."""

    __slots__ = ("_key", "_public_key")

    def __init__(self, seed: bytes) -> None:
        if type(seed) is not bytes or len(seed) != SEED_SIZE:
            raise ValueError(f"an Ed25519 seed is {SEED_SIZE} bytes")
        self._key = SigningKey(seed)
        self._public_key = bytes(self._key.verify_key)

    @classmethod
    def generate(cls) -> "Ed25519Signer":
        """Return a signer with a fresh random key."""
        return cls(bytes(SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        """The 32-byte secret seed, for the key store only."""
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        """The 32-byte raw public key."""
        return self._public_key

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte signature of `message`."""
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"Ed25519Signer(public_key={self._public_key.hex()})"


_VERIFY_KEYS: dict[bytes, VerifyKey] = {}
_MAX_CACHED_KEYS: Final = 4096


def _verify_key(public_key: bytes) -> VerifyKey:
    key = _VERIFY_KEYS.get(public_key)
    if key is None:
        if len(_VERIFY_KEYS) >= _MAX_CACHED_KEYS:
            _VERIFY_KEYS.clear()
        key = _VERIFY_KEYS[public_key] = VerifyKey(public_key)
    return key


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return True when `signature` is a valid Ed25519 signature; never raises for bad input."""
    if (
        type(public_key) is not bytes
        or len(public_key) != PUBLIC_KEY_SIZE
        or type(signature) is not bytes
        or len(signature) != SIGNATURE_SIZE
    ):
        return False
    try:
        _verify_key(public_key).verify(message, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True
