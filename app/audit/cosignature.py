"""C2SP checkpoint cosignatures (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A device that verified a checkpoint cosigns it with its device key: a signed-note signature
line ``— <name> base64(key ID || timestamp || signature)`` added below the server's own
signature. The key ID is ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``, the timestamp a
big-endian u64 of POSIX seconds, and the Ed25519 signature covers::

    cosignature/v1
    time <timestamp>
    <the whole checkpoint body, newline-ended>

The header line separates these signatures from the device's event signatures (whose message
starts ``sitesync/event-signature/v1``), so one device key serves both. A cosignature says: as
of that time, this is the largest consistent tree head the device saw for that log.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from app.audit.checkpoint import (
    EM_DASH,
    MAX_NOTE_CHARS,
    Checkpoint,
    parse_and_verify_checkpoint,
)
from app.audit.errors import AuditError, Rule
from app.audit.signing import SIGNATURE_SIZE, Signer, verify_signature

COSIGNATURE_TYPE: Final = b"\x04"
HEADER: Final = "cosignature/v1\n"
MAX_TIMESTAMP: Final = 2**63 - 1
KEY_ID_SIZE: Final = 4
TIMESTAMP_SIZE: Final = 8
BLOB_SIZE: Final = KEY_ID_SIZE + TIMESTAMP_SIZE + SIGNATURE_SIZE
DEVICE_NAME_PREFIX: Final = "sitesync.device/"


def _error(detail: str) -> AuditError:
    return AuditError(Rule.COSIGNATURE, detail)


def device_cosigner_name(device_id: str | UUID) -> str:
    """The cosigner name of a device: ``sitesync.device/<device id>``."""
    return f"{DEVICE_NAME_PREFIX}{UUID(str(device_id))}"


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 cosigner key (signature type 0x04)."""
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + public_key).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The bytes a cosigner signs for a checkpoint ``body`` at ``timestamp``."""
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise _error(f"timestamp {timestamp!r} must be an integer from 0 to 2^63-1")
    return f"{HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One cosignature line, parsed (not yet verified)."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def line(self) -> str:
        """The signature line, without its newline."""
        blob = self.key_id + self.timestamp.to_bytes(TIMESTAMP_SIZE, "big") + self.signature
        return f"{EM_DASH} {self.name} {base64.b64encode(blob).decode('ascii')}"


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise _error(f"cosigner name {name!r} must be non-empty, without spaces or '+'")


def cosign(checkpoint: Checkpoint, name: str, signer: Signer, timestamp: int) -> Cosignature:
    """Cosign ``checkpoint`` as ``name`` at ``timestamp`` (POSIX seconds)."""
    _check_name(name)
    signature = signer.sign(cosigned_message(checkpoint.body(), timestamp))
    return Cosignature(name, cosigner_key_id(name, signer.public_key), timestamp, signature)


def parse_cosignature(line: str) -> Cosignature:
    """Parse one signature line as a cosignature (strict: layout, base64 and sizes)."""
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != EM_DASH:
        raise _error(f"malformed signature line {line[:200]!r}")
    name, text = parts[1], parts[2]
    _check_name(name)
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _error(f"the signature of {name} is not base64") from None
    if base64.b64encode(blob).decode("ascii") != text:
        raise _error(f"the signature of {name} is not canonical base64")
    if len(blob) != BLOB_SIZE:
        raise _error(
            f"a cosignature holds {BLOB_SIZE} bytes (key ID, timestamp, signature), not {len(blob)}"
        )
    timestamp = int.from_bytes(blob[KEY_ID_SIZE : KEY_ID_SIZE + TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
        raise _error("a cosignature timestamp must not exceed 2^63-1")
    return Cosignature(name, blob[:KEY_ID_SIZE], timestamp, blob[KEY_ID_SIZE + TIMESTAMP_SIZE :])


def verify_cosignature(
    cosignature: Cosignature, checkpoint: Checkpoint, name: str, public_key: bytes
) -> None:
    """Check that ``cosignature`` is ``name``'s valid cosignature of ``checkpoint``."""
    if cosignature.name != name or cosignature.key_id != cosigner_key_id(name, public_key):
        raise _error(f"the cosignature is not by the key of {name}")
    message = cosigned_message(checkpoint.body(), cosignature.timestamp)
    if not verify_signature(public_key, message, cosignature.signature):
        raise _error(f"the cosignature by {name} does not verify")


def _split(note: str) -> tuple[str, list[str]]:
    if len(note) > MAX_NOTE_CHARS:
        raise _error(f"a note longer than {MAX_NOTE_CHARS} characters is refused")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise _error("a note is text, a blank line, then signature lines")
    return note[: split + 1], note[split + 2 : -1].split("\n")


def add_cosignature(note: str, cosignature: Cosignature) -> str:
    """``note`` (a signed checkpoint) with ``cosignature``'s line added below its signatures."""
    _split(note)
    return f"{note}{cosignature.line()}\n"


def find_cosignature(note: str, name: str, public_key: bytes) -> Cosignature:
    """The cosignature line by (``name``, key) in ``note``; other lines are ignored."""
    _, lines = _split(note)
    wanted = cosigner_key_id(name, public_key)
    for line in lines:
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == name:
            found = parse_cosignature(line)
            if found.key_id == wanted:
                return found
    raise _error(f"the note holds no cosignature by {name}")


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A checkpoint the log signed and a cosigner vouched for, with the note proving both."""

    checkpoint: Checkpoint
    cosigner: str
    cosignature: Cosignature
    note: str


def open_cosigned(
    note: str,
    *,
    log_name: str,
    log_key: bytes,
    origin: str | None,
    cosigner: str,
    cosigner_key: bytes,
) -> CosignedCheckpoint:
    """Verify a cosigned note: the log's signature (pinned key) and the cosigner's."""
    checkpoint = parse_and_verify_checkpoint(note, log_name, log_key, origin=origin)
    cosignature = find_cosignature(note, cosigner, cosigner_key)
    verify_cosignature(cosignature, checkpoint, cosigner, cosigner_key)
    return CosignedCheckpoint(checkpoint, cosigner, cosignature, note)
