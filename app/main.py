"""The ``sitesync`` command: the desktop app, and headless commands for administrators."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from app import cli, cli_account, sync_cli
from app.domain.errors import SiteSyncError
from app.evidence_cli import add_evidence_arguments
from app.version import build_info

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEBUG_VARIABLE = "SITESYNC_DEBUG"
"""Set in the environment, an unexpected failure prints its traceback too."""

IMPORT_HELP = """\
The CSV file needs a header line. Required columns: customer, site, site_address, unit_number.
Optional columns: manufacturer (KONE, Otis, Schindler, TK Elevator, Mitsubishi, Fujitec, other),
model, drive_type (traction, hydraulic, mrl_traction), serial_number, conveyance_id, capacity_kg,
rated_speed_mps (e.g. 1.6), floors_served, installation_date (YYYY-MM-DD), certificate_number,
certificate_issued, certificate_expires (YYYY-MM-DD; the three together or none),
maintenance_interval_days (empty: the organization's default), carries_passengers (yes or no;
no for a goods-only lift). Customers and sites are matched by name and created when new. Names
and unit numbers fit on one line (at most 200 and 40 characters). All or nothing: the whole file
is checked first and imported in one transaction; any bad line is reported with its line number,
column and reason, and nothing is written."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitesync",
        description="SiteSync: offline-first field software for elevator maintenance. Without a "
        "command, opens the desktop app.",
    )
    parser.add_argument("--demo", action="store_true", help="open the app on the demo store")
    parser.add_argument("--db", type=Path, help="open the app on this store")
    parser.add_argument("--version", action="version", version=build_info().describe())
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this installation in a temporary folder (store, migrations, signatures, "
        "checkpoint and inclusion proof, main window offscreen, keyring) and exit: 0 when "
        "everything works, 1 otherwise",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="build a demo store through the real services")
    demo.add_argument("--db", type=Path, required=True, help="the new store file")
    demo.add_argument("--units", type=int, default=58, help="number of units (default 58)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    demo.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="last day of the history, YYYY-MM-DD (default today)",
    )

    audit = sub.add_parser("audit", help="verify or export the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="verify a store's chain or an evidence bundle")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", type=Path, help="the store to verify")
    source.add_argument("--bundle", type=Path, help="an evidence bundle to verify")
    depth = verify.add_mutually_exclusive_group()
    depth.add_argument(
        "--links-only",
        action="store_true",
        help="check sequence and hash links only (fast; no signatures)",
    )
    depth.add_argument(
        "--deep",
        action="store_true",
        help="also fold the whole log again and compare it with the stored projections (the "
        "tables the screens show), naming the first difference; needs free disk space as "
        "large as the store",
    )
    export = audit_sub.add_parser("export", help="write a unit's evidence bundle")
    export.add_argument("--db", type=Path, required=True, help="the store")
    export.add_argument("--unit", required=True, help="the unit's id (UUID)")
    export.add_argument("--out", type=Path, required=True, help="the bundle file to write")
    add_evidence_arguments(verify, export)

    store = sub.add_parser("store", help="support commands for a local store")
    store_sub = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    rebuild = store_sub.add_parser(
        "rebuild",
        help="rebuild the projections (what the screens show) from the event log",
        description="Verify the store's chain, back the store up beside itself (the backup's "
        "name is printed), then rebuild every projection from the event log in one "
        "transaction. Close SiteSync on this store first. A store whose chain fails "
        "verification is left as it is.",
    )
    rebuild.add_argument("--db", type=Path, required=True, help="the store")

    imp = sub.add_parser(
        "import",
        help="onboard a fleet from a CSV file",
        epilog=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument(
        "--db", type=Path, required=True, help="the store (created if it does not exist)"
    )
    imp.add_argument("file", type=Path, help="the CSV file")
    imp.add_argument(
        "--organization", default="My organization", help="organization name for a new store"
    )
    imp.add_argument(
        "--rules",
        choices=("asme", "loler"),
        help="inspection rules of a new store: asme (ASME A17.1, the default) or loler (UK "
        "LOLER); an existing store's rules are changed in Settings",
    )
    imp.add_argument("--as", dest="as_user", help="e-mail of the user importing (default: admin)")
    imp.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the offline-unlock password from standard input (needed when "
        "no OS keyring is available)",
    )
    units = sub.add_parser(
        "units",
        help="list units with their ids (for the commands that take --unit)",
        description="List every unit of a store: its site, unit number, id and status, "
        "sorted by site. Exit codes: 0 listed (also when the store has no units yet), "
        "2 no such store, no such site, or the store cannot be read.",
    )
    units.add_argument("--db", type=Path, help="the store (default: your own store)")
    units.add_argument("--site", help="only the units of this site (its name, any case)")
    sync_cli.add_parsers(sub)
    cli_account.add_account_commands(sub)
    return parser


def _run(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sitesync`` command."""
    args = _parser().parse_args(argv)
    commands: dict[str | None, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "demo": cli.demo_command,
        "audit": cli.audit_command,
        "import": cli.import_command,
        "store": cli.store_command,
        "units": cli.units_command,
        **sync_cli.COMMANDS,
        "login": cli_account.login_command,
        "logout": cli_account.logout_command,
    }
    try:
        if args.self_check:
            from app.selfcheck import run_self_check

            return run_self_check()
        if args.command is None:
            return cli.gui_command(args)
        return _run(commands[args.command](args))
    except SiteSyncError as exc:
        print(f"error: {cli.printable(exc.message)}", file=sys.stderr)
        if exc.hint:
            print(f"next step: {cli.printable(exc.hint)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; nothing partial was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the program reading the output (`| head`) stopped reading
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("error: the output was cut off (the program reading it stopped)", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a fault of SiteSync itself: a sentence, not a traceback
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        problem = cli.printable(repr(exc))
        print(f"error: SiteSync stopped on an unexpected problem: {problem}", file=sys.stderr)
        print(
            f"next step: run the command again with {DEBUG_VARIABLE}=1 set to see the details, "
            "and report them",
            file=sys.stderr,
        )
        return EXIT_USAGE
