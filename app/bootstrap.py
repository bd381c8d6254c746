"""The composition root: open or create a store, load the device identity, build contexts."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from app.audit.chain import ChainReport
from app.audit.errors import AuditError, Rule
from app.audit.signing import Ed25519Signer
from app.audit_export import ExportedBundle
from app.audit_trail import ProofSource, export_open_store, verify_open_store
from app.compute import BackgroundCompute
from app.domain.checklists import TemplateCatalog
from app.domain.commands import ChangeOrganizationSettings, RegisterUser
from app.domain.enums import Role, RuleSet
from app.domain.errors import (
    ChainContinuityError,
    ConcurrentWriteError,
    IncompleteStoreError,
    KeyStoreError,
    NotFoundError,
    SiteSyncError,
    StoreBusyError,
    StoreFullError,
)
from app.domain.events import Event
from app.files import write_atomically
from app.ids import SystemClock, Uuid7Generator
from app.keystore import (
    KEY_STORAGE_DEMO,
    PasswordPrompt,
    key_store_for,
    new_key_store,
    sealed_key_path,
)
from app.services.context import Actor, DeviceIdentity, ServiceContext
from app.services.fleet_import import ImportRow, ImportSummary, import_fleet, parse_fleet_csv
from app.services.organization import change_organization_settings
from app.services.ports import Clock, IdGenerator, UnitOfWorkFactory
from app.services.profiles import check_pin_text
from app.services.queries import FleetFigures
from app.services.templates import load_catalog
from app.services.users import register_user
from app.store import Store, open_store
from app.store.blobs import FileBlobStore
from app.store.database import IntegrityCheck
from app.store.deep_check import deep_check
from app.store.errors import CONCURRENT_HINT
from app.store.lock import acquire_store_lock
from app.store.reading import peek_meta

ADMIN_EMAIL = "admin@sitesync.local"
"""The administrator profile every new store starts with."""

DEMO_COMPLETE = "demo_complete"
"""``store_meta`` key set (to "yes") by the last write of a demo store's build."""


def unfinished_demo(path: Path) -> IncompleteStoreError:
    """The error for a demo store whose build was stopped before its end."""
    return IncompleteStoreError(
        f"{path} is an unfinished demo store: building it was stopped before the end, so it "
        "holds only part of the demo.",
        hint="Build it again: start 'sitesync --demo' and choose to rebuild it (for the app's "
        "demo store), or delete the file and the files beside it named after it and run "
        "'sitesync demo' again.",
    )


def demo_store_unfinished(path: Path) -> bool:
    """Whether ``path`` holds a demo store whose build did not reach its end (blocking)."""
    meta = peek_meta(path)
    return meta.get("key_storage") == KEY_STORAGE_DEMO and not demo_is_complete(meta)


def device_key_name(device_id: UUID) -> str:
    """The key store entry holding a device's Ed25519 seed."""
    return f"device-key:{device_id}"


def blob_dir(db_path: Path) -> Path:
    """Photos and signatures of a store live in a folder beside it."""
    return db_path.with_name(db_path.name + ".blobs")


