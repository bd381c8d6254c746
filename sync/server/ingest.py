"""Push: verify a device's batch, append it to the ledger, fold it, answer per event.

Every event is verified before the ledger is locked: strict canonical bytes, envelope rules,
the claimed hash, the signature by the device's registered key, the organization, device and
author (the signed-in user, so events never travel under another identity), and the chain
links inside the batch. Any failure refuses the whole batch (422, naming the first bad event
and the rule) and changes nothing. Then, in one transaction under the sequencer lock: events
the ledger already holds answer their stored result (idempotent), a gap answers 409 with the
``device_seq`` expected, the same ``event_id`` with other bytes is an integrity error (422), a
second history for a ``device_seq`` is a fork (422, alarm raised); new events are appended,
folded with the shared reducers and answered accepted, conflict or rejected.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError as PydanticValidationError

from app.audit.canonical import parse_canonical
from app.audit.envelope import EventBody, SealedEvent, event_hash, genesis_hash, parse_timestamp
from app.audit.errors import ProfileViolation, Rule
from app.audit.signing import signature_message, verify_signature
from app.domain.errors import SiteSyncError
from app.domain.events import Event, parse_payload
from app.domain.work import ConflictRecord
from sync.protocol import (
    MAX_EVENT_BYTES,
    MAX_PUSH_BYTES,
    MAX_PUSH_EVENTS,
    ConflictInfo,
    EventResult,
    EventStatus,
    PushRequest,
    PushResponse,
    WireEvent,
)
from sync.server.auth.tokens import Claims
from sync.server.db.engine import transaction
from sync.server.deps import Principal, principal_of
from sync.server.errors import ApiError, forbidden, log
from sync.server.ledger import store as ledger
from sync.server.reads import checkpoint_model, consistency_or_none
from sync.server.services import ServerUnits
from sync.server.state import ServerState
from sync.server.store.uow import LedgerConfig, PgUnitOfWork

SPLIT_AT: Final = 32
"""Batches from this size have their signatures checked on two threads."""


@dataclass(frozen=True, slots=True)
class Verified:
    """A pushed event that passed every integrity check; ``event`` None if unreadable."""

    sealed: SealedEvent
    event: Event | None
    reason: str | None


def _integrity(detail: str, rule: str, event_id: str | None = None) -> ApiError:
    return ApiError(
        422,
        "INTEGRITY_ERROR",
        detail,
        hint="The device's log is damaged or was changed; nothing of this batch was stored.",
        rule=rule,
        event_id=event_id,
    )


def _too_large(message: str) -> ApiError:
    return ApiError(413, "TOO_LARGE", message, hint="Send at most 500 events or 1 MiB per push.")


def _check_limits(request: PushRequest) -> None:
    if len(request.events) > MAX_PUSH_EVENTS:
        raise _too_large(
            f"A push holds at most {MAX_PUSH_EVENTS} events, not {len(request.events)}."
        )
    total = 0
    for item in request.events:
        if len(item.canonical) > MAX_EVENT_BYTES:
            raise _too_large(f"An event is at most {MAX_EVENT_BYTES} bytes.")
        total += len(item.canonical)
    if total > MAX_PUSH_BYTES:
        raise _too_large(f"A push holds at most {MAX_PUSH_BYTES} bytes of events, not {total}.")


def check_batch(request: PushRequest, principal: Principal) -> list[Verified]:
    """Check every event's bytes, hash, identity and links (pure; signatures apart)."""
    device = str(request.device_id)
    org = str(principal.organization_id)
    actor = str(principal.user_id)
    verified: list[Verified] = []
    previous: Verified | None = None
    for item in request.events:
        try:
            body = EventBody.from_json(parse_canonical(item.canonical))
        except ProfileViolation as exc:
            raise _integrity(
                f"An event breaks rule '{exc.rule}': {exc.message}", exc.rule
            ) from None
        eid = body.event_id
        if event_hash(item.canonical) != item.hash:
            raise _integrity(
                f"Event {eid}: the hash is not the hash of its bytes.", Rule.EVENT_HASH, eid
            )
        if body.device_id != device:
            raise _integrity(f"Event {eid} was signed for device {body.device_id}.", "device", eid)
        if body.organization_id != org:
            raise _integrity(f"Event {eid} belongs to another organization.", "organization", eid)
        if body.actor_id != actor:
            raise ApiError(
                403,
                "WRONG_AUTHOR",
                f"Event {eid} was written by another user; it can only be sent by its author.",
                hint="Sign in as the person who recorded it.",
                event_id=eid,
            )
        if previous is not None:
            before = previous.sealed.body
            if body.device_seq != before.device_seq + 1:
                raise _integrity(
                    f"Event {eid}: seq {body.device_seq} does not follow {before.device_seq}.",
                    Rule.DEVICE_SEQ_CONTIGUOUS,
                    eid,
                )
            if body.prev_hash != previous.sealed.hash:
                raise _integrity(
                    f"Event {eid}: prev_hash does not link to the event before it.",
                    Rule.PREV_HASH_LINK,
                    eid,
                )
        elif body.device_seq == 1 and body.prev_hash != genesis_hash(device):
            raise _integrity(
                f"Event {eid}: the first event must link to the device's genesis value.",
                Rule.PREV_HASH_LINK,
                eid,
            )
        sealed = SealedEvent(body, item.canonical, item.hash, item.signature)
        current = Verified(sealed, *_readable(body, item.hash))
        verified.append(current)
        previous = current
    return verified


