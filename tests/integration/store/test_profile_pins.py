"""A profile's PIN lives in the signed log: removing it by hand does not pass unnoticed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.audit.errors import AuditError
from app.audit_trail import verify_store
from app.bootstrap import StoreFiles
from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import AuthorizationError, ValidationError
from app.domain.events import NewEvent
from app.domain.payloads import UserPinSet
from app.services.common import run
from app.services.context import Actor
from app.services.profiles import (
    claim_first_admin_pin,
    first_pin_open,
    has_pin,
    pin_matches,
    pin_verifier,
    set_profile_pin,
)
from app.services.users import register_user

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def no_keyring() -> object:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


async def test_a_pin_is_checked_and_deleting_it_by_hand_breaks_verification(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD)
    try:
        admin = await ws.actor()
        assert not await has_pin(ws.unit_of_work, admin.user_id)
        await claim_first_admin_pin(admin.user_id, "2468", ctx=ws.context(admin))
        assert await has_pin(ws.unit_of_work, admin.user_id)
        assert await pin_matches(ws.unit_of_work, admin.user_id, "2468")
        assert not await pin_matches(ws.unit_of_work, admin.user_id, "2469")
        assert isinstance(admin, Actor)
    finally:
        await ws.close()
    await verify_store(path)  # intact
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE type = 'user.pin_set'")
    with pytest.raises(AuditError):
        await verify_store(path)


async def test_a_new_store_holds_its_administrators_pin_and_nobody_chooses_it_later(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD, "9753")
    try:
        admin = await ws.actor()
        assert await pin_matches(ws.unit_of_work, admin.user_id, "9753")
        assert not await first_pin_open(ws.unit_of_work, admin.user_id)
        tech = Actor(ws.ids.new_id(), Role.TECHNICIAN, "Tia Tech")
        # a technician, or anyone claiming to be the administrator, cannot choose its PIN
        with pytest.raises(AuthorizationError):
            await claim_first_admin_pin(admin.user_id, "1111", ctx=ws.context(admin))
        with pytest.raises(AuthorizationError):
            await set_profile_pin(admin.user_id, "1111", ctx=ws.context(tech))
        assert await pin_matches(ws.unit_of_work, admin.user_id, "9753")
        # the administrator, signed in with its PIN, sets a supervisor's
        sup = Actor(ws.ids.new_id(), Role.SUPERVISOR, "Sam Super")
        register = RegisterUser(
            user_id=sup.user_id, email="sam@acme.test", display_name=sup.name, role=sup.role
        )
        await register_user(register, ctx=ws.context(admin))
        with pytest.raises(AuthorizationError):
            await claim_first_admin_pin(sup.user_id, "2222", ctx=ws.context(sup))
        await set_profile_pin(sup.user_id, "2222", ctx=ws.context(admin))
        assert await pin_matches(ws.unit_of_work, sup.user_id, "2222")
    finally:
        await ws.close()


async def test_a_store_without_any_pin_lets_its_administrator_set_the_first_one_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD)  # as the command line does
    try:
        admin = await ws.actor()
        sup = Actor(ws.ids.new_id(), Role.SUPERVISOR, "Sam Super")
        register = RegisterUser(
            user_id=sup.user_id, email="sam@acme.test", display_name=sup.name, role=sup.role
        )
        await register_user(register, ctx=ws.context(admin))
        assert await first_pin_open(ws.unit_of_work, admin.user_id)
        assert not await first_pin_open(ws.unit_of_work, sup.user_id)
        with pytest.raises(AuthorizationError):  # an administrator without a PIN sets none
            await set_profile_pin(sup.user_id, "2222", ctx=ws.context(admin))
        await claim_first_admin_pin(admin.user_id, "2468", ctx=ws.context(admin))
        assert not await first_pin_open(ws.unit_of_work, admin.user_id)
        with pytest.raises(AuthorizationError):
            await claim_first_admin_pin(admin.user_id, "1357", ctx=ws.context(admin))
        assert await pin_matches(ws.unit_of_work, admin.user_id, "2468")
    finally:
        await ws.close()


async def test_a_bad_administrator_pin_creates_no_store(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with pytest.raises(ValidationError, match="4 to 64 characters"):
        await StoreFiles().create(path, "Acme Lifts", PASSWORD, "12")
    assert not path.exists()


async def test_an_older_store_whose_supervisor_has_a_pin_lets_its_administrator_set_theirs(
    tmp_path: Path,
) -> None:
    """Older versions let a supervisor choose a PIN at a switch: the administrator is not locked
    out of such a store, and only the administrator chooses theirs."""
    path = tmp_path / "store.sqlite"
    ws = await StoreFiles().create(path, "Acme Lifts", PASSWORD)
    try:
        admin = await ws.actor()
        sup = Actor(ws.ids.new_id(), Role.SUPERVISOR, "Sam Super")
        register = RegisterUser(
            user_id=sup.user_id, email="sam@acme.test", display_name=sup.name, role=sup.role
        )
        await register_user(register, ctx=ws.context(admin))
        verifier = pin_verifier("8642")

        async def older_switch(_uow: object) -> list[NewEvent]:
            # what an older version recorded when the supervisor chose a PIN at a switch
            return [NewEvent(sup.user_id, UserPinSet(verifier=verifier))]

        await run(ws.context(sup), older_switch)
        assert await has_pin(ws.unit_of_work, sup.user_id)
        assert await first_pin_open(ws.unit_of_work, admin.user_id)
        with pytest.raises(AuthorizationError):  # the supervisor cannot take the administrator's
            await claim_first_admin_pin(admin.user_id, "1111", ctx=ws.context(sup))
        await claim_first_admin_pin(admin.user_id, "2468", ctx=ws.context(admin))
        assert not await first_pin_open(ws.unit_of_work, admin.user_id)
        assert await pin_matches(ws.unit_of_work, admin.user_id, "2468")
    finally:
        await ws.close()
