"""PINs of local supervisor and administrator profiles: set once, asked at every switch.

On a store that is not signed in to a server, anyone at the computer could otherwise act as
its administrator. A PIN (or password) guards the profiles that can do more than a technician.
Its argon2id verifier is recorded as a ``user.pin_set`` event, so it is signed and chained like
every other record: removing or editing it by hand breaks the chain, and verification says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

import nacl.exceptions
import nacl.pwhash

from app.domain.enums import Role
from app.domain.errors import AuthorizationError, NotFoundError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import UserPinSet
from app.services.common import run
from app.services.context import Changes, ServiceContext
from app.services.ports import UnitOfWork, UnitOfWorkFactory

PIN_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""The roles whose local profiles need a PIN."""
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 64


def pin_verifier(pin: str) -> str:
    """The argon2id verifier kept for ``pin`` (slow on purpose: run it off the UI thread)."""
    return nacl.pwhash.argon2id.str(
        pin.encode(),
        opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    ).decode()


def _matches(verifier: str, pin: str) -> bool:
    try:
        return bool(nacl.pwhash.verify(verifier.encode(), pin.encode()))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, ValueError):
        return False


def check_pin_text(pin: str) -> None:
    """Raise ValidationError unless ``pin`` can be a PIN."""
    if len(pin) < MIN_PIN_LENGTH or len(pin) > MAX_PIN_LENGTH:
        raise ValidationError(
            f"A PIN needs {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} characters "
            f"(this one has {len(pin)}).",
            field="pin",
            hint="Choose a longer one that colleagues cannot guess.",
        )
    if any(not ch.isprintable() for ch in pin):
        raise ValidationError("A PIN holds letters, digits and signs only.", field="pin")


async def _verifier(uow: UnitOfWork, user_id: UUID) -> str | None:
    found = None
    for event in await uow.events.for_entity(user_id):
        if isinstance(event.payload, UserPinSet):
            found = event.payload.verifier
    return found


async def has_pin(uow_factory: UnitOfWorkFactory, user_id: UUID) -> bool:
    """Whether the profile has a PIN set."""
    async with uow_factory() as uow:
        return await _verifier(uow, user_id) is not None


async def pin_matches(uow_factory: UnitOfWorkFactory, user_id: UUID, pin: str) -> bool:
    """Whether ``pin`` is the profile's PIN (False when it has none)."""
    async with uow_factory() as uow:
        verifier = await _verifier(uow, user_id)
    if verifier is None:
        return False
    return await asyncio.to_thread(_matches, verifier, pin)


async def _admin_pin(uow: UnitOfWork) -> bool:
    """Whether any administrator of the store has a PIN."""
    for user in await uow.users.list_all():
        if user.role is Role.ADMIN and await _verifier(uow, user.id) is not None:
            return True
    return False


async def first_pin_open(uow_factory: UnitOfWorkFactory, user_id: UUID) -> bool:
    """Whether ``user_id`` may choose its own PIN now: an administrator on a store where no
    administrator has a PIN.

    Stores made by the command line, and older ones, start with an administrator without a PIN;
    its first switch sets it (an older store's supervisors may have PINs already: without this,
    nobody could ever give its administrator one). Once an administrator has a PIN, only an
    administrator signed in with theirs sets another's.
    """
    async with uow_factory() as uow:
        user = await uow.users.get(user_id)
        return user is not None and user.role is Role.ADMIN and not await _admin_pin(uow)


async def claim_first_admin_pin(user_id: UUID, pin: str, *, ctx: ServiceContext) -> Changes:
    """Record the administrator's PIN on a store where no administrator has one yet (its first
    switch)."""
    check_pin_text(pin)
    verifier = await asyncio.to_thread(pin_verifier, pin)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFoundError("The profile was not found.", hint="Refresh and try again.")
        if user.role is not Role.ADMIN or ctx.actor.user_id != user_id:
            raise AuthorizationError(
                "Only an administrator chooses their own first PIN, by switching to their profile.",
                hint="Ask an administrator to set this profile's PIN.",
            )
        if await _admin_pin(uow):  # checked in the transaction that records it
            raise AuthorizationError(
                "An administrator of this store has a PIN, so a PIN can no longer be chosen at "
                "a switch.",
                hint="Ask an administrator, signed in with their PIN, to set this profile's PIN.",
            )
        return [NewEvent(user_id, UserPinSet(verifier=verifier))]

    return await run(ctx, decide)


async def set_profile_pin(user_id: UUID, pin: str, *, ctx: ServiceContext) -> Changes:
    """Set a supervisor's or administrator's PIN: only an administrator who has a PIN does."""
    check_pin_text(pin)
    ctx.actor.require(Role.ADMIN)
    verifier = await asyncio.to_thread(pin_verifier, pin)

    async def decide(uow: UnitOfWork) -> Sequence[NewEvent]:
        if await _verifier(uow, ctx.actor.user_id) is None:
            raise AuthorizationError(
                "Only an administrator signed in with their own PIN can set a profile's PIN.",
                hint="Set your own PIN first (switch to your profile), then try again.",
            )
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFoundError("The profile was not found.", hint="Refresh and try again.")
        if user.role not in PIN_ROLES:
            raise ValidationError(
                "Only supervisor and administrator profiles have a PIN.", field="pin"
            )
        return [NewEvent(user_id, UserPinSet(verifier=verifier))]

    return await run(ctx, decide)
