"""``sitesync login`` and ``sitesync logout``: sign a store in to a server organization, and out.

``login`` signs in online, creates the store when it does not exist yet, registers this device's
public key and joins the store to the user's organization (``sync.client.join``), keeps the
refresh token where the store's key policy says (``sync.client.credentials``) and an offline
unlock verifier of the password (``sync.client.offline_unlock``). ``logout`` ends the sign-in;
with events not yet synced it refuses unless ``--force``, and even then keeps them in the store,
waiting for that user's next sign-in.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from contextlib import suppress
from pathlib import Path
from typing import Final

from app.bootstrap import (
    Workspace,
    create_member_workspace,
    device_key_name,
    open_workspace,
)
from app.cli import printable
from app.config import Settings
from app.domain.errors import SiteSyncError, ValidationError
from app.domain.wording import agreeing, plural
from app.keystore import KEY_STORAGE_DEMO, key_store_for, sealed_key_path
from app.store import StoreMeta
from app.store.sync_state import SyncStateWriter
from app.version import build_info
from sync.client.address import check_server_url
from sync.client.api import HttpSyncApi
from sync.client.credentials import MemoryTokenVault, demo_store_refused, token_vault_for
from sync.client.errors import AuthExpiredError, PermanentSyncError, TransientSyncError
from sync.client.join import join_store
from sync.client.offline_unlock import KnownUser, OfflineUnlock
from sync.client.status import SyncStatus, read_sync_status
from sync.client.tokens import TokenManager

EXIT_OK: Final = 0


def add_account_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``login`` and ``logout`` on the ``sitesync`` command line."""
    login = sub.add_parser(
        "login",
        help="sign in to a server and join a store to your organization",
        description="Sign in with your server account. The store (--db, default your own "
        "store) is created if it does not exist, this device is registered with the server, "
        "and the organization's current data is copied into the store. Afterwards the store "
        "unlocks with your password even offline. Run 'sitesync sync' to sync.",
    )
    login.add_argument("--server", required=True, help="the server's address, https://...")
    login.add_argument("--email", required=True, help="your account's e-mail")
    _store_arguments(login)

    logout = sub.add_parser(
        "logout",
        help="sign a store out of its server",
        description="End this store's sign-in. Events not synced yet stay in the store and "
        "upload at the next sign-in; with any waiting, logout refuses unless --force.",
    )
    _store_arguments(logout)
    logout.add_argument(
        "--force",
        action="store_true",
        help="sign out even with events waiting to sync (they are kept, never dropped)",
    )


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="the store (default: your own store)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of asking for it",
    )


def _out(text: str) -> None:
    print(printable(text), flush=True)


def _password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        raise ValidationError(
            "There is no terminal to ask for the password.",
            field="password",
            hint="Pass it on standard input with --password-stdin.",
        )
    else:
        try:
            password = getpass.getpass(prompt)
        except EOFError:
            password = ""
    if not password:
        raise ValidationError(
            "No password was given.",
            field="password",
            hint="Type the password (or pass it on standard input with --password-stdin).",
        )
    return password


async def login_command(args: argparse.Namespace) -> int:
    """``sitesync login``: sign in, create or open the store, register the device, join."""
    server = check_server_url(args.server, field="server")
    path: Path = args.db or Settings().user_db
    password = await asyncio.to_thread(_password, args, f"Password for {args.email}: ")
    api = HttpSyncApi(server)
    try:
        session = TokenManager(api, MemoryTokenVault())
        try:
            pair = await session.sign_in(args.email, password)
            me = await api.me()
        except TransientSyncError as exc:
            raise TransientSyncError(
                exc.message,
                hint="Check the address and the connection, then sign in again.",
            ) from exc
        created = not await asyncio.to_thread(path.exists)
        if created:
            ws = await create_member_workspace(
                path,
                organization_id=me.organization_id,
                organization_name=me.organization_name,
                password=lambda: password,
            )
        else:
            ws = await open_workspace(path, password=lambda: password)
        try:
            meta = await ws.store.meta()
            if meta.get(StoreMeta.KEY_STORAGE) == KEY_STORAGE_DEMO:
                raise demo_store_refused()
            _check_same_user(path, await read_sync_status(ws.store), me.email, server)
            joined = await join_store(
                ws.store,
                api,
                server_url=server,
                public_key=ws.device.signer.public_key,
                label=f"{getpass.getuser()} on {_host()}",
                app_version=build_info().version,
            )
            vault = token_vault_for(meta[StoreMeta.KEY_STORAGE], ws.device.device_id)
            vault.save(pair.refresh_token)
            async with ws.store.sync_transaction() as db:
                await SyncStateWriter(db).clear_problem("auth")  # signed in again
            known = KnownUser(me.user_id, me.email, me.display_name)
            await OfflineUnlock(ws.store).remember(known, password)
        except BaseException:
            if created:
                await _discard_new_store(ws, password)
            else:
                await ws.close()
            raise
        await ws.close()
    finally:
        await api.aclose()
    _out(f"Signed in as {me.display_name} <{me.email}> ({me.role.value}) on {server}")
    _out(f"  store: {path}" + (" (new)" if created else ""))
    _out(f"  device {ws.device.device_id} registered; organization {me.organization_id}")
    if joined.snapshot_items:
        _out(
            f"  copied {plural(joined.snapshot_items, 'record')} "
            f"at ledger index {joined.snapshot_at}"
        )
    if vault.persistent:
        _out("  sign-in kept in the OS keyring; the store unlocks offline with your password")
    else:
        _out(
            "  no secure keyring on this computer: the sign-in is not kept, so syncing asks "
            "for your password again; the device key is sealed under it"
        )
    _out("Run 'sitesync sync' to sync now.")
    return EXIT_OK


