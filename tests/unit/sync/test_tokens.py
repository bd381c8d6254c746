"""The token manager: one refresh at a time, "Sign in to sync" on a refused refresh token,
the refresh token kept across network failures."""

from __future__ import annotations

import asyncio

import pytest

from sync.client.credentials import MemoryTokenVault
from sync.client.engine import AccessTokens
from sync.client.errors import TransientSyncError
from sync.client.tokens import SessionState, SignInRequired, TokenManager, WrongCredentials
from tests.fakes.auth import FakeAuthServer

EMAIL, PASSWORD = "tech@example.com", "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(manager: TokenManager) -> SessionState:
    """Read again (a plain attribute read would be narrowed by mypy across the calls)."""
    return manager.state


@pytest.fixture
def server() -> FakeAuthServer:
    return FakeAuthServer(password=PASSWORD)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault() -> MemoryTokenVault:
    return MemoryTokenVault()


@pytest.fixture
async def manager(server: FakeAuthServer, vault: MemoryTokenVault, clock: Clock) -> TokenManager:
    tokens = TokenManager(server, vault, monotonic=clock)
    await tokens.sign_in(EMAIL, PASSWORD)
    return tokens


async def test_sign_in_keeps_the_access_token_in_memory_and_the_refresh_token_in_the_vault(
    manager: TokenManager, server: FakeAuthServer, vault: MemoryTokenVault
) -> None:
    assert manager.state is SessionState.SIGNED_IN
    assert await manager.access_token() == "access-1"
    assert server.sent_token == "access-1"
    assert vault.load() == "refresh-1"
    assert server.refresh_calls == 0


async def test_a_wrong_password_says_so(server: FakeAuthServer, vault: MemoryTokenVault) -> None:
    tokens = TokenManager(server, vault)
    with pytest.raises(WrongCredentials, match="e-mail or password is wrong"):
        await tokens.sign_in(EMAIL, "nope")
    assert tokens.state is SessionState.SIGNED_OUT
    assert vault.load() is None


async def test_concurrent_callers_share_one_refresh(
    manager: TokenManager, server: FakeAuthServer, clock: Clock, vault: MemoryTokenVault
) -> None:
    clock.now += 900 - 30  # inside the leeway before expiry
    server.gate = asyncio.Event()
    callers = [asyncio.create_task(manager.access_token()) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert server.refresh_calls == 1
    server.gate.set()
    tokens = await asyncio.gather(*callers)
    assert set(tokens) == {"access-2"}
    assert server.refresh_calls == 1
    assert vault.load() == "refresh-2"
    assert await manager.access_token() == "access-2"
    assert server.refresh_calls == 1


async def test_a_rejected_token_is_refreshed_once_for_every_caller(
    manager: TokenManager, server: FakeAuthServer
) -> None:
    rejected = await manager.access_token()
    server.gate = asyncio.Event()
    first = asyncio.create_task(manager.after_rejection(rejected))
    second = asyncio.create_task(manager.after_rejection(rejected))
    await asyncio.sleep(0.01)
    server.gate.set()
    assert list(await asyncio.gather(first, second)) == ["access-2", "access-2"]
    assert await manager.after_rejection(rejected) == "access-2"  # already replaced
    assert server.refresh_calls == 1


async def test_a_network_failure_keeps_the_refresh_token(
    manager: TokenManager, server: FakeAuthServer, clock: Clock, vault: MemoryTokenVault
) -> None:
    clock.now += 10_000
    server.offline = True
    with pytest.raises(TransientSyncError):
        await manager.access_token()
    assert vault.load() == "refresh-1"
    assert manager.state is SessionState.SIGNED_IN
    server.offline = False
    assert await manager.access_token() == "access-2"


async def test_a_refused_refresh_token_means_sign_in_to_sync(
    manager: TokenManager, server: FakeAuthServer, clock: Clock, vault: MemoryTokenVault
) -> None:
    server.end_every_sign_in()
    clock.now += 10_000
    with pytest.raises(SignInRequired, match="Sign in to sync") as caught:
        await manager.access_token()
    assert caught.value.hint is not None
    assert "kept" in caught.value.hint
    assert manager.state is SessionState.SIGN_IN_REQUIRED
    assert vault.load() is None
    assert server.sent_token is None
    calls = server.refresh_calls
    with pytest.raises(SignInRequired):
        await manager.access_token()
    assert server.refresh_calls == calls  # no storm of refused refreshes
    await manager.sign_in(EMAIL, PASSWORD)
    assert _state(manager) is SessionState.SIGNED_IN
    assert await manager.access_token() == "access-2"


async def test_without_a_refresh_token_sync_asks_for_a_sign_in(
    server: FakeAuthServer, vault: MemoryTokenVault
) -> None:
    tokens = TokenManager(server, vault)
    with pytest.raises(SignInRequired):
        await tokens.access_token()
    assert server.refresh_calls == 0


async def test_sign_out_ends_the_sign_in_here_and_on_the_server(
    manager: TokenManager, server: FakeAuthServer, vault: MemoryTokenVault
) -> None:
    await manager.sign_out()
    assert server.logged_out == ["refresh-1"]
    assert vault.load() is None
    assert manager.state is SessionState.SIGNED_OUT
    assert server.sent_token is None


async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh(
    manager: TokenManager, server: FakeAuthServer, clock: Clock
) -> None:
    clock.now += 10_000
    server.gate = asyncio.Event()
    impatient = asyncio.create_task(manager.access_token())
    patient = asyncio.create_task(manager.access_token())
    await asyncio.sleep(0.01)
    impatient.cancel()
    server.gate.set()
    assert await patient == "access-2"
    assert server.refresh_calls == 1


async def test_the_engine_takes_its_tokens_from_the_manager(
    manager: TokenManager, server: FakeAuthServer
) -> None:
    tokens: AccessTokens = manager  # the engine's protocol (mypy checks the two fit)
    first = await tokens.access_token()
    assert await tokens.after_rejection(first) == "access-2"
    assert server.refresh_calls == 1
