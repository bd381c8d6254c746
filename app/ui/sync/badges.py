"""The audit view's ledger badge of an event: local only, anchored (and its checkpoint), broken."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor

from app.domain.wording import plural
from app.ui.sync.port import AnchorState, EventAnchor

BADGE_COLORS: Final = {
    AnchorState.LOCAL: QColor("#616161"),
    AnchorState.ANCHORED: QColor("#2e7d32"),
    AnchorState.BROKEN: QColor("#c62828"),
}


def badge(anchor: EventAnchor) -> tuple[str, str]:
    """The badge's text and its tooltip."""
    if anchor.state is AnchorState.ANCHORED:
        return (
            f"✔ Anchored #{anchor.ledger_index}",
            f"In the server's ledger at index {anchor.ledger_index}, under the signed "
            f"checkpoint of {plural(anchor.checkpoint_size or 0, 'entry')} this device verified.",
        )
    if anchor.state is AnchorState.BROKEN:
        reason = anchor.reason or "the server refused it"
        return f"✖ Broken: {reason}", f"Refused by the server: {reason}. See the Sync page."
    if anchor.ledger_index is not None:
        return (
            "Local only (checkpoint pending)",
            f"The server took it at index {anchor.ledger_index}; it is anchored once this "
            "device has verified a checkpoint that covers it (next sync).",
        )
    return "Local only", "Not in the server's ledger yet: it is sent with the next sync."
