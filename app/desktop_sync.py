"""Sync for the desktop app: the engine, the sign-in and the scheduler behind ``SyncPort``.

The window sees sync only through ``app.ui.sync.port.SyncPort``; this module builds it from
``sync.client`` for an open workspace. Everything here runs on the core worker's loop, where
the store lives: the scheduler's runs, sign-in (with its argon2id verifier, off the loop in a
thread), resolving a conflict through the services.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import platform
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Final
from uuid import UUID

from app.bootstrap import Workspace, create_member_workspace, open_workspace
from app.desktop_evidence import export_evidence
from app.domain.errors import NotFoundError, SiteSyncError
from app.domain.wording import slug
from app.keystore import KEY_STORAGE_DEMO, KEY_STORAGE_PASSWORD
from app.services.conflict_resolution import KeepValue, keep_value
from app.services.context import Actor, Changes
from app.services.ports import KeyStore
from app.store import StoreMeta
from app.store.sync_history import ledger_status, recent_runs
from app.store.sync_state import SyncStateWriter
from app.ui.sync.port import (
    AnchorState,
    Choice,
    EventAnchor,
    EvidenceExport,
    SignedIn,
    SyncListener,
    SyncRun,
)
from app.version import build_info
from sync.client.api import HttpSyncApi, SyncApi
from sync.client.credentials import MemoryTokenVault, TokenVault, token_vault_for
from sync.client.engine import SyncEngine
from sync.client.errors import TransientSyncError
from sync.client.join import join_store
from sync.client.ledger_proofs import SessionProofs
from sync.client.offline_unlock import KnownUser, OfflineUnlock, UnlockError
from sync.client.scheduler import ScheduleSettings, SyncScheduler
from sync.client.status import SyncStatus, SyncSummary, read_sync_status
from sync.client.tokens import SessionState, TokenManager
from sync.protocol import Me

SIGNED_OUT: Final = "Signed out of the server."

log = logging.getLogger(__name__)


class SessionVaults:
    """Refresh tokens of stores without a secure keyring, kept in memory for this process.

    Such a store never writes its token anywhere; keeping it here for the life of the app means a
    store reopened in the same window (or opened by a sign-in) goes on syncing without asking for
    the password again. The password that unlocked a store at opening waits here too, only until
    sync has signed in with it: one prompt unlocks the store and its sync.
    """

    def __init__(self) -> None:
        self._vaults: dict[str, MemoryTokenVault] = {}
        self._passwords: dict[str, str] = {}

    def vault(self, device_id: object) -> MemoryTokenVault:
        return self._vaults.setdefault(str(device_id), MemoryTokenVault())

    def remember_password(self, device_id: object, password: str) -> None:
        """Keep the password that unlocked a store, until sync signed in with it."""
        self._passwords[str(device_id)] = password

    def password(self, device_id: object) -> str | None:
        return self._passwords.get(str(device_id))

    def forget_password(self, device_id: object) -> None:
        self._passwords.pop(str(device_id), None)


def _slug(text: str) -> str:
    return slug(text)[:40].strip("-") or "store"


class DesktopSync:
    """``SyncPort`` for one open workspace (see ``app.ui.sync.port``)."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        stores_dir: Path,
        demo: bool,
        keyring: KeyStore | None = None,
        schedule: ScheduleSettings | None = None,
        vaults: SessionVaults | None = None,
    ) -> None:
        self.ws = workspace
        self._vaults = vaults or SessionVaults()
        self.stores_dir = stores_dir
        self._demo = demo
        self._keyring = keyring
        self._schedule = schedule
        self._listener: SyncListener | None = None
        self._api: SyncApi | None = None
        self._tokens: TokenManager | None = None
        self._engine: SyncEngine | None = None
        self._scheduler: SyncScheduler | None = None

    @property
    def demo(self) -> bool:
        return self._demo

    # -- status ----------------------------------------------------------------------------

    async def status(self) -> SyncStatus:
        return await read_sync_status(self.ws.store)

    async def recent_runs(self, limit: int) -> Sequence[SyncRun]:
        return [
            SyncRun(
                r.started_at,
                r.finished_at,
                r.outcome,
                r.pushed,
                r.pulled,
                r.conflicts,
                r.rejected,
                r.problem,
            )
            for r in await recent_runs(self.ws.store, limit)
        ]

    async def anchors(self, event_ids: Sequence[UUID]) -> Mapping[UUID, EventAnchor]:
        answers = await ledger_status(self.ws.store, [str(e) for e in event_ids])
        found: dict[UUID, EventAnchor] = {}
        for event_id in event_ids:
            answer = answers.get(str(event_id))
            if answer is None:
                found[event_id] = EventAnchor(AnchorState.LOCAL)
            elif answer.refused:
                found[event_id] = EventAnchor(
                    AnchorState.BROKEN, answer.ledger_index, reason=answer.reason
                )
            elif answer.anchored:
                found[event_id] = EventAnchor(
                    AnchorState.ANCHORED, answer.ledger_index, answer.checkpoint_size
                )
            else:
                found[event_id] = EventAnchor(AnchorState.LOCAL, answer.ledger_index)
        return found

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> EvidenceExport:
        tokens, api = self._tokens, self._api
        proofs = None
        if tokens is not None and api is not None and tokens.state is SessionState.SIGNED_IN:
            proofs = SessionProofs(api, tokens)  # the sync's own session: never a second sign-in
        return await export_evidence(self.ws, unit_id, out, proofs=proofs, demo=self._demo)

    # -- background sync -------------------------------------------------------------------

    async def start(self, listener: SyncListener) -> None:
        self._listener = listener
        status = await self.status()
        if not status.joined or status.server_url is None or self._demo:
            return
        meta = await self.ws.store.meta()
        vault = self._vault(meta[StoreMeta.KEY_STORAGE])
        self._connect(status.server_url, vault)
        self._start_scheduler()

    def _vault(self, key_storage: str) -> TokenVault:
        return self._vault_of(key_storage, self.ws.device.device_id)

    def _vault_of(self, key_storage: str, device_id: UUID) -> TokenVault:
        if key_storage == KEY_STORAGE_PASSWORD:
            return self._vaults.vault(device_id)
        return token_vault_for(key_storage, device_id, keyring=self._keyring)

    def _connect(self, server_url: str, vault: TokenVault, api: SyncApi | None = None) -> None:
        self._api = api or HttpSyncApi(server_url)
        self._tokens = TokenManager(self._api, vault)
        self._engine = SyncEngine(
            self.ws.store, self._api, self._tokens, cosigner=self.ws.device.signer
        )

    def _start_scheduler(self) -> None:
        if self._scheduler is None and self._engine is not None:
            self._scheduler = SyncScheduler(self._run_once, self._schedule)
            self._scheduler.start()

    async def _run_once(self) -> SyncSummary:
        engine, listener = self._engine, self._listener
        assert engine is not None
        if listener is not None:
            listener.run_started()
        await self._sign_in_again()
        summary = await engine.run_once(listener.run_progressed if listener else None)
        if listener is not None:
            listener.run_finished(summary)
        return summary

    async def _sign_in_again(self) -> None:
        """No refresh token (never kept without a keyring): sign in with the unlock password.

        The password typed to unlock the store at opening is used once, then forgotten; offline,
        it waits for the next run. A refused one leaves "Sign in to sync" to the engine.
        """
        tokens, device_id = self._tokens, self.ws.device.device_id
        password = self._vaults.password(device_id)
        if tokens is None or password is None or tokens.state is not SessionState.SIGNED_OUT:
            return
        status = await self.status()
        if not status.email:
            return
        try:
            await tokens.sign_in(status.email, password)
        except TransientSyncError:
            return  # offline: the engine's run says so, and the next run tries again
        except SiteSyncError:
            log.info("signing in again with the unlock password was refused", exc_info=True)
        self._vaults.forget_password(device_id)

    async def run_now(self) -> None:
        if self._scheduler is not None:
            self._scheduler.request("asked for")

    async def local_commit(self) -> None:
        if self._scheduler is not None:
            self._scheduler.local_commit()

    async def network_available(self) -> None:
        if self._scheduler is not None:
            self._scheduler.network_available()

    async def stop(self) -> None:
        scheduler, api = self._scheduler, self._api
        self._scheduler = None
        if scheduler is not None:
            await scheduler.stop()
        if api is not None:
            await api.aclose()
        self._api = self._tokens = self._engine = None

    # -- sign-in and out -------------------------------------------------------------------

    async def sign_in(self, server_url: str, email: str, password: str) -> SignedIn:
        """Sign in; joins this store, or starts a new one for the organization (see the port).

        Nothing of this store changes until the server accepted the password and the store was
        joined: a refused join (another user's store) keeps the earlier sign-in as it was.
        """
        api = HttpSyncApi(server_url)
        try:
            pair = await TokenManager(api, MemoryTokenVault()).sign_in(email, password)
            me = await api.me()
            known = KnownUser(me.user_id, me.email, me.display_name)
            meta = await self.ws.store.meta()
            status = await self.status()
            mine = meta.get(StoreMeta.ORGANIZATION_ID) == str(me.organization_id)
            someone_else = status.joined and not _same_email(status.email, me.email)
            if self._demo or someone_else or (not status.joined and not mine):
                path, opened = await self._new_store(
                    api, server_url, me, known, password, pair.refresh_token
                )
                await api.aclose()
                return SignedIn(
                    me.email,
                    me.organization_name,
                    new_store=path,
                    opened=opened,
                    previous_email=status.email if someone_else else None,
                    kept_pending=status.pending if someone_else else 0,
                )
            await join_store(
                self.ws.store,
                api,
                server_url=server_url,
                public_key=self.ws.device.signer.public_key,
                label=_device_label(),
                app_version=build_info().version,
            )
            vault = self._vault(meta[StoreMeta.KEY_STORAGE])
            vault.save(pair.refresh_token)
            await OfflineUnlock(self.ws.store).remember(known, password)
            async with self.ws.store.sync_transaction() as db:
                await SyncStateWriter(db).update_state(
                    problem=None, problem_hint=None, problem_kind=None
                )
        except BaseException:
            await api.aclose()
            raise
        await self.stop()
        self._connect(server_url, vault, api)
        if self._listener is not None:
            self._start_scheduler()
        organization = (await self.ws.store.meta()).get(StoreMeta.ORGANIZATION_NAME, "")
        return SignedIn(me.email, organization or self.ws.organization_name)

    async def _new_store(
        self,
        api: SyncApi,
        server_url: str,
        me: Me,
        user: KnownUser,
        password: str,
        refresh_token: str,
    ) -> tuple[Path, Workspace]:
        """The organization's store for this user: created (or reused), joined, signed in.

        It is returned open (the window moves to it); each user gets a store of their own.
        """
        name = f"{_slug(user.email)}-{str(me.organization_id)[:8]}.sqlite"
        path = self.stores_dir / name
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        if await asyncio.to_thread(path.exists):
            ws = await open_workspace(path, password=lambda: password)
        else:
            ws = await create_member_workspace(
                path,
                organization_id=me.organization_id,
                organization_name=me.organization_name,
                password=lambda: password,
            )
        try:
            await join_store(
                ws.store,
                api,
                server_url=server_url,
                public_key=ws.device.signer.public_key,
                label=_device_label(),
                app_version=build_info().version,
            )
            key_storage = (await ws.store.meta())[StoreMeta.KEY_STORAGE]
            self._vault_of(key_storage, ws.device.device_id).save(refresh_token)
            await OfflineUnlock(ws.store).remember(user, password)
        except BaseException:
            await ws.close()
            raise
        return path, ws

    async def sign_out(self) -> int:
        """End the sign-in here (and on the server when reachable); pending events stay."""
        status = await self.status()
        if not status.joined:
            return status.pending
        tokens = self._tokens
        await self.stop_scheduler()
        if tokens is not None:
            with suppress(TransientSyncError):
                await tokens.sign_out()
        else:
            meta = await self.ws.store.meta()
            self._vault(meta[StoreMeta.KEY_STORAGE]).clear()
        self._vaults.forget_password(self.ws.device.device_id)
        if status.email:
            await OfflineUnlock(self.ws.store).forget(status.email)
        async with self.ws.store.sync_transaction() as db:
            await SyncStateWriter(db).update_state(
                problem=SIGNED_OUT,
                problem_hint="Choose File → Sign in to server… to sync again; "
                "what waits here is sent then.",
                problem_kind="auth",
            )
        await self.stop()
        return status.pending

    async def stop_scheduler(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await scheduler.stop()

    # -- conflicts --------------------------------------------------------------------------

    async def resolve_conflict(self, conflict_id: str, choose: Choice, actor: Actor) -> Changes:
        status = await self.status()
        for conflict in status.open_conflicts:
            if conflict.conflict_id == conflict_id:
                raw = conflict.kept_value if choose == "kept" else conflict.other_value
                choice = KeepValue(
                    conflict.entity_type, UUID(conflict.entity_id), conflict.field, raw
                )
                return await keep_value(choice, ctx=self.ws.context(actor))
        raise NotFoundError("The conflict was not found; it may be resolved already.")


def _same_email(one: str | None, other: str) -> bool:
    return (one or "").strip().casefold() == other.strip().casefold()


def _device_label() -> str:
    return f"{getpass.getuser()} on {platform.node() or 'this computer'}"[:200]


async def open_desktop_sync(
    backend: object, *, stores_dir: Path, vaults: SessionVaults | None = None
) -> DesktopSync:
    """The sync of the app's open workspace (``run_gui``'s ``open_sync``)."""
    if not isinstance(backend, Workspace):
        raise SiteSyncError("Sync needs a SiteSync store opened by this app.")
    meta = await backend.store.meta()
    demo = meta.get(StoreMeta.KEY_STORAGE) == KEY_STORAGE_DEMO
    return DesktopSync(backend, stores_dir=stores_dir, demo=demo, vaults=vaults)


class DesktopUnlock:
    """The offline-unlock check of a store signed in to a server (``app.ui.stores.SignedInCheck``).

    A store whose device key sits in the OS keyring opens with no password of its own, so the
    signed-in user's password is checked against the store's argon2id verifier instead. The
    password that passed is kept in ``vaults`` for the store's sync, which signs in with it when
    no refresh token is kept (no keyring): one prompt unlocks both.
    """

    def __init__(self, vaults: SessionVaults) -> None:
        self._vaults = vaults

    async def signed_in_as(self, backend: object) -> str | None:
        """The e-mail of the user whose password unlocks this store; None when nobody's does."""
        if not isinstance(backend, Workspace):
            return None
        status = await read_sync_status(backend.store)
        if not status.joined or not status.email:
            return None
        known = await OfflineUnlock(backend.store).known_users()
        return next((u.email for u in known if _same_email(status.email, u.email)), None)

    async def unlock(self, backend: object, password: str) -> bool:
        """Whether ``password`` is the signed-in user's (checked against the local verifier)."""
        email = await self.signed_in_as(backend)
        if email is None or not isinstance(backend, Workspace):
            return True
        try:
            await OfflineUnlock(backend.store).unlock(email, password)
        except UnlockError:
            return False
        self._vaults.remember_password(backend.device.device_id, password)
        return True
