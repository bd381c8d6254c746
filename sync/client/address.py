"""The server address a person gives, checked before anything is sent to it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from app.domain.errors import ValidationError


def check_server_url(text: str, *, field: str = "server_url") -> str:
    """The server address without a trailing slash; a ``ValidationError`` names what is wrong.

    ``https://`` anywhere. Plain ``http://`` sends the password and the work unencrypted, so
    it is accepted only on this computer or the local network: a loopback or private IP
    address, ``localhost``, or a one-word host name.
    """
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Enter the server's address, starting with https:// (or http:// on your own network).",
            field=field,
            hint="Your administrator gives it to you, e.g. https://sync.example.com.",
        )
    if parts.scheme == "http" and not _local_host(parts.hostname):
        raise ValidationError(
            f"{url} would carry your password and your work unencrypted across the internet.",
            field=field,
            hint="Use the server's https:// address (plain http:// is for a server on this "
            "computer or your own network).",
        )
    return url


def _local_host(host: str) -> bool:
    if host == "localhost" or ("." not in host and ":" not in host):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local
