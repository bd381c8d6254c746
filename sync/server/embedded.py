"""The embedded PostgreSQL (the ``pgserver`` wheel): a private server for trials and tests.

It lives in a data folder, listens on a Unix socket only, trusts local connections, and is
stopped when the process that started it exits. Production sets ``DATABASE_URL`` instead and
never starts one.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Final

from sync.server.db.roles import DatabaseUrls, ensure_database, ensure_roles, with_login

DATABASE: Final = "sitesync"
OWNER_ROLE: Final = "sitesync_owner"


class EmbeddedPostgres:
    """A PostgreSQL server in ``folder`` (created on first start)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server; return its superuser URL."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            from pgserver.postgres_server import get_server

        self.folder.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.folder, cleanup_mode="stop")
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server if this process started it (other users keep it running)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


async def prepare(superuser_url: str, *, runtime_role: str) -> DatabaseUrls:
    """Make sure the roles and the ``sitesync`` database exist; return their URLs."""
    await ensure_roles(superuser_url, owner=OWNER_ROLE, runtime=runtime_role)
    await ensure_database(superuser_url, DATABASE, owner=OWNER_ROLE)
    return DatabaseUrls(
        runtime=with_login(superuser_url, user=runtime_role, password=None, database=DATABASE),
        owner=with_login(superuser_url, user=OWNER_ROLE, password=None, database=DATABASE),
    )
