"""Evidence bundles anchored in the server's ledger, from the command line.

``sitesync audit export --password-stdin`` signs in to the store's server to fetch the inclusion
proofs of the unit's events under the checkpoint the store verified, and writes them into the
bundle with that checkpoint. ``sitesync audit verify --bundle FILE --server-key KEY`` checks the
checkpoint's signature with the server's verifier key and every proof.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from uuid import UUID

from app.audit.anchor import ServerKey, parse_server_key
from app.audit.bundle import CANNOT_PROVE, PROVES, BundleReport, ledger_claims
from app.audit.chain import ChainReport
from app.audit_export import ExportedBundle
from app.audit_trail import export_unit_bundle
from app.domain.errors import SiteSyncError, ValidationError
from app.domain.wording import plural
from app.store import open_store_for_reading
from sync.client.api import HttpSyncApi
from sync.client.engine import PasswordTokens
from sync.client.status import read_sync_status


def add_evidence_arguments(
    verify: argparse.ArgumentParser, export: argparse.ArgumentParser
) -> None:
    """``--server-key`` for ``audit verify``, ``--password-stdin`` for ``audit export``."""
    verify.add_argument(
        "--server-key",
        metavar="KEY",
        help="with --bundle: the server's checkpoint verifier key (name+keyid+key, as "
        "'sitesync-server status' prints it); the bundle's checkpoint must be signed with it",
    )
    export.add_argument(
        "--password-stdin",
        action="store_true",
        help="sign in to the store's server (password on standard input) to add the ledger "
        "checkpoint and the inclusion proofs of the unit's synced events",
    )


def server_key(args: argparse.Namespace) -> ServerKey | None:
    """The ``--server-key`` given, parsed; ValidationError for a malformed one."""
    text: str | None = getattr(args, "server_key", None)
    if text is None:
        return None
    if args.bundle is None:
        raise ValidationError(
            "--server-key checks an evidence bundle's checkpoint.",
            field="server-key",
            hint="Use it with --bundle FILE.",
        )
    try:
        return parse_server_key(text)
    except ValueError as exc:
        raise ValidationError(
            f"--server-key is not a server verifier key: {exc}.",
            field="server-key",
            hint="Copy the key exactly as 'sitesync-server status' prints it "
            "(or the verifier_key of GET /api/v1/ledger/keys).",
        ) from None


async def export_bundle(args: argparse.Namespace, unit_id: UUID) -> ExportedBundle:
    """Export the unit's bundle; with ``--password-stdin``, anchored in the server's ledger."""
    if not args.password_stdin:
        return await export_unit_bundle(args.db, unit_id, args.out)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationError("No password on standard input.", hint="Type your password.")
    server, email = await _account(args.db)
    async with HttpSyncApi(server) as api:
        api.set_access_token(await PasswordTokens(api, email, password).access_token())
        return await export_unit_bundle(args.db, unit_id, args.out, proofs=api)


async def _account(path: Path) -> tuple[str, str]:
    store = await open_store_for_reading(path)
    try:
        status = await read_sync_status(store)
    finally:
        await store.close()
    if not status.joined or status.server_url is None or status.email is None:
        raise SiteSyncError(
            f"{path} is not joined to a server, so its events have no ledger proofs.",
            hint="Export without --password-stdin.",
        )
    return status.server_url, status.email


def export_lines(bundle: ExportedBundle, out: Path, *, asked: bool) -> list[str]:
    """What ``audit export`` says about the ledger part of the bundle it wrote."""
    if bundle.anchored:
        return [
            f"  anchored: {bundle.anchored} of its events, with the server's checkpoint of "
            f"{bundle.checkpoint_size} ledger entries and their inclusion proofs",
            f"Check it with the server's key: sitesync audit verify --bundle {out} "
            "--server-key KEY",
        ]
    if bundle.anchorable and not asked:
        return [
            f"  not anchored: {bundle.anchorable} of its events are in the server's ledger; "
            "export again with --password-stdin to add the ledger's checkpoint and proofs",
        ]
    if asked:
        return [
            "  not anchored: none of its events is under the checkpoint this store verified "
            "yet; run 'sitesync sync' first"
        ]
    return []


def bundle_lines(report: BundleReport) -> list[str]:
    """What ``audit verify --bundle`` says about a bundle that verified."""
    lines = [
        f"Bundle intact: {plural(report.events, 'event')} of {report.name} "
        f"({plural(report.records, 'record')}) from {plural(report.devices, 'device')}",
        f"  proven: {PROVES}",
    ]
    if report.ledger is None:
        lines.append(f"  not provable from the bundle alone: {CANNOT_PROVE}")
        return lines
    proven, unproven = ledger_claims(report.ledger)
    lines.append(f"  ledger: {proven}")
    lines.append(f"  not proven: {unproven}")
    return lines


def chain_lines(chain: ChainReport) -> list[str]:
    """Each device's verified head, and what a store joined from a snapshot took from it."""
    lines = []
    for device, head in sorted(chain.heads.items()):
        start = chain.from_snapshot.get(device)
        if start is None:
            lines.append(f"  device {device}: {plural(head.seq, 'event')}, head {head.hash}")
        elif head == start:
            lines.append(
                f"  device {device}: from the snapshot at seq {start.seq}, head {head.hash} "
                "(no later event in this store)"
            )
        else:
            lines.append(
                f"  device {device}: from the snapshot at seq {start.seq}, checked up to seq "
                f"{head.seq}, head {head.hash}"
            )
    if chain.from_snapshot:
        at = "" if chain.snapshot_at is None else f" at ledger index {chain.snapshot_at}"
        lines.append(
            f"  taken from the snapshot{at}: this store was joined from the server's snapshot, "
            "so the events before it are not here; the records' state at that point and the "
            f"{plural(len(chain.from_snapshot), 'device position')} marked 'from the snapshot' are "
            "the snapshot's word (its checkpoint was verified when the store joined); every event "
            "after it was checked in full"
        )
    return lines
