"""Domain events: versioned payload schemas, the recorded-event value, and the type registry.

A payload class declares its event ``TYPE`` (past tense, ``entity.verb_ed``), its schema
``VERSION`` and the ``ENTITY`` type it is about. Old payload versions stay readable through
upcasters registered with :func:`upcaster`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from app.domain.errors import ValidationError
from app.domain.values import DomainModel, UtcDatetime

type JsonObject = dict[str, Any]
type Upcaster = Callable[[JsonObject], JsonObject]

_REGISTRY: dict[str, type[EventPayload]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class EventPayload(DomainModel):
    """The facts of one event, as a versioned schema."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    ENTITY: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:
            if cls.TYPE in _REGISTRY:
                raise TypeError(f"event type {cls.TYPE!r} registered twice")
            _REGISTRY[cls.TYPE] = cls

    def to_json(self) -> JsonObject:
        """The payload as canonical-profile JSON (only fields that were set, for edits)."""
        return self.model_dump(mode="json", exclude_unset=self._partial())

    @classmethod
    def _partial(cls) -> bool:
        return False


class PartialPayload(EventPayload):
    """An attribute edit: carries only the fields it changes."""

    @classmethod
    def _partial(cls) -> bool:
        return True

    def changes(self) -> dict[str, Any]:
        """The changed fields and their new values (Python objects)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning a ``from_version`` payload into the next version."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


def payload_class(event_type: str) -> type[EventPayload]:
    """The current payload schema for ``event_type``."""
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise ValidationError(f"Unknown event type {event_type!r}.", field="type") from None


def parse_payload(event_type: str, version: int, data: JsonObject) -> EventPayload:
    """Validate a stored payload, upcasting older schema versions to the current one."""
    cls = payload_class(event_type)
    if version > cls.VERSION:
        raise ValidationError(
            f"Event {event_type!r} has schema version {version}, newer than this app knows "
            f"({cls.VERSION}).",
            hint="Update SiteSync to read it.",
        )
    while version < cls.VERSION:
        data = _UPCASTERS[(event_type, version)](data)
        version += 1
    return cls.model_validate(data)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a service wants to record, before it is sealed into the device chain."""

    entity_id: UUID
    payload: EventPayload

    @property
    def entity_type(self) -> str:
        return self.payload.ENTITY


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded (sealed, signed, chained) domain event."""

    event_id: UUID
    organization_id: UUID
    actor_id: UUID
    device_id: UUID
    device_seq: int
    entity_type: str
    entity_id: UUID
    occurred_at: datetime
    payload: EventPayload
    hash: str

    @property
    def type(self) -> str:
        return self.payload.TYPE


class Rejection(DomainModel):
    """A recorded event the reducers refused (``EventRejected``): kept in the log with its
    reason, applied to nothing, listed as needing attention."""

    event_id: UUID
    entity_type: str
    entity_id: UUID
    type: str
    reason: str
    occurred_at: UtcDatetime
    actor_id: UUID
    device_id: UUID

    @classmethod
    def of(cls, event: Event, reason: str) -> Rejection:
        """The rejection of ``event`` for ``reason``."""
        return cls(
            event_id=event.event_id,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            type=event.type,
            reason=reason,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            device_id=event.device_id,
        )
