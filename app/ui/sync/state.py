"""What the sync indicator says, worked out from the sync state (pure; no widgets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from app.ui.format import when
from app.ui.sync.port import (
    Outcome,
    SyncProgressInfo,
    SyncStatusInfo,
    SyncSummaryInfo,
)

PHASES: Final = {
    "connect": "connecting",
    "push": "sending",
    "pull": "receiving",
    "apply": "applying",
    "blobs": "photos and signatures",
    "done": "finishing",
}

STOP_WORDS: Final = {
    "auth": ("Sign in to sync", "Choose File → Sign in to server… and enter your password."),
    "update": (
        "Update required",
        "The server no longer accepts this version of SiteSync: install the update. "
        "Nothing waiting here is lost.",
    ),
    "integrity": (
        "Server history does not match: sync stopped",
        "Your data here is kept. Tell your administrator; do not sign in elsewhere meanwhile.",
    ),
}
"""The headline and next step for the problems that stop sync until a person acts."""


class Level(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    OK = "ok"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SyncState:
    """Everything the indicator shows; the bridge keeps it current in the Qt thread."""

    status: SyncStatusInfo | None = None
    """None until the store's sync status was first read."""
    demo: bool = False
    running: bool = False
    progress: SyncProgressInfo | None = None
    last: SyncSummaryInfo | None = None
    """The summary of the last run in this session."""


@dataclass(frozen=True, slots=True)
class Indicator:
    text: str
    detail: str
    level: Level


def _waiting(pending: int) -> str:
    return f"{pending} waiting" if pending else "nothing waiting"


def _progress(progress: SyncProgressInfo | None) -> str:
    if progress is None:
        return "Syncing…"
    phase = PHASES.get(str(progress.phase), str(progress.phase))
    if progress.total:
        return f"Syncing: {phase} {progress.done} of {progress.total}"
    return f"Syncing: {phase}…"


def _stop(status: SyncStatusInfo, last: SyncSummaryInfo | None) -> tuple[str, str] | None:
    """The headline and next step of a problem that stops sync, if there is one."""
    kind = (status.problem_kind or "").lower()
    for key, words in STOP_WORDS.items():
        if kind.startswith(key):
            return words[0], status.hint or words[1]
    if status.problem and kind not in ("", "transient", "network", "offline"):
        return status.problem, status.hint or "See the Sync page."
    if last is not None and last.outcome == Outcome.STOPPED and last.problem:
        return last.problem, last.hint or "See the Sync page."
    return None


def describe(state: SyncState) -> Indicator:
    """The indicator's short text, its tooltip and its colour for ``state``."""
    status = state.status
    if state.demo:
        return Indicator(
            "Demo store · not synced",
            "A demo store stays on this computer and is never joined to an organization. "
            "To sync, choose File → Sign in to server…: SiteSync starts a new store for "
            "your organization.",
            Level.IDLE,
        )
    if status is None:
        return Indicator("Sync: checking…", "Reading the sync status of this store.", Level.IDLE)
    if not status.joined:
        return Indicator(
            f"Not signed in · {_waiting(status.pending)}",
            "This store is not joined to a server. Choose File → Sign in to server… to sync.",
            Level.IDLE,
        )
    lines = [f"Server: {status.server_url}", f"Signed in as {status.email}"]
    lines.append(f"Last successful sync: {_last(status.last_success_at)}")
    if status.skew_warning:
        lines.append(status.skew_warning)
    skew = " · clock off" if status.skew_warning else ""
    if state.running:
        return Indicator(
            f"{_progress(state.progress)}{skew}",
            "\n".join([*lines, f"Waiting to send: {status.pending}"]),
            Level.BUSY,
        )
    stop = _stop(status, state.last)
    if stop is not None:
        headline, step = stop
        return Indicator(
            f"{headline} · {_waiting(status.pending)}{skew}",
            "\n".join([headline, f"Next step: {step}", *lines]),
            Level.ERROR,
        )
    if state.last is not None and state.last.outcome == Outcome.FAILED:
        reason = state.last.problem or "The server cannot be reached."
        return Indicator(
            f"Offline · {_waiting(status.pending)}{skew}",
            "\n".join(
                [
                    reason,
                    "Work goes on here; SiteSync tries again on its own and sends what waits "
                    "once the server answers.",
                    *lines,
                ]
            ),
            Level.OFFLINE,
        )
    if status.pending:
        return Indicator(
            f"{status.pending} waiting · last sync {_short(status.last_success_at)}{skew}",
            "\n".join(lines),
            Level.OK,
        )
    return Indicator(
        f"Up to date · {_short(status.last_success_at)}{skew}",
        "\n".join(lines),
        Level.OK if status.last_success_at else Level.IDLE,
    )


def _last(moment: datetime | None) -> str:
    return when(moment) if moment is not None else "never"


def _short(moment: datetime | None) -> str:
    if moment is None:
        return "never synced"
    return when(moment)
