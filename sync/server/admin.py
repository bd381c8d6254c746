"""What the administration commands do: create organizations and users."""

from __future__ import annotations

from uuid import UUID

from app.ids import Uuid7Generator
from sync.server.cli_errors import CommandError
from sync.server.db.engine import make_engine, transaction


def name_key(name: str) -> str:
    """How organization names are compared: trimmed and case-folded."""
    return " ".join(name.split()).casefold()


async def create_organization(url: str, name: str) -> UUID:
    """Create an organization with an empty ledger; its name must be new."""
    clean = " ".join(name.split())
    if not clean:
        raise CommandError("An organization needs a name.")
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


async def create_user(url: str, settings: object, **fields: object) -> UUID:
    """Create a user: not available until the ledger records the user's event."""
    raise CommandError("Creating users is not available in this build yet.")
