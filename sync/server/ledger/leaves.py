"""Ledger leaves for a whole batch, fast: the same bytes as ``app.audit.merkle.ledger_leaf``.

The leaf's four fields are all produced or checked by the server (a 64-hex event hash, a
64-byte signature, the index, the receive time in the canonical timestamp form), so their
canonical JSON is one fixed template; the audit package's general encoder would walk and
re-encode each one. ``tests/unit/test_ledger_tree.py`` proves the bytes equal.
"""

from __future__ import annotations

import base64
import hashlib

from app.audit.envelope import HASH_PATTERN, TIMESTAMP_PATTERN


def leaf_hashes(entries: list[tuple[str, bytes, int]], received_at: str) -> list[bytes]:
    """The RFC 6962 leaf hashes of ``(event hash, signature, ledger index)`` entries."""
    if not TIMESTAMP_PATTERN.fullmatch(received_at):
        raise ValueError(f"{received_at!r} is not a canonical timestamp")
    found = []
    for digest, signature, index in entries:
        if not HASH_PATTERN.fullmatch(digest) or len(signature) != 64 or index < 0:
            raise ValueError("a ledger entry needs a hex hash, a 64-byte signature, an index")
        leaf = (
            f'{{"event_hash":"{digest}","ledger_index":{index},"received_at":"{received_at}",'
            f'"signature":"{base64.b64encode(signature).decode()}"}}'
        ).encode()
        found.append(hashlib.sha256(b"\x00" + leaf).digest())
    return found
