"""Self-check steps on a store of its own: create and migrate it, sign and verify, prove inclusion.

Everything happens in a temporary folder; the person's stores, keyring and settings are never
touched. The store is a small demo store (its key in a file beside it, as for any demo store),
so the window check afterwards has real records to show.
"""

from __future__ import annotations

import dataclasses
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from uuid import UUID

from app.audit.chain import ChainVerifier, StaticDeviceKeys, StoredEvent
from app.audit.checkpoint import (
    Checkpoint,
    parse_and_verify_checkpoint,
    sign_checkpoint,
    verify_checkpoint_growth,
)
from app.audit.envelope import format_timestamp
from app.audit.errors import AuditError
from app.audit.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    ledger_leaf,
    root_hash,
    verify_inclusion,
)
from app.audit.signing import Ed25519Signer
from app.audit_trail import verify_open_store
from app.bootstrap import Workspace, open_workspace
from app.demo_workspace import create_demo_store
from app.domain.commands import RegisterUser
from app.domain.enums import Role
from app.domain.wording import plural
from app.selfcheck.checks import Check, CheckFailed, describe
from app.services.context import Actor
from app.services.profiles import claim_first_admin_pin, set_profile_pin
from app.services.users import register_user
from app.store import migrate
from app.store.opening import read_only_uri

LOG_NAME: Final = "self-check-log"
LOG_ORIGIN: Final = "sitesync.local/self-check"
SELF_CHECK_EMAIL: Final = "self-check@sitesync.local"


@dataclass(frozen=True, slots=True)
class CheckedStore:
    """The store the checks built, for the window check: where it is and who to sign in as."""

    path: Path
    supervisor_id: UUID
    supervisor_pin: str


def _schema_revision(path: Path) -> str:
    with closing(sqlite3.connect(read_only_uri(path), uri=True)) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return "" if row is None else str(row[0])


async def _create(path: Path) -> str:
    _, events = await create_demo_store(path, units=3, seed=7, as_of=date.today(), months=1)
    revision, head = _schema_revision(path), migrate.head_revision()
    if revision != head:
        raise CheckFailed(f"the new store is at schema {revision!r}, not at the head {head!r}")
    return (
        f"created and migrated to schema {revision} (Alembic); {plural(events, 'event')} recorded"
    )


async def _sign_and_verify(ws: Workspace, pin: str) -> tuple[str, UUID]:
    """Register a supervisor with ``pin`` (the administrator's first, then theirs), verify."""
    admin = await ws.actor()
    ctx = ws.context(Actor(admin.user_id, admin.role, admin.name))
    user_id = ws.ids.new_id()
    command = RegisterUser(
        user_id=user_id, email=SELF_CHECK_EMAIL, display_name="Self-check", role=Role.SUPERVISOR
    )
    await register_user(command, ctx=ctx)
    await claim_first_admin_pin(admin.user_id, pin, ctx=ctx)
    await set_profile_pin(user_id, pin, ctx=ctx)
    report = await verify_open_store(ws.store, full=True)
    events = [event async for event in ws.store.iter_stored_events()]
    newest = events[-1]
    if report.head_hash != newest.hash:
        raise CheckFailed("the verified chain does not end at the event just written")
    forged = dataclasses.replace(newest, signature=bytes(64))
    verifier = ChainVerifier(StaticDeviceKeys(await ws.store.device_keys()))
    try:
        for event in [*events[:-1], forged]:
            verifier.feed(event)
    except AuditError:
        pass
    else:
        raise CheckFailed("a forged signature was accepted")
    detail = (
        f"event {newest.event_id} signed by device {newest.device_id}; chain verified: "
        f"{plural(report.events, 'event')} (bytes, hashes, signatures, links); "
        "a forged signature refused"
    )
    return detail, user_id


def _prove_inclusion(events: list[StoredEvent]) -> str:
    received = format_timestamp(datetime.now(UTC))
    leaves = [
        leaf_hash(ledger_leaf(event.hash, event.signature, index, received))
        for index, event in enumerate(events, start=1)
    ]
    log_key = Ed25519Signer.generate()
    notes = [
        sign_checkpoint(Checkpoint(LOG_ORIGIN, size, root_hash(leaves[:size])), LOG_NAME, log_key)
        for size in (len(leaves) - 1, len(leaves))
    ]
    old, new = (
        parse_and_verify_checkpoint(note, LOG_NAME, log_key.public_key, origin=LOG_ORIGIN)
        for note in notes
    )
    verify_checkpoint_growth(old, new, consistency_proof(old.size, leaves))
    last = len(leaves) - 1
    proof = inclusion_proof(last, leaves)
    verify_inclusion(last, new.size, leaves[last], proof, new.root_hash)
    try:
        verify_inclusion(last, new.size, leaves[last], proof, old.root_hash)
    except AuditError:
        pass
    else:
        raise CheckFailed("an inclusion proof was accepted against the wrong root")
    forged = notes[1].replace(LOG_ORIGIN, LOG_ORIGIN + "x", 1)
    try:
        parse_and_verify_checkpoint(forged, LOG_NAME, log_key.public_key)
    except AuditError:
        pass
    else:
        raise CheckFailed("a checkpoint with altered text was accepted")
    return (
        f"checkpoint of {new.size} leaves signed and verified, grown consistently from "
        f"{old.size}; inclusion proof of the newest event verified ({len(proof)} hashes); "
        "a forged checkpoint and a proof against the wrong root refused"
    )


def _not_tried(*names: str) -> list[Check]:
    return [Check(name, False, "not tried: a step before it failed") for name in names]


async def store_checks(folder: Path) -> tuple[list[Check], CheckedStore | None]:
    """Create, migrate, sign, verify and prove on a store in ``folder``; stop at a failure."""
    path = folder / "self-check.sqlite"
    try:
        created = await _create(path)
    except Exception as exc:
        return [
            Check("store", False, describe(exc)),
            *_not_tried("signed event", "checkpoint"),
        ], None
    checks = [Check("store", True, created)]
    try:
        ws = await open_workspace(path)
    except Exception as exc:
        return [
            *checks,
            Check("signed event", False, describe(exc)),
            *_not_tried("checkpoint"),
        ], None
    try:
        pin = secrets.token_hex(8)
        try:
            signed, supervisor = await _sign_and_verify(ws, pin)
        except Exception as exc:
            failed = Check("signed event", False, describe(exc))
            return [*checks, failed, *_not_tried("checkpoint")], None
        checks.append(Check("signed event", True, signed))
        try:
            events = [event async for event in ws.store.iter_stored_events()]
            checks.append(Check("checkpoint", True, _prove_inclusion(events)))
        except Exception as exc:
            checks.append(Check("checkpoint", False, describe(exc)))
    finally:
        await ws.aclose()
    return checks, CheckedStore(path, supervisor, pin)