def _verify_signatures(public_key: bytes, items: Sequence[WireEvent]) -> int | None:
    """The position of the first event whose signature fails, or None."""
    for position, item in enumerate(items):
        if not verify_signature(public_key, signature_message(item.hash), item.signature):
            return position
    return None


def start_signature_checks(
    pool: Executor, public_key: bytes, items: Sequence[WireEvent]
) -> Awaitable[list[int | None]]:
    """Check every signature on two threads while the caller goes on (Ed25519 runs without
    the GIL, so both cores work)."""
    half = (len(items) + 1) // 2
    parts = [items[:half], items[half:]] if len(items) >= SPLIT_AT else [items]
    loop = asyncio.get_running_loop()
    return asyncio.gather(
        *(loop.run_in_executor(pool, _verify_signatures, public_key, part) for part in parts)
    )


def first_bad_signature(items: Sequence[WireEvent], found: list[int | None]) -> None:
    """Raise naming the first event whose signature failed."""
    half = (len(items) + 1) // 2
    for offset, bad in zip((0, half), found, strict=False):
        if bad is not None:
            body = parse_canonical(items[offset + bad].canonical)
            event_id = str(body.get("event_id")) if isinstance(body, dict) else None
            raise _integrity(
                f"Event {event_id}: the signature does not verify with the device's key.",
                Rule.SIGNATURE,
                event_id,
            )


@functools.lru_cache(maxsize=1024)
def _uuid(text: str) -> UUID:
    """A UUID parsed once (a batch repeats its organization, author and device)."""
    return UUID(text)


def _readable(body: EventBody, digest: str) -> tuple[Event | None, str | None]:
    """The domain event, or the reason it cannot be read (it is kept, marked rejected)."""
    try:
        payload = parse_payload(body.type, body.type_version, body.payload)
    except SiteSyncError as exc:
        return None, exc.message
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, f"Payload of {body.type} is not valid: {where}: {first['msg']}."
    except KeyError:
        return None, f"No upcaster for {body.type} version {body.type_version}."
    event = Event(
        event_id=UUID(body.event_id),
        organization_id=_uuid(body.organization_id),
        actor_id=_uuid(body.actor_id),
        device_id=_uuid(body.device_id),
        device_seq=body.device_seq,
        entity_type=body.entity_type,
        entity_id=UUID(body.entity_id),
        occurred_at=parse_timestamp(body.occurred_at),
        payload=payload,
        hash=digest,
    )
    return event, None


async def _device_key(conn: asyncpg.Connection, principal: Principal, device_id: UUID) -> bytes:
    row = await conn.fetchrow(
        "SELECT user_id, public_key, revoked_at FROM devices WHERE device_id = $1", device_id
    )
    if row is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            "This device is not registered in your organization.",
            hint="Register it with POST /api/v1/devices.",
        )
    if row["revoked_at"] is not None:
        raise ApiError(
            403,
            "DEVICE_REVOKED",
            "This device was revoked by an administrator; its pushes are refused.",
            hint="Ask an administrator. Events pushed before the revocation stay valid.",
        )
    if row["user_id"] != principal.user_id:
        raise forbidden("This device is registered to another user.")
    return bytes(row["public_key"])


