"""Headless commands: demo generation, audit verification and export, fleet import."""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from pathlib import Path
from uuid import UUID

from app.audit.bundle import verify_bundle
from app.audit.bundle_document import MAX_BUNDLE_BYTES
from app.audit.chain import ChainReport
from app.audit.errors import AuditError, ChainBroken, Rule
from app.audit_trail import verify_store
from app.bootstrap import (
    StoreFiles,
    Workspace,
    create_workspace,
    demo_store_unfinished,
    open_workspace,
)
from app.config import Settings
from app.demo_workspace import create_demo_store, open_demo_workspace
from app.domain.enums import RuleSet
from app.domain.errors import (
    SiteSyncError,
    StoreFullError,
    ValidationError,
)
from app.domain.wording import plural
from app.evidence_cli import (
    bundle_lines,
    chain_lines,
    export_bundle,
    export_lines,
    server_key,
)
from app.files import check_folder
from app.services.fleet_import import ImportRow, ImportSummary, parse_fleet_csv
from app.store.database import rebuild_store
from app.store.deep_check import deep_check
from app.store.unit_directory import list_units, site_names
from app.sync_cli import signed_in_email

EXIT_OK, EXIT_FAILED = 0, 1


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal would act on (escape sequences, bidirectional overrides)."""


def printable(text: str) -> str:
    """``text`` safe to print: what a terminal would act on is shown as ``\\uXXXX`` instead.

    Names, file lines and bundle contents come from outside; printed raw, an escape sequence
    in one could rewrite what the terminal shows.
    """
    return _UNPRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _out(text: str) -> None:
    print(printable(text), flush=True)


def _err(text: str) -> None:
    print(printable(text), file=sys.stderr)


def _progress(label: str) -> object:
    def report(done: int, total: int) -> None:
        print(
            f"\r{label}: {done}/{total}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )

    return report


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


async def demo_command(args: argparse.Namespace) -> int:
    """``sitesync demo``: build the demo organization into a new store."""
    if args.units < 1 or args.units > 10_000:
        raise ValidationError("--units must be between 1 and 10000.", field="units")
    if args.months < 1 or args.months > 36:
        raise ValidationError("--months must be between 1 and 36.", field="months")
    started = time.perf_counter()
    try:
        summary, events = await create_demo_store(
            args.db,
            units=args.units,
            seed=args.seed,
            as_of=args.as_of or date.today(),
            months=args.months,
            progress=_progress("months of history"),  # type: ignore[arg-type]
        )
    except StoreFullError as exc:
        raise StoreFullError(
            f"The disk filled up while the demo store {args.db} was being built; the "
            "unfinished store was deleted, nothing was left behind.",
            hint="Free some disk space (or choose a smaller --units), then run it again.",
        ) from exc
    elapsed = time.perf_counter() - started
    _out(f"Demo store written to {args.db}")
    _out(f"  organization: {summary.organization_name}")
    _out(f"  customers: {summary.customers}, sites: {summary.sites}, units: {summary.units}")
    _out(
        f"  actions: {summary.actions}, events: {events} in {elapsed:.1f} s "
        f"({events / elapsed:,.0f} events/s)"
    )
    _out("  the device key of this demo store is kept in a plain file beside it (demo only)")
    return EXIT_OK


def _report_broken(exc: AuditError) -> int:
    _err(f"FAILED: {exc}")
    if isinstance(exc, ChainBroken):
        _err(
            f"  first bad event: #{exc.position}"
            + (f" id {exc.event_id}" if exc.event_id else "")
            + (f" device {exc.device_id} seq {exc.device_seq}" if exc.device_id else "")
        )
    _err(f"  rule broken: {exc.rule}")
    print(
        "  nothing was repaired; keep the file as evidence and restore from a backup or re-sync",
        file=sys.stderr,
    )
    return EXIT_FAILED


async def audit_command(args: argparse.Namespace) -> int:
    """``sitesync audit verify|export``."""
    if args.audit_command == "export":
        try:
            unit_id = UUID(args.unit)
        except ValueError:
            raise ValidationError(
                f"'{args.unit}' is not a unit id (a UUID).",
                field="unit",
                hint="Copy the unit id from the unit page.",
            ) from None
        check_folder(args.out)  # a mistyped folder is told before the store is read
        try:
            result = await export_bundle(args, unit_id)
        except AuditError as exc:  # the store's log (or the server's proof) fails: verify it
            return _report_broken(exc)
        _out(
            f"Evidence bundle written to {args.out}: {plural(result.events, 'event')} of "
            f"{result.subject}, {plural(result.devices, 'device')}"
        )
        for line in export_lines(result, args.out, asked=args.password_stdin):
            _out(line)
        _out(f"Check it anywhere with: sitesync audit verify --bundle {args.out}")
        return EXIT_OK
    key = server_key(args)
    try:
        if args.bundle is not None:
            report = verify_bundle(_read_bundle(args.bundle), key)
            for line in bundle_lines(report):
                _out(line)
            return EXIT_OK
        started = time.perf_counter()
        chain = await verify_store(args.db, full=not args.links_only)
        _report_intact(chain, links_only=args.links_only, elapsed=time.perf_counter() - started)
        if demo_store_unfinished(args.db):
            _out(
                "  note: this is an unfinished demo store: building it was stopped before the "
                "end, so it holds only part of the demo (what it holds is intact)"
            )
        if args.deep:
            deep = await deep_check(args.db)
            if deep.difference is not None:
                raise AuditError(
                    Rule.PROJECTION_MISMATCH,
                    f"the stored projections differ from the log: {deep.difference}",
                )
            _out(f"Projections match the log: {plural(deep.records, 'record')} compared")
    except AuditError as exc:
        return _report_broken(exc)
    return EXIT_OK


def _report_intact(chain: ChainReport, *, links_only: bool, elapsed: float) -> None:
    mode = "links only" if links_only else "hashes, signatures and links"
    _out(
        f"Chain intact ({mode}): {plural(chain.events, 'event')} from "
        f"{plural(chain.devices, 'device')} "
        f"in {elapsed:.1f} s"
    )
    _out(f"  head hash: {chain.head_hash}")
    for line in chain_lines(chain):
        _out(line)


async def store_command(args: argparse.Namespace) -> int:
    """``sitesync store rebuild``: verify, back up, then rebuild the projections from the log."""
    try:
        chain = await verify_store(args.db)
    except AuditError as exc:
        _err("The store was not rebuilt: its chain failed verification.")
        return _report_broken(exc)
    _out(f"Chain intact: {plural(chain.events, 'event')}")
    rebuilt = await rebuild_store(args.db)
    _out(f"Backup taken first: {rebuilt.backup}")
    _out(f"Projections rebuilt from {plural(rebuilt.events, 'event')} in {args.db}")
    return EXIT_OK


def _read(path: Path, *, limit: int | None = None) -> bytes:
    """The file's bytes, or at most ``limit`` + 1 of them (enough to tell it is too large)."""
    try:
        with path.open("rb") as file:
            return file.read() if limit is None else file.read(limit + 1)
    except OSError as exc:
        raise SiteSyncError(
            f"Cannot read {path}: {exc.strerror or exc}.", hint="Check the file name."
        ) from None