async def logout_command(args: argparse.Namespace) -> int:
    """``sitesync logout``: end the sign-in; pending events are never dropped."""
    path: Path = args.db or Settings().user_db
    if not await asyncio.to_thread(path.exists):
        raise SiteSyncError(f"There is no store at {path}.", hint="Give the store with --db PATH.")
    sealed = await asyncio.to_thread(sealed_key_path(path).exists)
    password = None
    if sealed:
        typed = await asyncio.to_thread(_password, args, "Offline-unlock password: ")
        password = lambda: typed  # noqa: E731
    ws = await open_workspace(path, password=password)
    try:
        status = await read_sync_status(ws.store)
        if not status.joined or status.email is None or status.server_url is None:
            _out(f"{path} is not signed in to a server; nothing to do.")
            return EXIT_OK
        if status.pending and not args.force:
            raise SiteSyncError(
                f"{plural(status.pending, 'event')} in {path} "
                f"{agreeing(status.pending, 'has', 'have')} not been synced yet, so "
                f"{status.email} was not signed out.",
                hint="Run 'sitesync sync' first; or sign out anyway with --force: the events "
                "stay in this store and upload when you sign in again.",
            )
        meta = await ws.store.meta()
        vault = token_vault_for(meta[StoreMeta.KEY_STORAGE], ws.device.device_id)
        reached = await _end_on_server(status.server_url, vault.load())
        vault.clear()
        await OfflineUnlock(ws.store).forget(status.email)
        async with ws.store.sync_transaction() as db:  # what status and the app show now
            await SyncStateWriter(db).update_state(
                problem=f"{status.email} signed out of this store.",
                problem_hint="Sign in with 'sitesync login' to sync again.",
                problem_kind="auth",
            )
    finally:
        await ws.close()
    _out(f"Signed out {status.email} from {status.server_url}.")
    if not reached:
        _out("  the server could not be reached: the sign-in there ends when it expires")
    if status.pending:
        _out(
            f"  {plural(status.pending, 'event')} {agreeing(status.pending, 'stays', 'stay')} "
            "in this store, waiting to upload at "
            f"{status.email}'s next sign-in"
        )
    return EXIT_OK


def _check_same_user(path: Path, status: SyncStatus, email: str, server: str) -> None:
    """Refuse a store joined to another user (or server) before anything is registered."""
    if not status.joined or status.email is None:
        return
    same_server = (status.server_url or "").rstrip("/") == server
    if status.email.casefold() == email.casefold() and same_server:
        return
    waiting = f" ({plural(status.pending, 'event')} waiting to sync)" if status.pending else ""
    raise SiteSyncError(
        f"{path} is joined to {status.email} on {status.server_url}{waiting}; {email} cannot "
        f"sign in to it, so that {status.email}'s events are never sent under another identity. "
        "Nothing was changed.",
        hint=f"Sign in with a new store (choose a new --db path), or as {status.email} on "
        "this one.",
    )


async def _end_on_server(server: str, refresh: str | None) -> bool:
    """End the refresh token's sign-in on the server; False when it could not be reached."""
    if refresh is None:
        return True  # never kept (no secure keyring): nothing to end
    async with HttpSyncApi(server) as api:
        try:
            await api.logout(refresh)
        except (AuthExpiredError, PermanentSyncError):
            return True  # already over there
        except TransientSyncError:
            return False
    return True


async def _discard_new_store(ws: Workspace, password: str) -> None:
    """Remove a store this login created before it failed: its files and its device key."""
    path = ws.path
    mode = (await ws.store.meta()).get(StoreMeta.KEY_STORAGE, "")
    await ws.close()
    with suppress(SiteSyncError):
        key_store_for(path, mode, lambda: password).delete(device_key_name(ws.device.device_id))
    for suffix in ("", "-wal", "-shm"):
        with suppress(OSError):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    with suppress(OSError):
        sealed_key_path(path).unlink(missing_ok=True)


def _host() -> str:
    import platform

    return platform.node() or "this computer"
