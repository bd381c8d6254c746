"""``sitesync --self-check``: prove that this installation works, end to end, in a few seconds.

In a temporary folder it creates a store and migrates it, writes and verifies a signed event,
verifies a checkpoint and an inclusion proof, and paints the main window offscreen; it reports
the SQLite and Qt versions and the keyring backend in use. The person's own stores, keyring and
settings are never touched. Exit code 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.selfcheck.checks import Check

EXIT_OK, EXIT_FAILED = 0, 1


def _line(check: Check) -> str:
    return f"  {'ok' if check.ok else 'FAILED':6} {check.name}: {check.detail}"


def run_self_check(out: Callable[[str], None] = print) -> int:
    """Run every step, printing each result as it comes; return the exit code."""
    from app.selfcheck.environment import environment_checks
    from app.selfcheck.store import store_checks
    from app.selfcheck.window import window_check
    from app.version import build_info

    out(f"{build_info().describe()}: self-check")
    results: list[Check] = []

    def report(*checks: Check) -> None:
        for check in checks:
            results.append(check)
            out(_line(check))

    with tempfile.TemporaryDirectory(
        prefix="sitesync-self-check-", ignore_cleanup_errors=True
    ) as tmp:
        folder = Path(tmp)
        checks, store = asyncio.run(store_checks(folder))
        report(*checks)
        if store is None:
            report(Check("window", False, "not tried: the store checks failed"))
        else:
            report(window_check(store, folder))
        report(*environment_checks())
    failed = [check.name for check in results if not check.ok]
    if failed:
        out(f"self-check FAILED ({', '.join(failed)}): this installation is not usable as it is.")
        return EXIT_FAILED
    out(f"self-check passed: {len(results)} steps")
    return EXIT_OK
