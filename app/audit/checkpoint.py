"""C2SP signed notes (c2sp.org/signed-note) and transparency-log checkpoints
(c2sp.org/tlog-checkpoint), Ed25519 only.

A checkpoint body is ``origin\\nsize\\nbase64(root)\\n`` plus optional extension lines. A signed
note is the body, a blank line, then lines ``— <key name> base64(key ID || signature)``, where
the key ID is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` and the Ed25519 signature
covers the body including its final newline. Signatures by unknown keys are ignored; a note is
accepted only with a valid signature from the pinned key, and rejected if the pinned key's
signature fails.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Final

from app.audit.errors import AuditError, Rule
from app.audit.merkle import HASH_SIZE, verify_consistency
from app.audit.signing import Signer, verify_signature

EM_DASH: Final = "\u2014"
ED25519_TYPE: Final = b"\x01"
MAX_SIGNATURES: Final = 100
MAX_NOTE_CHARS: Final = 1 << 20
_SIZE: Final = re.compile(r"0|[1-9][0-9]*")
_CONTROL: Final = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _format(detail: str) -> AuditError:
    return AuditError(Rule.CHECKPOINT_FORMAT, detail)


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise _format(f"key name {name!r} must be non-empty, without spaces or '+'")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict standard base64: the alphabet, padding, and the canonical encoding only."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _format(f"{text!r} is not base64") from None
    if _b64(data) != text:
        raise _format(f"{text!r} is not canonical base64")
    return data


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and root hash (plus rarely used extension lines)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """Return the note text: origin, size, base64 root and extension lines, newline-ended."""
        if not self.origin or "\n" in self.origin or _CONTROL.search(self.origin):
            raise _format(f"origin {self.origin!r} must be one non-empty line")
        if type(self.size) is not int or self.size < 0:
            raise _format(f"tree size {self.size!r} must be an integer >= 0")
        if type(self.root_hash) is not bytes or len(self.root_hash) != HASH_SIZE:
            raise _format("root hash must be 32 bytes")
        for line in self.extensions:
            if not line or "\n" in line or _CONTROL.search(line):
                raise _format(f"extension line {line!r} must be one non-empty line")
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte signed-note key ID of an Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def verifier_key_string(name: str, public_key: bytes) -> str:
    """Return the ``name+keyid+base64(0x01||key)`` verifier key string."""
    _check_name(name)
    return f"{name}+{key_id(name, public_key).hex()}+{_b64(ED25519_TYPE + public_key)}"


def sign_note(text: str, name: str, signer: Signer) -> str:
    """Return the signed note of `text` (newline-ended) signed by `signer` under `name`."""
    _check_name(name)
    if not text.endswith("\n") or _CONTROL.search(text):
        raise _format("note text must end in a newline and hold no control characters")
    signature = signer.sign(text.encode())
    blob = _b64(key_id(name, signer.public_key) + signature)
    return f"{text}\n{EM_DASH} {name} {blob}\n"


def open_note(note: str, name: str, public_key: bytes) -> str:
    """Verify a signed note against the pinned (name, key) and return its text."""
    if len(note) > MAX_NOTE_CHARS:
        raise _format(f"a note longer than {MAX_NOTE_CHARS} characters is refused")
    if _CONTROL.search(note):
        raise _format("a note must not hold control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise _format("a note is text, a blank line, then signature lines")
    text, sig_block = note[: split + 1], note[split + 2 :]
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _format(f"more than {MAX_SIGNATURES} signatures")
    wanted = key_id(name, public_key)
    verified = False
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise _format(f"malformed signature line {line!r}")
        _check_name(parts[1])
        blob = _unb64(parts[2])
        if len(blob) < 5:
            raise _format("a signature holds a key ID and signature bytes")
        if parts[1] != name or blob[:4] != wanted:
            continue  # another key (a witness, a rotated key): ignored, as the spec says
        if not verify_signature(public_key, text.encode(), blob[4:]):
            raise AuditError(
                Rule.CHECKPOINT_SIGNATURE, f"signature by {name} does not verify: note rejected"
            )
        verified = True
    if not verified:
        raise AuditError(Rule.CHECKPOINT_SIGNATURE, f"no signature by the pinned key {name}")
    return text


def sign_checkpoint(checkpoint: Checkpoint, name: str, signer: Signer) -> str:
    """Return the checkpoint as a signed note."""
    return sign_note(checkpoint.body(), name, signer)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse checkpoint note text (unverified: only use after `open_note`)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise _format("a checkpoint has origin, size and root lines, each newline-ended")
    origin, size, root, *extensions = lines[:-1]
    if not origin:
        raise _format("empty origin line")
    if not _SIZE.fullmatch(size):
        raise _format(f"tree size {size!r} is not a decimal without leading zeros")
    root_hash = _unb64(root)
    if len(root_hash) != HASH_SIZE:
        raise _format("root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise _format("extension lines must not be empty")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def parse_and_verify_checkpoint(
    note: str, name: str, public_key: bytes, *, origin: str | None = None
) -> Checkpoint:
    """Verify a checkpoint note against the pinned key and parse it; `origin` pins the log."""
    checkpoint = parse_checkpoint_body(open_note(note, name, public_key))
    if origin is not None and checkpoint.origin != origin:
        raise _format(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint


def verify_checkpoint_growth(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    """Accept `new` after `old` only if the same log grew consistently (sizes, roots signed)."""
    if old.origin != new.origin:
        raise _format(f"checkpoints of two logs: {old.origin!r} and {new.origin!r}")
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
