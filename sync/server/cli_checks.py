"""What the server commands check before they start anything, and how a failure reads."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Callable
from typing import Final

from sync.server.cli_errors import CommandError

UNREACHABLE_HINT: Final = (
    "Check that PostgreSQL runs there and the URL's host, port, user, password and database "
    "name, or unset DATABASE_URL to use the embedded database."
)


def check_database_url(url: str, what: str) -> None:
    """Refuse a URL (the setting ``what``) that names no PostgreSQL database."""
    from sync.server.db.engine import asyncpg_url

    try:
        asyncpg_url(url)
    except Exception:
        raise CommandError(
            f"{what} is not a PostgreSQL URL; one looks like "
            "postgresql://USER:PASSWORD@HOST:5432/DATABASE."
        ) from None


def check_listen(host: str, port: int) -> None:
    """Refuse now, in one line, an address the server could not listen on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CommandError(
            f"Cannot listen on {host}: {reason(exc)}. Give --host an address of this machine "
            "(127.0.0.1, or 0.0.0.0 for every interface)."
        ) from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {host}:{port}: {reason(exc)}. Stop the program using that "
                "port (another 'sitesync-server serve'?) or choose another with --port."
            ) from None


def reason(exc: BaseException) -> str:
    """What went wrong, in the exception's own words (without errno numbers)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def within(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return number
