"""``sitesync login`` and ``sitesync logout`` against a real server process on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import keyring
import pytest
from keyring.backends import fail

from app.bootstrap import open_workspace
from app.domain.enums import Role
from app.main import main
from app.services.context import Actor
from sync.client.api import HttpSyncApi
from sync.client.errors import AuthExpiredError
from sync.client.offline_unlock import OfflineUnlock, UnlockError
from tests.e2e.conftest import Organization
from tests.e2e.support import PASSWORD
from tests.integration.keys.test_keystores import DictKeyring
from tests.integration.sync.support import record_unit
from tests.postgres import ServerProcess

pytestmark = pytest.mark.timeout(120)

TOM = "tom@example.com"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A computer without a secure keyring (the password-sealed key, tokens not kept)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def os_keyring() -> Iterator[DictKeyring]:
    """A computer with a secure keyring (an in-memory one standing in for the OS's)."""
    previous = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = PASSWORD + "\n") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def _login(
    monkeypatch: pytest.MonkeyPatch,
    server: ServerProcess,
    db: Path,
    email: str = TOM,
    password: str = PASSWORD,
) -> int:
    return _run(
        monkeypatch,
        "login",
        "--server",
        server.url,
        "--email",
        email,
        "--db",
        str(db),
        "--password-stdin",
        stdin=password + "\n",
    )


def _accounts(db: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(db) as conn:
        return [tuple(map(str, r)) for r in conn.execute("SELECT email, user_id FROM sync_account")]


async def _pending_event(db: Path) -> None:
    ws = await open_workspace(db, password=lambda: PASSWORD)
    try:
        actor = Actor(UUID(_accounts(db)[0][1]), Role.TECHNICIAN, "Tom")
        await record_unit(ws.context(actor), "Offline Towers")
    finally:
        await ws.close()


async def _unlock(db: Path, password: str, refused: str | None) -> None:
    """Unlock the store offline as Tom; ``refused``: the error expected instead."""
    ws = await open_workspace(db, password=lambda: PASSWORD)
    try:
        unlock = OfflineUnlock(ws.store)
        if refused is None:
            assert (await unlock.unlock(TOM, password)).email == TOM
        else:
            with pytest.raises(UnlockError, match=refused):
                await unlock.unlock(TOM, password)
    finally:
        await ws.close()


def _events(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


@pytest.mark.usefixtures("no_keyring")
def test_login_creates_the_store_joins_it_and_unlocks_offline(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "tom.sqlite"
    assert _login(monkeypatch, server, db) == 0
    out = capsys.readouterr().out
    assert "Signed in as" in out
    assert TOM in out
    assert "no secure keyring" in out
    assert _accounts(db)[0][0] == TOM
    server.stop()  # offline from here on
    asyncio.run(_unlock(db, "not the password", "password is wrong"))
    asyncio.run(_unlock(db, PASSWORD, None))


@pytest.mark.usefixtures("no_keyring")
def test_a_wrong_password_creates_nothing(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "laptop" / "tom.sqlite"
    assert _login(monkeypatch, server, db, password="wrong password!") == 2
    assert "e-mail or password is wrong" in capsys.readouterr().err
    assert not db.parent.exists()


def test_a_demo_store_is_never_joined(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["demo", "--db", str(db), "--units", "2", "--months", "1"]) == 0
    before = _events(db)
    assert _login(monkeypatch, server, db) == 2
    err = capsys.readouterr().err
    assert "demo store cannot be signed in" in err
    assert "next step: Start a new store" in err
    assert _accounts(db) == []
    assert _events(db) == before


def test_keyring_sign_in_is_kept_and_logout_ends_it_everywhere(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    os_keyring: DictKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "tom.sqlite"
    assert _login(monkeypatch, server, db) == 0
    assert "kept in the OS keyring" in capsys.readouterr().out
    tokens = {k: v for k, v in os_keyring.data.items() if k[1].startswith("refresh-token:")}
    assert len(tokens) == 1
    assert any(k[1].startswith("device-key:") for k in os_keyring.data)
    assert _run(monkeypatch, "logout", "--db", str(db)) == 0
    assert "Signed out tom@example.com" in capsys.readouterr().out
    assert not any(k[1].startswith("refresh-token:") for k in os_keyring.data)
    assert any(k[1].startswith("device-key:") for k in os_keyring.data)  # the store still works

    refresh = base64.b64decode(next(iter(tokens.values()))).decode()

    async def refused() -> None:
        async with HttpSyncApi(server.url) as api:
            with pytest.raises(AuthExpiredError):
                await api.refresh(refresh)

    asyncio.run(refused())


@pytest.mark.usefixtures("no_keyring")
def test_logout_with_pending_events_refuses_and_force_keeps_them(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "tom.sqlite"
    assert _login(monkeypatch, server, db) == 0
    asyncio.run(_pending_event(db))
    events = _events(db)
    capsys.readouterr()
    assert _run(monkeypatch, "logout", "--db", str(db), "--password-stdin") == 2
    err = capsys.readouterr().err
    assert "1 event" in err
    assert "has not been synced yet" in err
    assert "--force" in err
    assert _accounts(db)[0][0] == TOM
    assert _run(monkeypatch, "logout", "--db", str(db), "--password-stdin", "--force") == 0
    out = capsys.readouterr().out
    assert "1 event stays in this store" in out
    assert _events(db) == events
    assert _accounts(db)[0][0] == TOM  # still joined: the events wait for Tom's next sign-in
    assert _run(monkeypatch, "status", "--db", str(db)) == 0
    assert f"problem: {TOM} signed out of this store." in capsys.readouterr().out
    asyncio.run(_unlock(db, PASSWORD, "has not signed in"))
    assert _login(monkeypatch, server, db) == 0  # Tom again: the same store, events kept
    assert _events(db) == events
    capsys.readouterr()
    assert _run(monkeypatch, "status", "--db", str(db)) == 0
    assert "problem:" not in capsys.readouterr().out


@pytest.mark.usefixtures("no_keyring")
def test_another_user_never_takes_over_a_store(
    tmp_path: Path,
    server: ServerProcess,
    organization: Organization,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "tom.sqlite"
    assert _login(monkeypatch, server, db) == 0
    asyncio.run(_pending_event(db))
    events = _events(db)
    capsys.readouterr()
    assert _login(monkeypatch, server, db, email="jo@example.com") == 2
    err = capsys.readouterr().err
    assert "joined to tom@example.com" in err
    assert "new store" in err
    assert _accounts(db)[0][0] == TOM
    assert _events(db) == events


def test_login_refuses_what_it_cannot_use_safely_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "laptop" / "tom.sqlite"

    def login(server: str, *extra: str, stdin: str = PASSWORD + "\n") -> str:
        argv = ["login", "--server", server, "--email", TOM, "--db", str(db), *extra]
        assert _run(monkeypatch, *argv, stdin=stdin) == 2
        return capsys.readouterr().err

    assert "unencrypted" in login("http://sync.example.com", "--password-stdin")
    assert "no terminal to ask for the password" in login("http://127.0.0.1:1").lower()
    with socket.socket() as idle:  # bound, never listening: the connection is refused
        idle.bind(("127.0.0.1", 0))
        port = idle.getsockname()[1]
        unreachable = login(f"http://127.0.0.1:{port}", "--password-stdin")
    assert "Check the address and the connection" in unreachable
    assert "retries by itself" not in unreachable
    assert not db.parent.exists()
