"""``sitesync-server``: run and administer the server.

Exit codes: 0 success, 2 bad input or an error (the message names it and the next step).
Without ``DATABASE_URL`` every command uses the embedded PostgreSQL in the data folder
(started on demand, stopped when the command ends); with it, that database and never another.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError as SettingsError

from sync.server.cli_checks import (
    UNREACHABLE_HINT,
    check_database_url,
    check_listen,
    reason,
    within,
)
from sync.server.cli_errors import CommandError
from sync.server.settings import ServerSettings

OK: Final = 0
ERROR: Final = 2


@dataclass
class Database:
    """Where a command connects: runtime and owner URLs, and the embedded server if any."""

    runtime: str
    owner: str
    embedded: Any = None

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


def _settings() -> ServerSettings:
    try:
        return ServerSettings()
    except SettingsError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise CommandError(f"The server settings are not valid: {problems}") from None


async def _open_database(settings: ServerSettings, *, quiet: bool = False) -> Database:
    if settings.database_url:
        check_database_url(settings.database_url, "DATABASE_URL")
        if settings.admin_database_url:
            check_database_url(settings.admin_database_url, "SITESYNC_ADMIN_DATABASE_URL")
        owner = settings.admin_database_url or settings.database_url
        return Database(settings.database_url, owner)
    from sync.server.embedded import EmbeddedPostgres, prepare

    folder = settings.data_dir / "postgres"
    embedded = EmbeddedPostgres(folder)
    try:
        superuser = await asyncio.to_thread(embedded.start)
        urls = await prepare(superuser, runtime_role=settings.runtime_role)
    except Exception as exc:
        embedded.stop()
        raise CommandError(
            f"The embedded PostgreSQL in {folder} did not start: {exc}. "
            "See its log in that folder, or set DATABASE_URL to use another database."
        ) from exc
    if not quiet:
        print(f"Embedded PostgreSQL: data in {folder}")
    return Database(urls.runtime, urls.owner, embedded)


async def _migrate(db: Database, settings: ServerSettings) -> tuple[str | None, str]:
    from sync.server.db.engine import make_engine
    from sync.server.db.migrate import current_revision, head_revision, upgrade

    engine = make_engine(db.owner, pool_size=1)
    try:
        before = await current_revision(engine)
        await upgrade(engine, settings.runtime_role)
    finally:
        await engine.dispose()
    return before, head_revision()


def _dev_secret(settings: ServerSettings) -> str:
    """The development JWT secret kept in the data folder (made on first use)."""
    path = settings.data_dir / "jwt-secret"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(value + "\n")
    return value


# -- commands ------------------------------------------------------------------------------------


async def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncpg

    settings = _settings()
    db = await _open_database(settings)
    try:
        before, head = await _migrate(db, settings)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(
            f"Cannot migrate the database: {reason(exc)}. {UNREACHABLE_HINT}"
        ) from exc
    finally:
        db.close()
    if before == head:
        print(f"The database schema is already at {head}.")
    else:
        print(f"Migrated the database schema from {before or 'empty'} to {head}.")
    return OK


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    import uvicorn

    from sync.server.keys import ensure_keys

    check_listen(args.host, args.port)
    ensure_keys(settings.keys_dir, ledger_key_given=settings.ledger_key is not None)
    _load_keys(settings)  # a bad key stops here with one line, not in every worker
    db = asyncio.run(_open_database(settings))
    try:
        if db.embedded is not None:
            before, _head = asyncio.run(_migrate(db, settings))
            if before is None:
                _first_start_message()
        else:
            _warn_if_behind(db)
        env = os.environ
        env["SITESYNC_DATABASE_URL"] = db.runtime
        env["SITESYNC_ADMIN_DATABASE_URL"] = db.owner
        if settings.jwt_secret is None:
            if not settings.development:
                raise CommandError("SITESYNC_JWT_SECRET must be set in production.")
            env["SITESYNC_JWT_SECRET"] = _dev_secret(settings)
        env["SITESYNC_LEDGER_KEY_DIR"] = str(settings.keys_dir)
        print(f"Serving on http://{args.host}:{args.port} ({args.workers} worker(s)).")
        # uvicorn shuts down on SIGTERM, then raises the signal again: end the command there,
        # so that the embedded database is stopped too
        signal.signal(signal.SIGTERM, _exit_quietly)
        try:
            uvicorn.run(
                "sync.server.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level=args.log_level,
                proxy_headers=True,
            )
        except SystemExit as stop:  # uvicorn's own exit when the app or the socket fails
            if stop.code:
                raise CommandError(
                    "The server did not start; the messages above say why."
                ) from None
    finally:
        db.close()
    return OK


def _exit_quietly(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def _load_keys(settings: ServerSettings) -> Any:
    from sync.server.keys import load_keys

    seed = settings.ledger_key.get_secret_value() if settings.ledger_key else None
    return load_keys(settings.keys_dir, current_seed=seed)


def _warn_if_behind(db: Database) -> None:
    from sync.server.db.engine import make_engine
    from sync.server.db.migrate import current_revision, head_revision

    async def check() -> str | None:
        engine = make_engine(db.runtime, pool_size=1)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        revision = asyncio.run(check())
    except Exception as exc:
        raise CommandError(f"Cannot reach the database at DATABASE_URL: {exc}.") from exc
    if revision != head_revision():
        print(
            f"Warning: the database schema is at {revision or 'nothing'}, this server needs "
            f"{head_revision()}: run 'sitesync-server migrate' (GET /ready says 503 until then).",
            file=sys.stderr,
        )


def _first_start_message() -> None:
    print(
        "\nThe database was empty and has been set up. Create the first organization and its\n"
        "administrator (in another terminal, while this one serves):\n\n"
        "  uv run sitesync-server create-org 'Acme Lifts'\n"
        "  uv run sitesync-server create-user --org 'Acme Lifts' --email admin@example.com "
        "--role admin\n"
    )


async def cmd_create_org(args: argparse.Namespace) -> int:
    from sync.server.admin import create_organization, organization_name

    settings = _settings()
    db = await _open_database(settings, quiet=True)
    try:
        await _require_schema(db)
        org_id = await create_organization(db.runtime, args.name)
    finally:
        db.close()
    print(f"Created organization '{organization_name(args.name)}' with id {org_id}.")
    print(
        "Next: create its administrator with\n"
        f"  sitesync-server create-user --org {org_id} --email EMAIL --role admin"
    )
    return OK


async def cmd_create_user(args: argparse.Namespace) -> int:
    from sync.server.admin import create_user
    from sync.server.auth.passwords import check_password_strength

    password = _read_password(args.password_stdin)
    problem = check_password_strength(password)
    if problem:
        raise CommandError(problem)
    settings = _settings()
    from sync.server.keys import ensure_keys

    ensure_keys(settings.keys_dir, ledger_key_given=settings.ledger_key is not None)
    db = await _open_database(settings, quiet=True)
    try:
        await _require_schema(db)
        user_id = await create_user(
            db.runtime,
            settings,
            org=args.org,
            email=args.email,
            role=args.role,
            display_name=args.name,
            password=password,
        )
    finally:
        db.close()
    print(f"Created {args.role} {args.email} with id {user_id}; they can sign in now.")
    return OK


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("No password on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for a password: pass --password-stdin and pipe it.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise CommandError("The two passwords differ; nothing was created.")
    return first


async def _require_schema(db: Database) -> None:
    from sync.server.db.engine import make_engine
    from sync.server.db.migrate import current_revision, head_revision

    engine = make_engine(db.runtime, pool_size=1)
    try:
        revision = await current_revision(engine)
    except Exception as exc:
        raise CommandError(f"Cannot reach the database: {reason(exc)}. {UNREACHABLE_HINT}") from exc
    finally:
        await engine.dispose()
    if revision != head_revision():
        raise CommandError(
            f"The database schema is at {revision or 'nothing'}, not {head_revision()}: "
            "run 'sitesync-server migrate' first."
        )


def cmd_rotate_ledger_key(args: argparse.Namespace) -> int:
    from sync.server.keys import ensure_keys, load_keys, new_ledger_key

    settings = _settings()
    folder = settings.keys_dir
    ensure_keys(folder)
    path = new_ledger_key(folder)
    keys = load_keys(folder)
    name = settings.ledger_name
    print(f"New ledger key {path.name}: {keys.current.verifier(name)}")
    print(
        "Restart the server processes to sign with it. New checkpoints carry this key's "
        "signature and every older key's, so devices that pinned an older key keep verifying; "
        "every key stays published at /api/v1/ledger/keys. Keep the old key files."
    )
    return OK


async def cmd_status(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from sync.server.db.engine import make_engine
    from sync.server.db.migrate import current_revision, head_revision
    from sync.server.keys import KeyFileError, ledger_key_files

    settings = _settings()
    print(f"Environment:   {settings.environment}")
    print(f"Data folder:   {settings.data_dir}")
    db = await _open_database(settings, quiet=True)
    try:
        where = "embedded" if db.embedded is not None else "DATABASE_URL"
        shown = make_url(db.runtime).render_as_string(hide_password=True)
        print(f"Database:      {shown} ({where})")
        engine = make_engine(db.runtime, pool_size=1)
        try:
            revision = await current_revision(engine)
        except Exception as exc:
            print(f"Schema:        unreachable ({reason(exc)})")
            print(UNREACHABLE_HINT, file=sys.stderr)
            return ERROR
        finally:
            await engine.dispose()
        state = "at head" if revision == head_revision() else f"needs {head_revision()}"
        print(f"Schema:        {revision or 'empty'} ({state})")
    finally:
        db.close()
    if settings.ledger_key is None and not ledger_key_files(settings.keys_dir):
        print(f"Ledger key:    none yet in {settings.keys_dir}; 'serve' makes one")
        return OK
    try:
        keys = _load_keys(settings)
    except KeyFileError as exc:
        print(f"Ledger key:    not usable ({exc})")
        return ERROR
    print(f"Ledger key:    {keys.current.verifier(settings.ledger_name)}")
    print(f"Ledger keys:   {len(keys.ledger)} in {settings.keys_dir}")
    return OK


# -- parsing -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitesync-server",
        description="Run and administer the SiteSync server. Without DATABASE_URL it uses an "
        "embedded PostgreSQL in its data folder.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the API (migrates an empty embedded database)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port", type=within(1, 65535), default=8000, help="port to listen on (1-65535)"
    )
    serve.add_argument("--workers", type=within(1, 64), default=1, help="server processes (1-64)")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    sub.add_parser("migrate", help="bring the database schema to this version (owner role)")
    org = sub.add_parser("create-org", help="create an organization")
    org.add_argument("name", help="the organization's name")
    user = sub.add_parser("create-user", help="create a user of an organization")
    user.add_argument("--org", required=True, help="organization id or name")
    user.add_argument("--email", required=True, help="their sign-in e-mail address")
    user.add_argument(
        "--role", required=True, choices=["technician", "supervisor", "admin"], help="their role"
    )
    user.add_argument("--name", help="display name (default: the part of the e-mail before @)")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    sub.add_parser("rotate-ledger-key", help="make a new checkpoint-signing key")
    sub.add_parser("status", help="show the database, schema and ledger key in use")
    return parser


_COMMANDS: Final[dict[str, Callable[[argparse.Namespace], Any]]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "create-org": cmd_create_org,
    "create-user": cmd_create_user,
    "rotate-ledger-key": cmd_rotate_ledger_key,
    "status": cmd_status,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sitesync-server``; returns the exit code."""
    args = _parser().parse_args(argv)
    handler = _COMMANDS[args.command]
    try:
        result = handler(args)
        if isinstance(result, Coroutine):
            result = asyncio.run(result)
        return int(result)
    except CommandError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return ERROR
    except KeyboardInterrupt:
        return OK
    except Exception as exc:
        from sync.server.keys import KeyFileError

        if isinstance(exc, KeyFileError):
            print(f"Error: {exc} See docs/OPERATIONS.md, Keys.", file=sys.stderr)
            return ERROR
        from app.domain.errors import SiteSyncError

        if isinstance(exc, SiteSyncError):
            print(f"Error: {exc}", file=sys.stderr)
            return ERROR
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ERROR


if __name__ == "__main__":
    sys.exit(main())
