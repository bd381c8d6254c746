"""Push: verify a device's batch, append it to the ledger, fold it, answer per event.

Every event is verified in full: strict canonical bytes, envelope rules, the claimed hash,
the organization, device and author (the signed-in user, so events never travel under another
identity) and the chain links inside the batch before the ledger is locked; the signatures by
the device's registered key on other threads meanwhile, awaited before anything is committed
or any finding of the ledger answered. Any failure refuses the whole batch (422, naming the
first bad event and the rule) and changes nothing. Then, in one transaction under the
sequencer lock: events
the ledger already holds answer their stored result (idempotent), a gap answers 409 with the
``device_seq`` expected, the same ``event_id`` with other bytes is an integrity error (422), a
second history for a ``device_seq`` is a fork (422, alarm raised); new events are appended,
folded with the shared reducers and answered accepted, conflict or rejected.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from app.audit.errors import Rule
from app.domain.work import ConflictRecord
from app.services.ports import ChainHead
from sync.protocol import (
    ConflictInfo,
    EventResult,
    EventStatus,
    PushRequest,
    PushResponse,
)
from sync.server.auth.tokens import Claims
from sync.server.db.engine import transaction
from sync.server.deps import Principal, principal_from
from sync.server.errors import ApiError, forbidden, log
from sync.server.ledger import store as ledger
from sync.server.reads import checkpoint_model, consistency_or_none
from sync.server.services import ServerUnits
from sync.server.state import ServerState
from sync.server.store.appender import LedgerConfig
from sync.server.store.uow import PgUnitOfWork
from sync.server.verify import (
    Verified,
    check_batch,
    check_limits,
    first_bad_signature,
    start_signature_checks,
)

_PRINCIPAL_AND_DEVICE = (
    "SELECT a.role, a.active, a.email, u.display_name, "
    "d.device_id AS device, d.user_id AS device_user, d.public_key, d.revoked_at "
    "FROM accounts a LEFT JOIN users u ON u.id = a.user_id "
    "LEFT JOIN devices d ON d.device_id = $2 WHERE a.user_id = $1"
)


async def _principal_and_key(
    conn: asyncpg.Connection, claims: Claims, device_id: UUID
) -> tuple[Principal, bytes]:
    """The signed-in user as the database says now and their device's key (one round trip)."""
    row = await conn.fetchrow(_PRINCIPAL_AND_DEVICE, claims.user_id, device_id)
    principal = principal_from(claims, row)
    assert row is not None
    if row["device"] is None:
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
    if row["device_user"] != principal.user_id:
        raise forbidden("This device is registered to another user.")
    return principal, bytes(row["public_key"])


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


_STORED = (
    "SELECT event_id, device_id, device_seq, hash, ledger_index, status, reason, false AS head "
    "FROM events "
    "WHERE event_id = ANY($1::uuid[]) OR (device_id = $2 AND device_seq = ANY($3::bigint[])) "
    "UNION ALL (SELECT event_id, device_id, device_seq, hash, ledger_index, status, reason, true "
    "FROM events WHERE device_id = $2 ORDER BY device_seq DESC LIMIT 1)"
)


async def _stored_results(
    uow: PgUnitOfWork, device_id: UUID, batch: list[Verified]
) -> dict[str, EventResult]:
    """Results of the batch's events the ledger already holds; raise on other bytes or a fork.

    The same query reads the device's chain head in the ledger (the lock is held)."""
    conn = uow.conn
    ids = [UUID(v.sealed.body.event_id) for v in batch]
    seqs = [v.sealed.body.device_seq for v in batch]
    found_rows = await conn.fetch(_STORED, ids, device_id, seqs)
    rows = [r for r in found_rows if not r["head"]]
    head = next((r for r in found_rows if r["head"]), None)
    uow.ledger.know_device_head(
        device_id, None if head is None else ChainHead(int(head["device_seq"]), head["hash"])
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

    One transaction: the principal and the device key are read, the events checked (the
    ledger is not locked yet), then the ledger is locked, appended to and folded while the
    signatures are still being verified on other threads; nothing is committed, and no
    error of the ledger is answered, before every signature has verified.
    """
    check_limits(request)
    org = claims.organization_id
    config = LedgerConfig(state.keys, state.settings.ledger_name)
    units = ServerUnits(state.engine, org, config)
    results: list[EventResult] = []
    answer: list[Any] = []
    try:
        async with units.unit() as uow:
            principal, key = await _principal_and_key(uow.conn, claims, request.device_id)
            signatures = start_signature_checks(state.verifiers, key, request.events)
            waited = False
            try:
                batch = check_batch(request, principal)
                now = datetime.now(UTC)
                try:
                    await uow.lock_ledger()
                    await _append(uow, request, batch, results)
                except Exception:
                    # A bad signature names the batch before what the ledger found: an
                    # unsigned batch never raises a fork alarm nor learns what is stored.
                    waited = True
                    first_bad_signature(request.events, await signatures)
                    raise
                waited = True
                first_bad_signature(request.events, await signatures)
            finally:
                if not waited:
                    await signatures
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
        results.append(  # built from the server's own values: no validation to pay for
            EventResult.model_construct(
                event_id=item.event.event_id if item.event else UUID(body.event_id),
                device_seq=body.device_seq,
                status=_status(appended.outcome, infos),
                duplicate=False,
                ledger_index=appended.ledger_index,
                reason=appended.reason,
                conflicts=infos,
            )
        )


async def _prefetch(uow: PgUnitOfWork, new: list[Verified]) -> None:
    by_type: dict[str, set[UUID]] = defaultdict(set)
    for item in new:
        by_type[item.sealed.body.entity_type].add(_entity_id(item))
    await uow.prefetch(by_type)


def _entity_id(item: Verified) -> UUID:
    return item.event.entity_id if item.event else UUID(item.sealed.body.entity_id)


async def _seen(uow: PgUnitOfWork, request: PushRequest, now: datetime) -> None:
    """The device was seen now, with its clock offset: with its new head when the push
    appended (the same row written at commit), else here."""
    offset: int | None = None
    if request.sent_at is not None:
        offset = round((now - request.sent_at).total_seconds() * 1000)
    if uow.ledger.pending:
        uow.ledger.note_clock_offset(request.device_id, offset)
        return
    await uow.conn.execute(
        "UPDATE devices SET last_seen_at = $2, clock_offset_ms = coalesce($3, clock_offset_ms) "
        "WHERE device_id = $1",
        request.device_id,
        now,
        offset,
    )
