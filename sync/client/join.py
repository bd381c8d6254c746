"""Joining a store to a server organization, and bootstrapping it from the snapshot.

``join_store`` takes an open store with its own device identity and an API with a signed-in
user: it refuses a demo store (demo events never reach a real organization) and a store of
another organization or user, registers the device key, pins the server's ledger key, and
(for a store that has not synced yet) copies the organization's projections from the snapshot
at a signed ledger index, proved by an inclusion proof of its last entry. Then the engine pulls
from there. Everything the snapshot brings is written in one transaction with the account.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from app.audit.checkpoint import Checkpoint, parse_and_verify_checkpoint, parse_checkpoint_body
from app.audit.errors import AuditError
from app.audit.merkle import CompactMerkleTree
from app.domain.work import ConflictRecord
from app.keystore import KEY_STORAGE_DEMO
from app.store.compiled_sql import Db
from app.store.database import Store, StoreMeta
from app.store.mapping import ENTITY_MAPPINGS, STATUS_CHANGES
from app.store.sync_fold import refold_entities
from app.store.sync_state import ConflictValues, SyncAccount, SyncStateWriter
from app.store.write_behind import UPSERT_ENTITY_HEAD
from sync.client.api import SyncApi
from sync.client.errors import IntegrityError, SyncError
from sync.client.verify import frontier_bytes, refused, tree_from_last_leaf
from sync.protocol import DeviceRegistration, LedgerKey, Me, SnapshotItem, SnapshotPage

SNAPSHOT_PAGE: Final = 1000


class JoinRefused(SyncError):
    """This store may not be joined to that server account."""


@dataclass(frozen=True, slots=True)
class JoinResult:
    """A joined store: the account, and what the snapshot brought."""

    account: SyncAccount
    snapshot_at: int
    snapshot_items: int


async def join_store(
    store: Store,
    api: SyncApi,
    *,
    server_url: str,
    public_key: bytes,
    label: str = "",
    app_version: str = "",
) -> JoinResult:
    """Join ``store`` (its own device and key) to the signed-in user's organization."""
    me = await api.me()
    meta = await store.meta()
    _check_store(store, meta, me)
    device_id = meta[StoreMeta.DEVICE_ID]
    async with store.sync_transaction() as db:
        state = SyncStateWriter(db)
        joined = await state.account()
        cursor = (await state.state()).cursor
    if joined is not None:  # refused here, before the server hears of another identity
        _check_same_account(joined, me, server_url)
    await api.register_device(
        DeviceRegistration(
            device_id=UUID(device_id),
            public_key=public_key,
            label=label[:200],
            app_version=app_version[:50],
        )
    )
    if joined is not None:
        await _name_organization(store, meta, me)
        return JoinResult(joined, cursor, 0)
    key = _current_key(await api.ledger_keys())
    first = await api.snapshot(limit=SNAPSHOT_PAGE)
    checkpoint = _verify(first, key)
    account = SyncAccount(
        server_url=server_url,
        organization_id=str(me.organization_id),
        user_id=str(me.user_id),
        email=me.email,
        device_id=device_id,
        ledger_origin=checkpoint.origin,
        ledger_key_name=key.name,
        ledger_public_key=key.public_key,
        joined_at=datetime.now(UTC),
    )
    tree = CompactMerkleTree()
    if checkpoint.size:
        proof = await api.inclusion_proof(checkpoint.size, checkpoint.size)
        if proof.tree_size != checkpoint.size:
            raise refused(f"an inclusion proof for the tree of {proof.tree_size} was sent")
        tree = tree_from_last_leaf(
            checkpoint.size, proof.leaf, list(proof.proof), checkpoint.root_hash
        )
    items = list(first.items)
    page = first
    while page.next_cursor is not None:
        page = await api.snapshot(at=first.at, cursor=page.next_cursor, limit=SNAPSHOT_PAGE)
        items.extend(page.items)
    async with store.sync_transaction() as db:
        state = SyncStateWriter(db)
        await state.set_account(account)
        await _write_snapshot(db, account, items, first.at)
        await state.update_state(
            cursor=tree.size,
            checkpoint_size=tree.size,
            checkpoint_root=tree.root(),
            checkpoint_note=first.checkpoint.note,
            frontier=frontier_bytes(tree),
        )
        pending = await db.fetchall(
            "SELECT DISTINCT entity_id FROM events WHERE device_id = ?", (device_id,)
        )
        await refold_entities(db, [str(row[0]) for row in pending])
    await store.set_meta({StoreMeta.ORGANIZATION_ID: str(me.organization_id)})
    await _name_organization(store, meta, me)
    return JoinResult(account, tree.size, len(items))


async def _name_organization(store: Store, meta: dict[str, str], me: Me) -> None:
    """Give a store that has no organization name yet the server's name for it."""
    if me.organization_name and not meta.get(StoreMeta.ORGANIZATION_NAME):
        await store.set_meta({StoreMeta.ORGANIZATION_NAME: me.organization_name})


def _check_store(store: Store, meta: dict[str, str], me: Me) -> None:
    if StoreMeta.DEVICE_ID not in meta:
        raise JoinRefused(f"{store.path} is not a SiteSync store (it has no device identity).")
    if meta.get(StoreMeta.KEY_STORAGE) == KEY_STORAGE_DEMO:
        raise JoinRefused(
            f"{store.path} is a demo store: its made-up events must never reach a real "
            "organization, so it cannot be joined to a server.",
            hint="Sign in with a new store instead (choose a new --db path); the demo stays "
            "as it is.",
        )
    organization = meta.get(StoreMeta.ORGANIZATION_ID)
    if organization is not None and organization != str(me.organization_id):
        raise JoinRefused(
            f"{store.path} belongs to another organization ({organization}) than the one "
            f"{me.email} signs in to ({me.organization_id}); nothing was changed.",
            hint="Sign in with a new store for that organization (choose a new --db path).",
        )