def _read_bundle(path: Path) -> bytes:
    """A bundle's bytes; a file past the size limit is refused before it is read."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # reading it says what is wrong
    if size > MAX_BUNDLE_BYTES:
        raise AuditError(
            Rule.BUNDLE_LIMIT,
            f"the file has {size:,} bytes; a bundle has at most {MAX_BUNDLE_BYTES:,}",
        )
    return _read(path, limit=MAX_BUNDLE_BYTES)


async def import_rows(
    ws: Workspace, rows: list[ImportRow], *, as_user: str | None
) -> ImportSummary:
    """Import checked rows into an open workspace as ``as_user`` (default: the administrator)."""
    return await ws.import_rows(rows, await ws.actor(as_user))


async def import_command(args: argparse.Namespace) -> int:
    """``sitesync import``: onboard customers, sites and units from a CSV file, all or nothing."""
    created = not args.db.exists()
    if args.rules is not None and not created:
        raise ValidationError(
            f"--rules sets the inspection rules of a new store, and {args.db} already exists.",
            field="rules",
            hint="Leave out --rules; an administrator changes the store's rules in Settings.",
        )
    rows = parse_fleet_csv(_read(args.file))
    password = _read_password if args.password_stdin else None
    if created:
        rule_set = RuleSet.UK_LOLER if args.rules == "loler" else RuleSet.ASME_A17_1
        ws = await create_workspace(
            args.db, organization_name=args.organization, password=password, rule_set=rule_set
        )
    else:
        ws = await open_workspace(args.db, password=password)
    try:
        # on a store joined to a server, the work is the signed-in user's by default
        as_user = args.as_user or await signed_in_email(ws.store)
        summary = await import_rows(ws, rows, as_user=as_user)
    finally:
        await ws.close()
    _out(
        f"Imported {plural(summary.units, 'unit')}; "
        f"created {plural(summary.customers, 'customer')} and "
        f"{plural(summary.sites, 'site')} in {args.db}"
    )
    if created:
        _out(
            "The new store's administrator has no PIN yet: choose it now, by opening the store "
            f"in the app (sitesync --db {args.db}), before anyone else can."
        )
    return EXIT_OK


async def units_command(args: argparse.Namespace) -> int:
    """``sitesync units``: every unit with its id, for the commands that take one."""
    db = args.db or Settings().user_db
    if not db.exists():
        raise ValidationError(
            f"There is no store at {db}.",
            field="db",
            hint="Give the store with --db PATH (the demo store: sitesync units --db "
            f"{Settings().demo_db}).",
        )
    units = await list_units(db, site=args.site)
    if not units and args.site is not None:
        known = ", ".join(await site_names(db)) or "none yet"
        raise ValidationError(
            f"No units at a site named '{args.site}' in {db}.",
            field="site",
            hint=f"Use one of the store's sites: {known}.",
        )
    if not units:
        _out(f"No units in {db} yet; add them in the app or with 'sitesync import'.")
        return EXIT_OK
    header = ("Site", "Unit", "Id", "Status")
    rows = [(u.site, u.unit_number, u.unit_id, u.status.replace("_", " ")) for u in units]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        _out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    _out(
        f"{plural(len(units), 'unit')}. Use an id with: "
        f"sitesync audit export --db {db} --unit ID --out FILE"
    )
    return EXIT_OK


def _gui_rebuild_demo(path: Path) -> bool | None:
    """For an unfinished demo store, ask whether to rebuild it before the window opens.

    True to rebuild, False when there is nothing to rebuild, None when the person declined.
    """
    if not demo_store_unfinished(path):
        return False
    from PySide6.QtWidgets import QApplication

    from app.ui.demo_prompt import ask_rebuild_demo

    _ = QApplication.instance() or QApplication(sys.argv[:1])
    return True if ask_rebuild_demo(path.name) else None


def gui_command(args: argparse.Namespace) -> int:
    """Open the desktop app: on the demo store with ``--demo``, else on ``--db``."""
    from app.desktop_sync import DesktopUnlock, SessionVaults, open_desktop_sync
    from app.ui.app import run_gui  # Qt is imported only when a window is wanted

    settings = Settings()
    stores, vaults = settings.data_dir / "stores", SessionVaults()
    open_sync = lambda backend: open_desktop_sync(  # noqa: E731
        backend, stores_dir=stores, vaults=vaults
    )

    unlock = DesktopUnlock(vaults)  # a signed-in store opens with its user's password
    if args.demo:
        path = settings.demo_db
        rebuild = _gui_rebuild_demo(path)
        if rebuild is None:
            return EXIT_FAILED
        opener = lambda: open_demo_workspace(  # noqa: E731
            path, seed=settings.demo_seed, rebuild_unfinished=rebuild, integrity="background"
        )
        return run_gui(
            opener,
            data_dir=settings.data_dir,
            stores=StoreFiles(),
            open_sync=open_sync,
            signed_in=unlock,
        )
    if args.db is not None:  # the window asks for its password, again if it is wrong
        return run_gui(
            args.db,
            data_dir=settings.data_dir,
            stores=StoreFiles(),
            open_sync=open_sync,
            signed_in=unlock,
        )
    raise ValidationError(
        "Choose a store to open.",
        hint="Run 'sitesync --demo' for the demo, or 'sitesync --db PATH' for a store "
        "(a file that does not exist yet becomes your company's new store).",
    )
