"""A refusal names the role the person holds with the right article."""

from __future__ import annotations

from uuid import UUID

import pytest

from app.domain.enums import Role
from app.domain.errors import AuthorizationError
from app.services.context import Actor


@pytest.mark.parametrize(
    ("role", "needed", "message"),
    [
        (
            Role.ADMIN,
            (Role.TECHNICIAN,),
            "This needs a technician; you are signed in as an administrator.",
        ),
        (
            Role.TECHNICIAN,
            (Role.SUPERVISOR, Role.ADMIN),
            "This needs a supervisor or an administrator; you are signed in as a technician.",
        ),
    ],
)
def test_a_refusal_reads_as_english(role: Role, needed: tuple[Role, ...], message: str) -> None:
    with pytest.raises(AuthorizationError) as refused:
        Actor(UUID(int=1), role).require(*needed)
    assert refused.value.message == message


def test_a_refusal_says_who_can_do_it() -> None:
    with pytest.raises(AuthorizationError) as refused:
        Actor(UUID(int=1), Role.SUPERVISOR).require(Role.ADMIN)
    assert refused.value.message == (
        "This needs an administrator; you are signed in as a supervisor."
    )
    assert refused.value.hint == (
        "Ask an administrator to do it, or switch to their profile (File → Switch profile)."
    )
