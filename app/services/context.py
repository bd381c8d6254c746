"""Who is acting, on which device, with which clock and ids: what every service receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from app.audit.signing import Signer
from app.domain.enums import Role
from app.domain.errors import AuthorizationError
from app.domain.events import Event
from app.domain.wording import with_article
from app.services.ports import Clock, IdGenerator, UnitOfWorkFactory

ROLE_NAMES = {
    Role.TECHNICIAN: "technician",
    Role.SUPERVISOR: "supervisor",
    Role.ADMIN: "administrator",
}
"""Each role as people call it (``admin`` is the administrator)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in person."""

    user_id: UUID
    role: Role
    name: str = ""

    def require(self, *roles: Role) -> None:
        """Raise unless the actor has one of ``roles``, naming who can do it instead."""
        if self.role not in roles:
            allowed = " or ".join(with_article(ROLE_NAMES[r]) for r in roles)
            raise AuthorizationError(
                f"This needs {allowed}; "
                f"you are signed in as {with_article(ROLE_NAMES[self.role])}.",
                hint=f"Ask {allowed} to do it, or switch to their profile (File → Switch profile).",
            )


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """This device: its organization, id and signing key."""

    organization_id: UUID
    device_id: UUID
    signer: Signer


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The dependencies of every service call."""

    actor: Actor
    device: DeviceIdentity
    clock: Clock
    ids: IdGenerator
    uow: UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Changes:
    """What a service call changed: the events it recorded and the entities they touched."""

    events: tuple[Event, ...] = ()
    entities: frozenset[tuple[str, UUID]] = field(default_factory=frozenset)

    @classmethod
    def of(cls, events: list[Event]) -> Changes:
        """Changes made by ``events``."""
        return cls(tuple(events), frozenset((e.entity_type, e.entity_id) for e in events))

    def entity_ids(self, entity_type: str) -> list[UUID]:
        """Ids of the touched entities of one type, in event order, without repeats."""
        seen: dict[UUID, None] = {}
        for event in self.events:
            if event.entity_type == entity_type:
                seen.setdefault(event.entity_id)
        return list(seen)
