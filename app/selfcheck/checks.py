"""What a self-check step reports, and how one step runs without letting an error escape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    """One step of the self-check: what it proved, or why it failed."""

    name: str
    ok: bool
    detail: str


class CheckFailed(Exception):
    """A step found that this installation does not work as it should."""


def attempt(name: str, step: Callable[[], str]) -> Check:
    """Run ``step``; its return value is the detail of a passed check, any error a failed one."""
    try:
        return Check(name, True, step())
    except Exception as exc:  # a self-check reports every failure; nothing may escape it
        return Check(name, False, describe(exc))


def describe(exc: BaseException) -> str:
    """A one-line account of an error: its message (SiteSync's errors carry one) and its type."""
    message = getattr(exc, "message", None) or str(exc) or "no detail"
    return f"{message} ({type(exc).__name__})"