def _conflict_info(record: ConflictRecord) -> ConflictInfo:
    return ConflictInfo(
        conflict_id=record.id,
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        field=record.field,
        kept_value=json.loads(record.kept_value) if record.kept_value is not None else None,
        other_value=json.loads(record.other_value) if record.other_value is not None else None,
        kept_event_id=record.kept_event_id,
        other_event_id=record.other_event_id,
    )


def _status(outcome: str, conflicts: list[ConflictInfo]) -> EventStatus:
    if outcome == "rejected":
        return EventStatus.REJECTED
    return EventStatus.CONFLICT if conflicts else EventStatus.ACCEPTED


class _Fork(Exception):
    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(detail)
        self.seq = seq
        self.detail = detail


async def _stored_results(
    uow: PgUnitOfWork, device_id: UUID, batch: list[Verified]
) -> dict[str, EventResult]:
    """Results of the batch's events the ledger already holds; raise on other bytes or a fork."""
    conn = uow.conn
    ids = [UUID(v.sealed.body.event_id) for v in batch]
    seqs = [v.sealed.body.device_seq for v in batch]
    rows = await conn.fetch(
        "SELECT event_id, device_id, device_seq, hash, ledger_index, status, reason FROM events "
        "WHERE event_id = ANY($1::uuid[]) OR (device_id = $2 AND device_seq = ANY($3::bigint[]))",
        ids,
        device_id,
        seqs,
    )
    by_id = {str(r["event_id"]): r for r in rows}
    by_seq = {int(r["device_seq"]): r for r in rows if r["device_id"] == device_id}
    found: dict[str, EventResult] = {}
    for item in batch:
        body = item.sealed.body
        same_id = by_id.get(body.event_id)
        if same_id is not None and same_id["hash"] != item.sealed.hash:
            raise ApiError(
                422,
                "EVENT_ID_REUSED",
                f"Event {body.event_id} is already in the ledger with other bytes.",
                hint="An event never changes once recorded; nothing of this batch was stored.",
                rule="event-id-reused",
                event_id=body.event_id,
            )
        same_seq = by_seq.get(body.device_seq)
        if same_seq is not None and same_seq["hash"] != item.sealed.hash:
            raise _Fork(
                body.device_seq,
                f"Device {device_id} sent a second history: seq {body.device_seq} is already in "
                f"the ledger with hash {same_seq['hash']}, now with {item.sealed.hash}.",
            )
        if same_id is not None:
            found[body.event_id] = EventResult(
                event_id=UUID(body.event_id),
                device_seq=body.device_seq,
                status=EventStatus.ACCEPTED,  # completed below with the stored outcome
                duplicate=True,
                ledger_index=int(same_id["ledger_index"]),
                reason=same_id["reason"],
            )
    if found:
        stored = await conn.fetch(
            "SELECT doc::text FROM conflicts WHERE kept_event_id = ANY($1::uuid[])",
            [r.event_id for r in found.values()],
        )
        conflicts: dict[UUID, list[ConflictInfo]] = defaultdict(list)
        for (doc,) in stored:
            record = ConflictRecord.model_validate_json(doc)
            conflicts[record.kept_event_id].append(_conflict_info(record))
        statuses = {str(r["event_id"]): r["status"] for r in rows}
        for key, result in list(found.items()):
            infos = sorted(conflicts.get(result.event_id, []), key=lambda c: c.field)
            found[key] = result.model_copy(
                update={"status": _status(statuses[key], infos), "conflicts": infos}
            )
    return found


async def _raise_alarm(state: ServerState, org: UUID, device_id: UUID, detail: str) -> None:
    log.error("device fork in organization %s: %s", org, detail)
    async with transaction(state.engine, org) as conn:
        await conn.execute(
            "INSERT INTO alarms (organization_id, alarm_id, kind, device_id, detail) "
            "VALUES ($1, $2, 'device_fork', $3, $4)",
            org,
            uuid4(),
            device_id,
            detail,
        )


