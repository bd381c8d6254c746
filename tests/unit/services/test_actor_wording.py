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
            "This needs the technician role; you are signed in as an admin.",
        ),
        (
            Role.TECHNICIAN,
            (Role.SUPERVISOR, Role.ADMIN),
            "This needs the supervisor or admin role; you are signed in as a technician.",
        ),
    ],
)
def test_a_refusal_reads_as_english(role: Role, needed: tuple[Role, ...], message: str) -> None:
    with pytest.raises(AuthorizationError) as refused:
        Actor(UUID(int=1), role).require(*needed)
    assert refused.value.message == message