@dataclass(slots=True)
class Workspace:
    """An open store with this device's identity: everything a command or window needs."""

    path: Path
    store: Store
    device: DeviceIdentity
    blobs: FileBlobStore
    organization_name: str
    clock: Clock
    ids: IdGenerator
    templates: TemplateCatalog = field(default_factory=load_catalog)
    figures: FleetFigures = field(init=False)
    """The fleet's figures, kept for this store (saved in it) between sessions."""
    store_key: str = field(init=False)
    """Tells this store from any other on the computer: its full path and its device."""

    def __post_init__(self) -> None:
        where = f"{self.path.resolve()}|{self.device.device_id}"
        self.store_key = hashlib.sha256(where.encode()).hexdigest()[:16]
        self.figures = FleetFigures(
            self.store.unit_of_work, self.store, runner=BackgroundCompute(), clock=self.clock
        )

    # -- the desktop shell's view of the workspace (app.ui.backend.Backend) -------------------

    @property
    def store_label(self) -> str:
        return f"{self.organization_name} — {self.path}"

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        return self.store.unit_of_work

    def context_for(self, actor: Actor) -> ServiceContext:
        return self.context(actor)

    async def verify_chain(self, progress: Callable[[int, int], None]) -> ChainReport:
        return await verify_open_store(self.store, progress=progress)

    async def deep_check(self, progress: Callable[[int, int], None]) -> ChainReport:
        chain = await verify_open_store(self.store, progress=progress)
        report = await deep_check(self.path)
        if report.difference is not None:
            raise AuditError(
                Rule.PROJECTION_MISMATCH,
                f"the stored projections differ from the log: {report.difference}",
            )
        return chain

    async def recent_events(self, limit: int) -> list[Event]:
        return await self.store.recent_events(limit)

    async def export_evidence_bundle(self, unit_id: UUID, out: Path) -> int:
        """Write the unit's evidence bundle to ``out``; returns how many events it holds."""
        return (await self.write_evidence_bundle(unit_id, out)).events

    async def write_evidence_bundle(
        self, unit_id: UUID, out: Path, proofs: ProofSource | None = None
    ) -> ExportedBundle:
        """Write the unit's evidence bundle to ``out``, anchored with ``proofs`` when given.

        Every proof is checked against the checkpoint this store verified before anything is
        written (see ``export_open_store``).
        """
        bundle = await export_open_store(self.store, unit_id, proofs)
        await asyncio.to_thread(write_atomically, out, bundle.data)
        return bundle

    async def import_rows(self, rows: list[ImportRow], actor: Actor) -> ImportSummary:
        """Import checked rows in one transaction: all of them, or none.

        A store that fills up, is locked, or is written by another program at the same time
        raises its own error, each saying that nothing was imported and what to do.
        """
        path = self.path
        try:
            async with self.store.batch(commit_every=None) as batch:
                return await import_fleet(rows, ctx=self.context(actor, batch))
        except StoreFullError as exc:
            raise StoreFullError(
                f"The disk holding {path} filled up during the import, so nothing was "
                "imported; the store is as it was.",
                hint="Free some disk space (or move the store to a larger disk), then run the "
                "import again.",
            ) from exc
        except StoreBusyError as exc:
            raise StoreBusyError(
                f"{path} is locked by another program, so nothing was imported.",
                hint="Close SiteSync (or any other program) using this store, then run the "
                "import again.",
            ) from exc
        except (ConcurrentWriteError, ChainContinuityError) as exc:
            raise ConcurrentWriteError(
                f"Another program wrote to {path} during the import, so nothing was imported.",
                hint=CONCURRENT_HINT,
            ) from exc

    async def import_fleet_file(self, csv_file: Path, actor: Actor) -> ImportSummary:
        """Check a fleet CSV file line by line, then import it all or nothing (as the command)."""
        try:
            data = await asyncio.to_thread(csv_file.read_bytes)
        except OSError as exc:
            raise SiteSyncError(
                f"Cannot read {csv_file}: {exc.strerror or exc}.",
                hint="Check the file name and that the file can be read.",
            ) from None
        return await self.import_rows(parse_fleet_csv(data), actor)

    async def check_integrity(self) -> float:
        """Wait for the store's full integrity check; the seconds it took (``Store.integrity``)."""
        return await self.store.integrity()

    async def aclose(self) -> None:
        try:
            await self.figures.flush()  # the figures updated since they were last saved
        finally:
            await self.close()

    def context(self, actor: Actor, uow: UnitOfWorkFactory | None = None) -> ServiceContext:
        """A service context acting as ``actor`` on this device."""
        return ServiceContext(
            actor, self.device, self.clock, self.ids, uow or self.store.unit_of_work
        )

    async def actor(self, email: str | None = None) -> Actor:
        """The profile acting: the user with ``email``, else the first administrator."""
        async with self.store.unit_of_work() as uow:
            users = await uow.users.list_all()
        for user in users:
            if (email and user.email.casefold() == email.casefold()) or (
                not email and user.role is Role.ADMIN
            ):
                return Actor(user.id, user.role, user.display_name)
        raise NotFoundError(
            f"No user {email} in this store." if email else "This store has no administrator.",
            hint="Use --as with the e-mail of a registered user.",
        )

    async def close(self) -> None:
        await self.store.close()


