"""The end-to-end sync section of docs/PERFORMANCE.md (from bench/results/sync_e2e.json)."""

from __future__ import annotations

from typing import Any

PUSH_RATIO = 2.0
PULL_RATIO = 2.0
RECONNECT_S = 2.0
BOOTSTRAP_S = 60.0
BOOTSTRAP_MB = 400.0


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ratio(ours: float, theirs: float | None, target: float) -> tuple[str, str, str]:
    if not theirs:
        return "-", "-", "peer not run"
    value = ours / theirs
    return f"{theirs:,.0f}", f"{value:.2f}x", f">= {target:g}x: {_mark(value >= target)}"


def sync_e2e(result: dict[str, Any]) -> list[str]:
    """Markdown for the end-to-end sync benchmark against the peer."""
    m, rounds, boot = result["median"], result["rounds"], result.get("bootstrap")
    events = result["events"]
    lines = [
        "## Sync, end to end",
        "",
        f"Laptops' SQLite stores through the real sync engine and a real `sitesync-server serve` "
        "process (embedded PostgreSQL 16, fsync on) on loopback. Each round, in an "
        f"organization of its own: a laptop records {events:,} events offline through the "
        f"services (about {result['canonical_bytes']} canonical bytes each: a customer, a "
        "site, 100 units, then status changes, each action its own signed, chained "
        "transaction), then `SyncEngine.run_once` pushes them in batches of 500; a "
        "colleague's laptop, joined before, pulls them with full verification (signatures, "
        "device chains, signed checkpoints, consistency proofs), folds them into its "
        "projections and moves its cursor; then the first laptop records a shift's 300 "
        "events and reconnects. The peer is PouchDB replicating with express-pouchdb "
        "(`../shared/bench/peer_pouchdb.sh`) on the same number of documents of the same "
        f"size, run right after each of our rounds. Median of {len(rounds)} rounds.",
        "",
        "| | ours | peer | ratio | target |",
        "|---|---|---|---|---|",
    ]
    peer_push, ratio_push, target_push = _ratio(
        m["push_per_s"], m.get("peer_push_per_s"), PUSH_RATIO
    )
    lines.append(
        f"| push: {events:,} events, run start to the last answer recorded "
        f"| {m['push_per_s']:,.0f} events/s ({m['push_s']:.2f} s) | {peer_push} events/s "
        f"| {ratio_push} | {target_push} |"
    )
    peer_pull, ratio_pull, target_pull = _ratio(
        m["pull_per_s"], m.get("peer_pull_per_s"), PULL_RATIO
    )
    lines.append(
        f"| pull on a fresh device: {events:,} events verified, folded, cursor moved "
        f"| {m['pull_per_s']:,.0f} events/s ({m['pull_s']:.2f} s) | {peer_pull} events/s "
        f"| {ratio_pull} | {target_pull} |"
    )
    reconnect = m["reconnect_ack_s"]
    lines.append(
        f"| reconnect: 300 pending events acknowledged | {reconnect:.2f} s "
        f"(whole run {m['reconnect_run_s']:.2f} s) | | "
        f"| <= {RECONNECT_S:g} s: {_mark(reconnect <= RECONNECT_S)} |"
    )
    if boot:
        after = _median([r["peak_rss_after_store_created_mb"] for r in boot["runs"]])
        lines += [
            f"| bootstrap of a {boot['units']:,}-unit organization on a new device, to the "
            f"dashboard's figures | {boot['seconds']:.1f} s | | "
            f"| <= {BOOTSTRAP_S:g} s: {_mark(boot['seconds'] <= BOOTSTRAP_S)} |",
            f"| peak resident memory of that process | {boot['peak_rss_mb']:.0f} MB "
            f"({after:.0f} MB after the store's key derivation) | | "
            f"| <= {BOOTSTRAP_MB:g} MB: {_mark(boot['peak_rss_mb'] <= BOOTSTRAP_MB)} |",
        ]
    pairs = "; ".join(
        f"push {r['push_per_s']:,} vs {r['peer_push_per_s'] or 0:,}, "
        f"pull {r['pull_per_s']:,} vs {r['peer_pull_per_s'] or 0:,}"
        for r in rounds
    )
    lines += [
        "",
        f"Round by round, ours vs the peer's, events/s: {pairs}.",
        "",
        f"The push run goes on to pull the ledger back (the device's own events, now with their "
        f"ledger positions, verified like any other entry); the whole run took "
        f"{m['push_run_s']:.1f} s. The server used {m['server_cpu_us_per_event']:.0f} us of CPU "
        "per pushed event (verification, ledger, fold, HTTP; PostgreSQL apart).",
    ]
    if boot:
        fleet = boot["fleet"]
        steps = sorted(boot["runs"], key=lambda r: r["seconds"])[len(boot["runs"]) // 2]
        lines += [
            "",
            f"Bootstrap: the organization's {boot['units']:,} units (50 customers, 100 units a "
            f"site, imported as `sitesync import` does: {fleet['events']:,} events, then "
            "synced) are taken by a new device in a process of its own that loads only the "
            "app and the sync client: a new store with its device key sealed under a password "
            "(argon2id, 256 MiB: the process's peak), sign-in, join (the snapshot at a signed "
            "ledger index, proved by an inclusion proof), the first sync run, then the "
            f"dashboard's figures. {len(boot['runs'])} runs; in the median one, join "
            f"{steps['join_s']:.1f} s (with the store's creation), first sync "
            f"{steps['first_sync_s']:.2f} s, dashboard {steps['dashboard_s']:.1f} s.",
        ]
    lines += [
        "",
        f"Command: `{result['command']}` · machine: {result['machine']} · {result['date']} · "
        f"load average at the end {result['load_average'][0]:.1f}",
        "",
    ]
    return lines


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
