"""Event rows: from a sealed event to its row, and from stored bytes back to a domain Event."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, func, select

from app.audit.chain import StoredEvent
from app.audit.envelope import SealedEvent, parse_timestamp
from app.domain.events import Event, parse_payload
from app.store.compiled_sql import Db, compile_sql
from app.store.schema import EventRow

_E = EventRow

SELECT_FOR_ENTITY: Final = compile_sql(
    select(_E.position, _E.canonical, _E.hash)
    .where(_E.entity_id == bindparam("entity_id"), _E.position > bindparam("after"))
    .order_by(_E.position)
    .limit(bindparam("limit"))
)
SELECT_STORED: Final = compile_sql(
    select(
        _E.position,
        _E.event_id,
        _E.device_id,
        _E.device_seq,
        _E.prev_hash,
        _E.hash,
        _E.signature,
        _E.canonical,
        _E.entity_type,
        _E.entity_id,
        _E.type,
        _E.type_version,
        _E.occurred_at,
        _E.actor_id,
    )
    .where(_E.position > bindparam("after"))
    .order_by(_E.position)
    .limit(bindparam("limit"))
)
SELECT_LINKS: Final = compile_sql(
    select(_E.position, _E.event_id, _E.device_id, _E.device_seq, _E.prev_hash, _E.hash)
    .where(_E.position > bindparam("after"))
    .order_by(_E.position)
    .limit(bindparam("limit"))
)
SELECT_DECODABLE: Final = compile_sql(
    select(_E.position, _E.canonical, _E.hash)
    .where(_E.position > bindparam("after"))
    .order_by(_E.position)
    .limit(bindparam("limit"))
)
COUNT_EVENTS: Final = compile_sql(select(func.count()).select_from(_E))


def event_row(sealed: SealedEvent) -> tuple[Any, ...]:
    """The ``events`` row of a sealed event, in ``EVENT_COLUMNS`` order (``INSERT_EVENT``)."""
    body = sealed.body
    return (
        body.event_id,
        body.device_id,
        body.device_seq,
        body.prev_hash,
        sealed.hash,
        sealed.signature,
        sealed.canonical,
        body.entity_type,
        body.entity_id,
        body.type,
        body.type_version,
        body.occurred_at,
        body.actor_id,
    )


def decode_event(canonical: bytes, hash: str) -> Event:
    """The domain event in stored canonical bytes (older payload versions are upcast)."""
    return _event(json.loads(canonical), hash)


def event_of_body(body: dict[str, Any], hash: str) -> Event:
    """The domain event in canonical bytes already parsed as JSON (``decode_event``)."""
    return _event(body, hash)


def _event(body: dict[str, Any], hash: str) -> Event:
    return Event(
        event_id=UUID(body["event_id"]),
        organization_id=UUID(body["organization_id"]),
        actor_id=UUID(body["actor_id"]),
        device_id=UUID(body["device_id"]),
        device_seq=body["device_seq"],
        entity_type=body["entity_type"],
        entity_id=UUID(body["entity_id"]),
        occurred_at=parse_timestamp(body["occurred_at"]),
        payload=parse_payload(body["type"], body["type_version"], body["payload"]),
        hash=hash,
    )


async def stored_events(db: Db, *, batch: int, content: bool = True) -> AsyncGenerator[StoredEvent]:
    """Every event in local order, ``batch`` rows per query (memory stays bounded).

    Without ``content`` only the chain links are read (signature and canonical bytes empty);
    with it, also the columns kept beside the signed bytes, which verification checks.
    """
    after = 0
    query = SELECT_STORED if content else SELECT_LINKS
    while True:
        rows = await db.run(query, {"after": after, "limit": batch})
        for row in rows:
            if content:
                yield StoredEvent(*row[1:])
            else:
                _, event_id, device_id, seq, prev_hash, digest = row
                yield StoredEvent(event_id, device_id, seq, prev_hash, digest, b"", b"")
        if len(rows) < batch:
            return
        after = rows[-1][0]


async def decoded_events(db: Db, *, batch: int) -> AsyncGenerator[tuple[Event, list[str]]]:
    """Every event in local order with its ``entity_parents``, paged like ``stored_events``."""
    after = 0
    while True:
        rows = await db.run(SELECT_DECODABLE, {"after": after, "limit": batch})
        for _, canonical, hash in rows:
            body = json.loads(canonical)
            yield _event(body, hash), body["entity_parents"]
        if len(rows) < batch:
            return
        after = rows[-1][0]


async def entity_events(db: Db, entity_id: UUID, *, batch: int = 1000) -> AsyncGenerator[Event]:
    """One entity's events in the order they were recorded, paged."""
    after = 0
    while True:
        values = {"entity_id": str(entity_id), "after": after, "limit": batch}
        rows = await db.run(SELECT_FOR_ENTITY, values)
        for _, canonical, hash in rows:
            yield decode_event(canonical, hash)
        if len(rows) < batch:
            return
        after = rows[-1][0]


async def count_events(db: Db) -> int:
    """How many events the log holds."""
    rows = await db.run(COUNT_EVENTS)
    return int(rows[0][0])


async def recent_events(db: Db, limit: int) -> list[Event]:
    """The newest ``limit`` events of the log, oldest first."""
    rows = await db.fetchall(
        "SELECT canonical, hash FROM events ORDER BY position DESC LIMIT ?", (limit,)
    )
    return [decode_event(canonical, hash) for canonical, hash in reversed(rows)]