async def _workspace(path: Path, store: Store, signer: Ed25519Signer) -> Workspace:
    meta = await store.meta()
    identity = DeviceIdentity(UUID(meta["organization_id"]), UUID(meta["device_id"]), signer)
    registered = (await store.device_keys()).get(str(identity.device_id))
    if registered != signer.public_key:
        raise KeyStoreError(
            f"The device key found for {path.name} does not match the key that signed its events.",
            hint="Restore the right key (or the store's backup); nothing was changed.",
        )
    return Workspace(
        path,
        store,
        identity,
        FileBlobStore(blob_dir(path)),
        meta.get("organization_name", ""),
        SystemClock(),
        Uuid7Generator(),
    )


async def open_workspace(
    path: Path, *, password: PasswordPrompt | None = None, integrity: IntegrityCheck = "at_open"
) -> Workspace:
    """Open an existing store and load its device key (``integrity``: see ``open_store``)."""
    store = await open_store(path, integrity=integrity)
    try:
        meta = await store.meta()
        if "device_id" not in meta:
            raise SiteSyncError(f"{path} is not a SiteSync store (it has no device identity).")
        if meta.get("key_storage") == KEY_STORAGE_DEMO and not demo_is_complete(meta):
            raise unfinished_demo(path)
        keys = key_store_for(path, meta["key_storage"], password)
        seed = keys.get(device_key_name(UUID(meta["device_id"])))
        if seed is None:
            raise KeyStoreError(
                f"The device key of {path.name} is missing from its key storage.",
                hint="Restore the key from a backup; without it this device cannot sign new work.",
            )
        return await _workspace(path, store, Ed25519Signer(seed))
    except BaseException:
        await store.close()
        raise


async def initialise_store(
    store: Store,
    *,
    organization_id: UUID,
    organization_name: str,
    device_id: UUID,
    signer: Ed25519Signer,
    key_storage: str,
) -> None:
    """Record a new store's organization and device, and register the device's key."""
    await store.set_meta(
        {
            "organization_id": str(organization_id),
            "organization_name": organization_name,
            "device_id": str(device_id),
            "key_storage": key_storage,
        }
    )
    await store.register_device(device_id, signer.public_key, organization_id, local=True)


async def create_workspace(
    path: Path,
    *,
    organization_name: str,
    password: PasswordPrompt | None = None,
    admin_pin: str | None = None,
    rule_set: RuleSet = RuleSet.ASME_A17_1,
) -> Workspace:
    """Create a new store with a new device key in secure storage and an administrator profile;
    the organization follows ``rule_set`` until an administrator changes it in Settings.

    With ``admin_pin`` the administrator is registered with its PIN in one transaction; without
    it (the command line), the administrator's first switch in the app sets it.
    """
    if admin_pin is not None:
        check_pin_text(admin_pin)  # before anything is written
    async with write_lock(path):
        return await _create_workspace(path, organization_name, password, admin_pin, rule_set)


@asynccontextmanager
async def write_lock(path: Path) -> AsyncIterator[None]:
    """Hold the store's write lock (``app.store.lock``) around a whole creation or rebuild.

    Taken before anything is written, so a second program trying the same store at the same
    time is refused with the name of the first and writes nothing; the store opened inside
    shares this process's hold.
    """
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    lock = await asyncio.to_thread(acquire_store_lock, path)
    try:
        yield
    finally:
        lock.release()


