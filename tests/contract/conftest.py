"""The store contract: one suite that every implementation of the Protocols of
``app.services.ports`` (``UnitOfWork``, its repositories and its ``EventLog``) must pass, so
their queries cannot drift apart. Each test runs once per store in ``BACKENDS``.

A store takes part through one fixture named ``<name>_backend`` that returns a
:class:`Backend`: a service context whose units of work are that store's, with its own
organization and device (the suite swaps in its own clock and ids, and writes through the real
recorder). Today: ``memory`` (the in-memory fake of ``tests/fakes``) and ``sqlite`` (the local
store). To add the server's PostgreSQL store, write its fixture, here or in a conftest.py nearer
the root, and add ``"postgres"`` to ``BACKENDS``::

    @pytest.fixture
    async def postgres_backend(org: Org) -> Backend:
        return Backend("postgres", org.context())

Nothing else changes: the tests ask only for ``backend``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.services.context import ServiceContext
from app.services.ports import UnitOfWorkFactory
from tests.fakes import InMemoryStore, make_context

BACKENDS = ("memory", "sqlite")
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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    found = request.getfixturevalue(f"{request.param}_backend")
    assert isinstance(found, Backend)
    return found
