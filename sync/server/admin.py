"""What the administration commands do: create organizations and users."""

from __future__ import annotations

import unicodedata
from uuid import UUID

import asyncpg

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import SiteSyncError
from app.domain.forms import MAX_LINE
from app.ids import Uuid7Generator
from app.services.context import Actor
from sync.server.accounts import create_account
from sync.server.auth.passwords import Passwords
from sync.server.cli_errors import CommandError
from sync.server.db.engine import make_engine, transaction
from sync.server.keys import load_keys
from sync.server.services import SYSTEM_ACTOR, ServerUnits, ensure_server_device, server_context
from sync.server.settings import ServerSettings
from sync.server.store.appender import LedgerConfig


def name_key(name: str) -> str:
    """How organization names are compared: trimmed and case-folded."""
    return " ".join(name.split()).casefold()


def organization_name(name: str) -> str:
    """``name`` as an organization's name is kept (spaces collapsed, NFC); raise if unusable."""
    clean = unicodedata.normalize("NFC", " ".join(name.split()))
    if not clean:
        raise CommandError("An organization needs a name.")
    if any(unicodedata.category(c) == "Cc" for c in clean):
        raise CommandError(
            "An organization's name cannot hold control characters (such as an escape "
            "sequence); type it plainly."
        )
    if len(clean) > MAX_LINE:
        raise CommandError(
            f"An organization's name is at most {MAX_LINE} characters; this one has {len(clean):,}."
        )
    return clean


async def create_organization(url: str, name: str) -> UUID:
    """Create an organization with an empty ledger; its name must be new."""
    clean = organization_name(name)
    org_id = Uuid7Generator().new_id()
    engine = make_engine(url, pool_size=1)
    try:
        async with transaction(engine, org_id) as conn:
            await conn.execute(
                "INSERT INTO organizations (organization_id, name) VALUES ($1, $2)", org_id, clean
            )
            claimed = await conn.fetchval(
                "SELECT sitesync_claim_organization_name($1)", name_key(clean)
            )
            if not claimed:
                raise CommandError(
                    f"An organization named '{clean}' exists already; choose another name."
                )
            await conn.execute("INSERT INTO ledger_heads (organization_id) VALUES ($1)", org_id)
    finally:
        await engine.dispose()
    return org_id


async def find_organization(conn_url: str, org: str) -> UUID:
    """The id of organization ``org`` (an id or a name)."""
    try:
        return UUID(org)
    except ValueError:
        pass
    engine = make_engine(conn_url, pool_size=1)
    try:
        async with transaction(engine, None) as conn:
            found = await conn.fetchval("SELECT sitesync_find_organization($1)", name_key(org))
    finally:
        await engine.dispose()
    if found is None:
        raise CommandError(f"There is no organization named '{org}'; check the name or use its id.")
    return UUID(str(found))


async def create_user(
    url: str,
    settings: ServerSettings,
    *,
    org: str,
    email: str,
    role: str,
    display_name: str | None,
    password: str,
) -> UUID:
    """Create a user who can sign in (their ``user.registered`` event goes to the ledger)."""
    org_id = await find_organization(url, org)
    engine = make_engine(url, pool_size=1)
    try:
        keys = load_keys(settings.keys_dir, current_seed=_seed(settings))
        try:
            device_id = await ensure_server_device(engine, org_id, keys)
        except asyncpg.ForeignKeyViolationError:
            raise CommandError(f"There is no organization with id {org_id}.") from None
        units = ServerUnits(engine, org_id, LedgerConfig(keys, settings.ledger_name))
        ctx = server_context(units, device_id, keys, Actor(SYSTEM_ACTOR, Role.ADMIN, "system"))
        passwords = Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        name = display_name or email.split("@")[0]
        try:
            command = RegisterUser(email=email, display_name=name, role=Role(role))
            created = await create_account(
                command, await passwords.hash(password), ctx=ctx, units=units
            )
        except SiteSyncError as exc:
            raise CommandError(str(exc)) from None
    finally:
        await engine.dispose()
    return created.id


def _seed(settings: ServerSettings) -> str | None:
    return settings.ledger_key.get_secret_value() if settings.ledger_key else None
