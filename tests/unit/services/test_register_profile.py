"""A supervisor's or administrator's profile is registered with its PIN, in one transaction."""

from __future__ import annotations

from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.errors import ValidationError
from app.services.context import ServiceContext
from app.services.profiles import has_pin, pin_matches
from app.services.users import register_user
from tests.fakes import InMemoryStore
from tests.unit.services.support import refused


async def test_a_supervisor_profile_is_registered_with_its_pin(
    store: InMemoryStore, ctx: ServiceContext
) -> None:
    before = len(store.events)
    cmd = RegisterUser(email="priya@example.com", display_name="Priya Shah", role=Role.SUPERVISOR)
    created = await register_user(cmd, ctx=ctx, pin="4826")
    assert [e.type for e in store.events[before:]] == ["user.registered", "user.pin_set"]
    assert await has_pin(store.unit_of_work, created.id)
    assert await pin_matches(store.unit_of_work, created.id, "4826")
    assert not await pin_matches(store.unit_of_work, created.id, "4827")


async def test_a_bad_pin_or_a_technician_with_a_pin_registers_nobody(
    store: InMemoryStore, ctx: ServiceContext
) -> None:
    short = RegisterUser(email="p@example.com", display_name="Priya", role=Role.SUPERVISOR)
    error = await refused(store, register_user(short, ctx=ctx, pin="12"), ValidationError)
    assert error.message == "A PIN needs 4 to 64 characters (this one has 2)."
    tech = RegisterUser(email="t@example.com", display_name="Tom", role=Role.TECHNICIAN)
    error = await refused(store, register_user(tech, ctx=ctx, pin="2468"), ValidationError)
    assert error.message == "Only supervisor and administrator profiles have a PIN."