async def _create_workspace(
    path: Path,
    organization_name: str,
    password: PasswordPrompt | None,
    admin_pin: str | None,
    rule_set: RuleSet,
) -> Workspace:
    if await asyncio.to_thread(path.exists):
        raise SiteSyncError(f"{path} already exists.", hint="Choose a new file name.")
    mode, keys = new_key_store(path, password)
    ids = Uuid7Generator()
    org_id, device_id = ids.new_id(), ids.new_id()
    signer = Ed25519Signer.generate()
    keys.set(device_key_name(device_id), signer.seed)
    store = await open_store(path, create=True)
    try:
        await initialise_store(
            store,
            organization_id=org_id,
            organization_name=organization_name,
            device_id=device_id,
            signer=signer,
            key_storage=mode,
        )
        ws = await _workspace(path, store, signer)
        admin = Actor(ids.new_id(), Role.ADMIN, "Administrator")
        register = RegisterUser(
            user_id=admin.user_id, email=ADMIN_EMAIL, display_name=admin.name, role=Role.ADMIN
        )
        await register_user(register, ctx=ws.context(admin), pin=admin_pin)
        # the organization and its settings (DOMAIN.md's defaults until an administrator
        # changes them in Settings), recorded as events like everything else
        settings = ChangeOrganizationSettings(
            organization_name=organization_name, rule_set=rule_set
        )
        await change_organization_settings(settings, ctx=ws.context(admin))
        return ws
    except BaseException:
        await store.close()
        raise


async def create_member_workspace(
    path: Path,
    *,
    organization_id: UUID,
    organization_name: str,
    password: PasswordPrompt | None = None,
) -> Workspace:
    """Create an empty store for a server organization, with a new device key in secure storage.

    Unlike ``create_workspace`` it records nothing: the organization, its users and its fleet
    come from the server when the store joins it and syncs.
    """
    async with write_lock(path):
        return await _create_member_workspace(path, organization_id, organization_name, password)


async def _create_member_workspace(
    path: Path, organization_id: UUID, organization_name: str, password: PasswordPrompt | None
) -> Workspace:
    if await asyncio.to_thread(path.exists):
        raise SiteSyncError(f"{path} already exists.", hint="Choose a new file name.")
    mode, keys = new_key_store(path, password)
    device_id = Uuid7Generator().new_id()
    signer = Ed25519Signer.generate()
    keys.set(device_key_name(device_id), signer.seed)
    store = await open_store(path, create=True)
    try:
        await initialise_store(
            store,
            organization_id=organization_id,
            organization_name=organization_name,
            device_id=device_id,
            signer=signer,
            key_storage=mode,
        )
        return await _workspace(path, store, signer)
    except BaseException:
        await store.close()
        raise


def demo_is_complete(meta: Mapping[str, str]) -> bool:
    """Whether a demo store's build reached its end (its completion mark is set)."""
    return meta.get(DEMO_COMPLETE) == "yes"


class StoreFiles:
    """Opens and creates stores for the desktop app's File menu (``app.ui.stores.StoreFiles``)."""

    def sealed(self, path: Path) -> bool:
        """Whether the store's device key is sealed under an offline-unlock password."""
        return sealed_key_path(path).exists()

    async def open(self, path: Path, password: str | None) -> Workspace:
        """Open an existing store (its integrity is checked in the background)."""
        if not await asyncio.to_thread(path.is_file):
            raise NotFoundError(
                f"There is no store at {path}.",
                hint="Choose another file, or create a store with File → New store.",
            )
        prompt = None if password is None else (lambda: password)
        return await open_workspace(path, password=prompt, integrity="background")

    async def create(
        self,
        path: Path,
        organization: str,
        password: str | None,
        admin_pin: str | None = None,
        rule_set: RuleSet = RuleSet.ASME_A17_1,
    ) -> Workspace:
        """Create an empty store with its administrator profile (and its PIN, when given)."""
        if not await asyncio.to_thread(path.parent.is_dir):
            raise NotFoundError(
                f"The folder {path.parent} does not exist.",
                hint="Choose a folder that exists (or create it first).",
            )
        prompt = None if password is None else (lambda: password)
        return await create_workspace(
            path,
            organization_name=organization,
            password=prompt,
            admin_pin=admin_pin,
            rule_set=rule_set,
        )