async def push(state: ServerState, claims: Claims, request: PushRequest) -> PushResponse:
    """Verify, append and fold one device's batch; answer per event with the new checkpoint.

    One transaction: the principal and the device key are read, the events verified (the
    ledger is not locked yet), then the ledger is locked, appended to and committed.
    """
    _check_limits(request)
    org = claims.organization_id
    config = LedgerConfig(state.keys, state.settings.ledger_name)
    units = ServerUnits(state.engine, org, config)
    results: list[EventResult] = []
    answer: list[Any] = []
    try:
        async with units.unit() as uow:
            principal = await principal_of(uow.conn, claims)
            key = await _device_key(uow.conn, principal, request.device_id)
            signatures = start_signature_checks(state.verifiers, key, request.events)
            try:
                batch = check_batch(request, principal)
            finally:
                checked = await signatures
            first_bad_signature(request.events, checked)
            now = datetime.now(UTC)
            await uow.lock_ledger()
            await _append(uow, request, batch, results)
            await _seen(uow, request, now)

            async def checkpoint_and_proof(unit: PgUnitOfWork) -> None:
                head = unit.checkpoint or await ledger.latest_checkpoint(
                    unit.conn, org, state.keys.signing, state.settings.ledger_name
                )
                answer.extend(
                    [head, await consistency_or_none(unit.conn, request.known_size, head.size)]
                )

            await uow.commit(then=checkpoint_and_proof)
    except _Fork as fork:
        await _raise_alarm(state, org, request.device_id, fork.detail)
        raise ApiError(
            422,
            "DEVICE_FORK",
            fork.detail,
            hint="This device's log was restored from a backup or copied; an administrator was "
            "alerted. Nothing of this batch was stored.",
            rule=Rule.DEVICE_FORK,
        ) from None
    checkpoint, proof = answer
    skew = (now - request.sent_at).total_seconds() if request.sent_at else None
    return PushResponse(
        results=results,
        checkpoint=checkpoint_model(checkpoint),
        consistency_proof=proof,
        server_time=now,
        clock_skew_seconds=skew,
    )


async def _append(
    uow: PgUnitOfWork, request: PushRequest, batch: list[Verified], results: list[EventResult]
) -> None:
    """Answer events already in the ledger from it; append and fold the new ones."""
    stored = await _stored_results(uow, request.device_id, batch)
    new = [v for v in batch if v.sealed.body.event_id not in stored]
    head = await uow.device_head(request.device_id)
    expected = (head.device_seq if head else 0) + 1
    if new and new[0].sealed.body.device_seq != expected:
        raise ApiError(
            409,
            "SEQUENCE_GAP",
            f"The server expects this device's event {expected} next, not "
            f"{new[0].sealed.body.device_seq}; nothing of this batch was stored.",
            hint=f"Send the device's events again from device_seq {expected}.",
            expected_device_seq=expected,
        )
    await _prefetch(uow, new)
    for item in batch:
        body = item.sealed.body
        done = stored.get(body.event_id)
        if done is not None:
            results.append(done)
            continue
        appended = await uow.append_entry(item.sealed, item.event, item.reason, apply=True)
        infos = [_conflict_info(c) for c in appended.conflicts]
        results.append(
            EventResult(
                event_id=UUID(body.event_id),
                device_seq=body.device_seq,
                status=_status(appended.outcome, infos),
                ledger_index=appended.ledger_index,
                reason=appended.reason,
                conflicts=infos,
            )
        )


async def _prefetch(uow: PgUnitOfWork, new: list[Verified]) -> None:
    by_type: dict[str, set[UUID]] = defaultdict(set)
    for item in new:
        body = item.sealed.body
        by_type[body.entity_type].add(UUID(body.entity_id))
    for entity_type, ids in by_type.items():
        await uow.prefetch(entity_type, ids)


async def _seen(uow: PgUnitOfWork, request: PushRequest, now: datetime) -> None:
    offset: Any = None
    if request.sent_at is not None:
        offset = round((now - request.sent_at).total_seconds() * 1000)
    await uow.conn.execute(
        "UPDATE devices SET last_seen_at = $2, clock_offset_ms = coalesce($3, clock_offset_ms) "
        "WHERE device_id = $1",
        request.device_id,
        now,
        offset,
    )
