"""Users as the server keeps them: the ``user`` events (through the services) and sign-in data.

Creating, changing or disabling a user is one transaction: the event the use case records and
the account row (password hash, role, active flag, the sign-in address) commit together.
Disabling a user also revokes their refresh tokens: they cannot sign in or call anything while
disabled. Their devices stay registered, so what they recorded meanwhile goes in once they are
enabled and sign in again; revoking a device (a lost laptop) is a separate, final step.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import NotFoundError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import UserUpdated
from app.services.common import Created, run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork
from app.services.users import register_user
from sync.server.services import ServerUnits
from sync.server.store.uow import PgUnitOfWork


def email_key(email: str) -> str:
    """How sign-in addresses are compared: trimmed and case-folded."""
    return email.strip().casefold()


async def create_account(
    cmd: RegisterUser, password_hash: str, *, ctx: ServiceContext, units: ServerUnits
) -> Created:
    """Register the user (an event) and their sign-in account, in one transaction."""
    key = email_key(cmd.email)

    async def account(uow: PgUnitOfWork) -> None:
        user = await uow.users.list_all()
        found = next((u for u in user if email_key(u.email) == key), None)
        if found is None:
            return
        claimed = await uow.conn.fetchval("SELECT sitesync_claim_login($1, $2)", key, found.id)
        if not claimed:
            raise ValidationError(
                f"{cmd.email} already signs in to SiteSync.",
                field="email",
                hint="Use another e-mail address.",
            )
        await uow.conn.execute(
            "INSERT INTO accounts (organization_id, user_id, email, email_key, password_hash, "
            "role) VALUES ($1, $2, $3, $4, $5, $6)",
            uow.org,
            found.id,
            cmd.email.strip(),
            key,
            password_hash,
            cmd.role.value,
        )

    hooked = ServerUnits(units.engine, units.org, units.config, units.clock, before_commit=account)
    context = ServiceContext(ctx.actor, ctx.device, ctx.clock, ctx.ids, hooked)
    return await register_user(cmd, ctx=context)


async def update_account(
    user_id: UUID,
    *,
    display_name: str | None,
    role: Role | None,
    active: bool | None,
    ctx: ServiceContext,
    units: ServerUnits,
) -> Changes:
    """Change a user's name, role or active flag (administrators only)."""
    ctx.actor.require(Role.ADMIN)
    if user_id == ctx.actor.user_id and (active is False or (role and role is not Role.ADMIN)):
        raise ValidationError(
            "You cannot disable yourself or take away your own administrator role.",
            hint="Ask another administrator to do it.",
        )

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFoundError("The user was not found.")
        changes: dict[str, object] = {}
        if display_name is not None and display_name.strip() != user.display_name:
            changes["display_name"] = display_name.strip()
        if role is not None and role is not user.role:
            changes["role"] = role
        if active is not None and active != user.active:
            changes["active"] = active
        return [NewEvent(user_id, UserUpdated(**changes))] if changes else []

    async def account(uow: PgUnitOfWork) -> None:
        conn = uow.conn
        if role is not None:
            await conn.execute(
                "UPDATE accounts SET role = $2 WHERE user_id = $1", user_id, role.value
            )
        if active is False:
            await conn.execute(
                "UPDATE accounts SET active = false, disabled_at = now() WHERE user_id = $1",
                user_id,
            )
            await conn.execute(
                "UPDATE refresh_tokens SET revoked_at = now() "
                "WHERE user_id = $1 AND revoked_at IS NULL",
                user_id,
            )
        elif active is True:
            await conn.execute(
                "UPDATE accounts SET active = true, disabled_at = NULL WHERE user_id = $1",
                user_id,
            )

    hooked = ServerUnits(units.engine, units.org, units.config, units.clock, before_commit=account)
    context = ServiceContext(ctx.actor, ctx.device, ctx.clock, ctx.ids, hooked)
    return await run(context, decide)
