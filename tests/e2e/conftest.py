"""End-to-end fixtures: an organization with users on the test database, a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest

from app.domain.enums import Role
from sync.server.settings import ServerSettings
from tests.postgres import ServerProcess
from tests.server.conftest import add_user, make_org

USERS = {
    "sam@example.com": Role.SUPERVISOR,
    "tom@example.com": Role.TECHNICIAN,
    "jo@example.com": Role.TECHNICIAN,
}


@dataclass(frozen=True, slots=True)
class Organization:
    id: UUID
    settings: ServerSettings


@pytest.fixture
async def organization(server_settings: ServerSettings) -> Organization:
    """'Acme Lifts' with a supervisor and two technicians (created before the server starts)."""
    made = await make_org(server_settings, "Acme Lifts")
    try:
        for email, role in USERS.items():
            await add_user(made, email, role)
    finally:
        await made.engine.dispose()
    return Organization(made.id, server_settings)


@pytest.fixture
def server(organization: Organization) -> Iterator[ServerProcess]:
    """A real ``sitesync-server serve`` process on a loopback port."""
    process = ServerProcess(organization.settings).start()
    try:
        yield process
    finally:
        process.stop()
