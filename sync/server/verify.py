"""Verifying a pushed batch before anything is stored: bytes, hash, identity, links, signatures.

``check_batch`` parses each event strictly (canonical bytes, envelope), checks the claimed hash,
the organization, device and author (the signed-in user, so events never travel under another
identity) and the chain links inside the batch; ``start_signature_checks`` verifies the Ed25519
signatures on two threads meanwhile. The first failure refuses the whole batch (422 naming
the event and the rule). An event that verifies but whose payload this server cannot read is
kept: it will be rejected in the ledger with the reason, so it never wedges the chain.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from pydantic import ValidationError as PydanticValidationError

from app.audit.canonical import parse_canonical
from app.audit.envelope import EventBody, SealedEvent, event_hash, genesis_hash, parse_timestamp
from app.audit.errors import ProfileViolation, Rule
from app.audit.signing import signature_message, verify_signature
from app.domain.authority import refusal
from app.domain.errors import SiteSyncError
from app.domain.events import Event, parse_payload
from sync.protocol import MAX_EVENT_BYTES, MAX_PUSH_BYTES, MAX_PUSH_EVENTS, PushRequest, WireEvent
from sync.server.deps import Principal
from sync.server.errors import ApiError

SPLIT_AT: Final = 32
"""Batches from this size have their signatures checked on two threads."""


@dataclass(frozen=True, slots=True)
class Verified:
    """A pushed event that passed every integrity check; ``event`` None if unreadable."""

    sealed: SealedEvent
    event: Event | None
    reason: str | None
    """Why it is rejected before it is folded (unreadable, or not its author's to record)."""


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


def check_limits(request: PushRequest) -> None:
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
        event, reason = _readable(body, item.hash)
        if event is not None:
            reason = refusal(event.payload, principal.role)
        current = Verified(sealed, event, reason)
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
