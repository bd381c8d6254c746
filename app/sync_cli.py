"""``sitesync sync`` and ``sitesync status``: one sync run, and where a store's sync stands.

Exit codes: 0 the run finished (or the status was shown); 1 the run did not finish (offline,
the server refused something, sign-in needed): the problem and the next step are printed and
kept for the status; 2 bad input (no store, a store not joined to a server).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from app.audit.signing import Ed25519Signer, Signer
from app.bootstrap import blob_dir, device_key_name
from app.config import Settings
from app.domain.errors import SiteSyncError, ValidationError
from app.domain.wording import plural
from app.keystore import KEY_STORAGE_DEMO, key_store_for
from app.store.blobs import FileBlobStore
from app.store.database import Store, StoreMeta, open_store
from sync.client.api import HttpSyncApi
from sync.client.engine import AccessTokens, PasswordTokens, SyncEngine
from sync.client.errors import AuthExpiredError
from sync.client.status import SyncProgress, SyncStatus, SyncSummary, read_sync_status

EXIT_OK, EXIT_FAILED = 0, 1

type Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

SYNC_HELP: Final = """\
Pushes this device's pending events, then pulls and verifies what others recorded. Without a
saved sign-in, pass --password-stdin and type your password. Exit codes: 0 up to date; 1 the
run did not finish (the problem and the next step are printed); 2 bad input."""


def add_parsers(sub: Any) -> None:
    """Add ``sync`` and ``status`` to the ``sitesync`` subcommands (handlers: ``COMMANDS``)."""
    sync = sub.add_parser(
        "sync",
        help="sync a store with its server once",
        epilog=SYNC_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--db", type=Path, help="the store (default: your own store)")
    sync.add_argument(
        "--password-stdin",
        action="store_true",
        help="read your password from standard input to sign in for this run",
    )
    status = sub.add_parser("status", help="show where a store's sync stands")
    status.add_argument("--db", type=Path, help="the store (default: your own store)")


def _path(args: argparse.Namespace) -> Path:
    path: Path = args.db or Settings().user_db
    if not path.exists():
        raise ValidationError(
            f"There is no store at {path}.",
            hint="Sign in first with 'sitesync login --server URL --email EMAIL', or pass "
            "--db with the path of your store.",
        )
    return path


async def signed_in_email(store: Store) -> str | None:
    """The e-mail of the user a store is joined to the server as (None: not joined)."""
    return (await read_sync_status(store)).email


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _progress(update: SyncProgress) -> None:
    total = "?" if update.total is None else str(update.total)
    print(f"\r{update.phase.value}: {update.done}/{total}   ", end="", file=sys.stderr, flush=True)


def _password(password_stdin: bool) -> str:
    if not password_stdin:
        raise AuthExpiredError(
            "No saved sign-in for this store.",
            hint="Run 'sitesync login' again, or 'sitesync sync --password-stdin' and type "
            "your password.",
        )
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationError("No password on standard input.", hint="Type your password.")
    return password


async def device_cosigner(store: Store, password: str | None) -> Signer | None:
    """This device's key, to cosign the checkpoints a run verifies (None: it cannot be read).

    A store created by ``sitesync login`` keeps its key in the OS keyring or sealed under the
    account password; any other key is refused, as is a key that is not the device's
    registered one.
    """
    meta = await store.meta()
    device = meta.get(StoreMeta.DEVICE_ID)
    if device is None:
        return None
    prompt = None if password is None else (lambda: password)
    try:
        keys = key_store_for(store.path, meta.get(StoreMeta.KEY_STORAGE, ""), prompt)
        seed = keys.get(device_key_name(UUID(device)))
    except (SiteSyncError, ValueError):  # a missing keyring, a wrong password
        return None
    if seed is None:
        return None
    signer = Ed25519Signer(seed)
    if (await store.device_keys()).get(device) != signer.public_key:
        return None
    return signer


async def sync_command(args: argparse.Namespace) -> int:
    """``sitesync sync``: one run with progress on stderr and a summary on stdout."""
    path = _path(args)
    store = await open_store(path)
    try:
        status = await read_sync_status(store)
        if not status.joined or status.server_url is None or status.email is None:
            if (await store.meta()).get(StoreMeta.KEY_STORAGE) == KEY_STORAGE_DEMO:
                raise SiteSyncError(
                    f"{path} is a demo store: it never syncs.",
                    hint="To sync your organization, sign in with 'sitesync login --server URL "
                    "--email EMAIL --db NEW.sqlite' (a new store; the demo stays as it is).",
                )
            raise SiteSyncError(
                f"{path} is not joined to a server, so it does not sync.",
                hint="Sign in with 'sitesync login --server URL --email EMAIL'.",
            )
        async with HttpSyncApi(status.server_url) as api:
            try:
                password = _password(args.password_stdin)
            except AuthExpiredError as exc:  # the run cannot start: not bad input
                print(f"problem: {exc.message}", file=sys.stderr)
                print(f"next step: {exc.hint}", file=sys.stderr)
                return EXIT_FAILED
            tokens = PasswordTokens(api, status.email, password)
            cosigner = await device_cosigner(store, password)
            if cosigner is None:
                print(
                    "note: the device key could not be read, so this run checks the ledger "
                    "but does not cosign its checkpoint",
                    file=sys.stderr,
                )
            summary = await run_sync(
                store, api, tokens, FileBlobStore(blob_dir(path)), cosigner=cosigner
            )
    finally:
        await store.close()
    print(file=sys.stderr)
    print(describe_summary(summary))
    if not summary.ok:
        print(f"problem: {summary.problem}", file=sys.stderr)
        if summary.hint:
            print(f"next step: {summary.hint}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


async def run_sync(
    store: Store,
    api: HttpSyncApi,
    tokens: AccessTokens,
    blobs: FileBlobStore,
    *,
    cosigner: Signer | None = None,
) -> SyncSummary:
    """One run of the engine on ``store``, progress to stderr; ``cosigner`` witnesses."""
    engine = SyncEngine(store, api, tokens, blobs=blobs, cosigner=cosigner)
    return await engine.run_once(_progress)


def describe_summary(summary: SyncSummary) -> str:
    """One line on what a run did."""
    state = {"ok": "up to date", "failed": "not finished", "stopped": "stopped"}
    parts = [
        f"sync {state[summary.outcome.value]}:",
        f"pushed {summary.pushed} ({summary.accepted} accepted, {summary.duplicates} already "
        f"there, {summary.rejected} rejected), pulled {summary.pulled},",
        f"{plural(summary.conflicts, 'new conflict')} to review, ledger position {summary.cursor};",
        f"photos and signatures: {summary.blobs_up} up, {summary.blobs_down} down",
    ]
    return " ".join(parts)


async def status_command(args: argparse.Namespace) -> int:
    """``sitesync status``: pending, last sync, cursor, checkpoint, problems."""
    path = _path(args)
    store = await open_store(path)
    try:
        status = await read_sync_status(store)
    finally:
        await store.close()
    print("\n".join(describe_status(status)))
    return EXIT_OK


def describe_status(status: SyncStatus) -> list[str]:
    """The lines ``sitesync status`` prints."""
    if not status.joined:
        return [
            "not joined to a server (this store does not sync)",
            f"events recorded here: {status.pending}",
        ]
    lines = [
        f"server: {status.server_url} as {status.email}",
        f"device: {status.device_id}",
        f"pending: {status.pending}",
        f"last successful sync: {_when(status.last_success_at)}",
        f"ledger position: {status.cursor}",
        f"verified checkpoint: size {status.checkpoint_size}"
        + (f", root {status.checkpoint_root}" if status.checkpoint_root else ""),
    ]
    if status.problem:
        lines.append(f"problem: {status.problem}")
        if status.hint:
            lines.append(f"next step: {status.hint}")
    if status.skew_warning:
        lines.append(f"clock: {status.skew_warning}")
    if status.needs_attention:
        lines.append(f"needs attention: {len(status.needs_attention)}")
        lines.extend(
            f"  {item.type} {item.entity_id} ({item.status}): {item.reason}"
            for item in status.needs_attention
        )
    if status.open_conflicts:
        lines.append(f"conflicts to review: {len(status.open_conflicts)}")
        lines.extend(
            f"  {c.entity_type} {c.entity_id} {c.field}: kept {c.kept_value}, other {c.other_value}"
            for c in status.open_conflicts
        )
    return lines


COMMANDS: Final[dict[str | None, Command]] = {"sync": sync_command, "status": status_command}
"""The handlers of the commands ``add_parsers`` adds."""
