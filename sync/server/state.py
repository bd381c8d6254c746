"""What every request shares within one server process: settings, engine, keys, hashers.

Built by ``create_app``'s lifespan, never at import time; routes reach it through the
dependency aliases in ``sync.server.deps``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from sync.server.auth.passwords import Passwords
from sync.server.keys import ServerKeys
from sync.server.settings import ServerSettings


@dataclass(frozen=True, slots=True)
class ServerState:
    settings: ServerSettings
    engine: AsyncEngine
    keys: ServerKeys
    passwords: Passwords
    jwt_secret: bytes
    verifiers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify")
    )
    """Threads that check signatures (Ed25519 runs without the GIL, so both cores work)."""
    server_devices: dict[UUID, UUID] = field(default_factory=dict)
    """The server's device id in each organization, once registered there (a cache)."""
