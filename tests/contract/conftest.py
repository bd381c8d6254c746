"""The store contract: one suite that every implementation of the Protocols of
``app.services.ports`` (``UnitOfWork``, its repositories and its ``EventLog``) must pass, so
their queries cannot drift apart. Each test runs once per store in ``BACKENDS``.

A store takes part through one fixture named ``<name>_backend`` that returns a
:class:`Backend`: a service context whose units of work are that store's, with its own
organization and device (the suite swaps in its own clock and ids, and writes through the real
recorder). Today: ``memory`` (the in-memory fake of ``tests/fakes``), ``sqlite`` (the local
store) and ``postgres`` (the server's store, on a fresh database of the test PostgreSQL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from app.services.context import ServiceContext
from app.services.ports import UnitOfWorkFactory
from sync.server.settings import ServerSettings
from tests.fakes import InMemoryStore, make_context
from tests.server.conftest import make_org

BACKENDS = ("memory", "sqlite", "postgres")
"""The stores the suite runs against: each needs a ``<name>_backend`` fixture."""


@dataclass(frozen=True, slots=True)
class Backend:
    """One store under test, as the suite drives it."""

    name: str
    context: ServiceContext
    """Records events into the store; ``context.uow`` makes its units of work."""

    @property
    def units(self) -> UnitOfWorkFactory:
        return self.context.uow


@pytest.fixture
def memory_backend() -> Backend:
    return Backend("memory", make_context(InMemoryStore()))


@pytest.fixture
def sqlite_backend(ctx: ServiceContext) -> Backend:
    """The local SQLite store (``store`` and ``ctx`` of tests/conftest.py)."""
    return Backend("sqlite", ctx)


@pytest.fixture
async def postgres_backend(server_settings: ServerSettings) -> AsyncIterator[Backend]:
    """The server's PostgreSQL store: a new organization on this test's own database, written
    through the server's device."""
    org = await make_org(server_settings, "Contract Lifts")
    try:
        yield Backend("postgres", org.context())
    finally:
        await org.engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    found = request.getfixturevalue(f"{request.param}_backend")
    assert isinstance(found, Backend)
    return found