def _check_same_account(joined: SyncAccount, me: Me, server_url: str) -> None:
    if joined.user_id != str(me.user_id) or joined.server_url.rstrip("/") != server_url.rstrip("/"):
        raise JoinRefused(
            f"This store is joined to {joined.email} on {joined.server_url}; {me.email} on "
            f"{server_url} cannot use it, so that the earlier user's events are never sent "
            "under another identity.",
            hint="Sign in with a new store (choose a new --db path), or as "
            f"{joined.email} on this one.",
        )


def _current_key(keys: Iterable[LedgerKey]) -> LedgerKey:
    for key in keys:
        if key.current:
            return key
    raise IntegrityError(
        "The server lists no current ledger key, so its ledger cannot be verified.",
        hint="Ask the server's administrator to check its keys.",
    )


def _verify(page: SnapshotPage, key: LedgerKey) -> Checkpoint:
    try:
        origin = parse_checkpoint_body(page.checkpoint.note.split("\n\n")[0] + "\n").origin
        checkpoint = parse_and_verify_checkpoint(
            page.checkpoint.note, key.name, key.public_key, origin=origin
        )
    except AuditError as exc:
        raise refused("the snapshot's checkpoint is not signed by the server's key", exc) from None
    if checkpoint.size != page.at:
        raise refused(
            f"the snapshot claims index {page.at} under a checkpoint of {checkpoint.size}"
        )
    return checkpoint


async def _write_snapshot(db: Db, account: SyncAccount, items: list[SnapshotItem], at: int) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    devices: list[tuple[Any, ...]] = []
    heads: list[tuple[str, int, str]] = []
    bases: list[tuple[str, str, str, str, str | None]] = []
    entity_heads: list[tuple[str, str]] = []
    conflicts: list[ConflictValues] = []
    resolved: list[tuple[str, str]] = []
    by_mapping: dict[str, list[tuple[Any, ...]]] = {}
    status_changes: list[tuple[Any, ...]] = []
    for item in items:
        if item.kind == "device":
            data = item.data
            devices.append(
                (item.key, base64.b64decode(data["public_key"]), account.organization_id, now)
            )
            if data.get("head_hash") and item.key != account.device_id:
                heads.append((item.key, int(data["head_seq"]), str(data["head_hash"])))
        elif item.kind == "status_change":
            change = STATUS_CHANGES.model.model_validate(item.data)
            status_changes.append(STATUS_CHANGES.values(change))
        elif item.kind == "conflict":
            record = ConflictRecord.model_validate(item.data)
            conflicts.append(_conflict(record))
            if record.resolution_event_id is not None:
                resolved.append((str(record.id), str(record.resolution_event_id)))
        elif item.kind in ENTITY_MAPPINGS:
            mapping = ENTITY_MAPPINGS[item.kind]
            model = mapping.model.model_validate(item.data)
            by_mapping.setdefault(item.kind, []).append(mapping.values(model))
            hashes = json.dumps(sorted(item.heads))
            folded = None if item.state is None else json.dumps(item.state)
            bases.append((item.key, item.kind, model.model_dump_json(), hashes, folded))
            entity_heads.append((item.key, hashes))
    await db.executemany(
        "INSERT INTO devices (device_id, public_key, organization_id, label, created_at, "
        "is_local) VALUES (?, ?, ?, '', ?, 0) ON CONFLICT (device_id) DO NOTHING",
        devices,
    )
    await db.executemany(
        "INSERT INTO device_heads (device_id, device_seq, hash) VALUES (?, ?, ?) "
        "ON CONFLICT (device_id) DO UPDATE SET device_seq = excluded.device_seq, "
        "hash = excluded.hash",
        heads,
    )
    await db.executemany(  # where verification starts each chain: see sync_snapshot_heads
        "INSERT OR REPLACE INTO sync_snapshot_heads (device_id, device_seq, hash, ledger_index) "
        "VALUES (?, ?, ?, ?)",
        [(device, seq, digest, at) for device, seq, digest in heads],
    )
    for kind, rows in by_mapping.items():
        await db.executemany(ENTITY_MAPPINGS[kind].upsert.text, rows)
    await db.executemany(STATUS_CHANGES.upsert.text, status_changes)
    await db.executemany(
        "INSERT OR REPLACE INTO sync_bases (entity_id, entity_type, doc, heads, state) "
        "VALUES (?, ?, ?, ?, ?)",
        bases,
    )
    await db.executemany(UPSERT_ENTITY_HEAD.text, entity_heads)
    state = SyncStateWriter(db)
    await state.record_conflicts(conflicts)
    await state.resolve_conflicts(resolved)


def _conflict(record: ConflictRecord) -> ConflictValues:
    return ConflictValues(
        conflict_id=str(record.id),
        entity_type=record.entity_type,
        entity_id=str(record.entity_id),
        field=record.field,
        kept_value=record.kept_value or "null",
        other_value=record.other_value or "null",
        kept_event_id=str(record.kept_event_id),
        other_event_id=str(record.other_event_id),
        kept_hash="",
        other_hash="",
    )
