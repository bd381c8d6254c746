"""Use cases of users: registering people in the organization."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import AuthorizationError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import UserPinSet, UserRegistered
from app.services.common import Created, run
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork
from app.services.profiles import PIN_ROLES, check_pin_text, pin_verifier


async def register_user(
    cmd: RegisterUser, *, ctx: ServiceContext, pin: str | None = None
) -> Created:
    """Register a user (admins and supervisors; only an admin may register an admin).

    A local supervisor or administrator profile gets its ``pin`` in the same transaction, so
    nobody else chooses it at the first switch.
    """
    ctx.actor.require(Role.ADMIN, Role.SUPERVISOR)
    if cmd.role is Role.ADMIN and ctx.actor.role is not Role.ADMIN:
        raise AuthorizationError(
            "Only an administrator can register another administrator.",
            hint="Register the user as a supervisor, or ask an administrator.",
        )
    verifier = None
    if pin is not None:
        if cmd.role not in PIN_ROLES:
            raise ValidationError(
                "Only supervisor and administrator profiles have a PIN.", field="pin"
            )
        check_pin_text(pin)
        verifier = await asyncio.to_thread(pin_verifier, pin)
    user_id = cmd.user_id or ctx.ids.new_id()

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        if await uow.users.get(user_id) is not None:
            raise ValidationError("This user is already registered.", field="user_id")
        for user in await uow.users.list_all():
            if user.email.casefold() == cmd.email.casefold():
                raise ValidationError(
                    f"{cmd.email} is already registered (as {user.display_name}).",
                    field="email",
                    hint="Use another e-mail address, or edit the existing user.",
                )
        payload = UserRegistered(email=cmd.email, display_name=cmd.display_name, role=cmd.role)
        pin_set = [] if verifier is None else [NewEvent(user_id, UserPinSet(verifier=verifier))]
        return [NewEvent(user_id, payload), *pin_set]

    return Created(user_id, await run(ctx, decide))
