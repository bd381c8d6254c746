"""The server section of docs/PERFORMANCE.md (from bench/results/server_sync.json)."""

from __future__ import annotations

from typing import Any


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _turn(ours: int, peer: int | None) -> str:
    if not peer:
        return f"{ours:,}"
    return f"{ours:,} vs {peer:,} ({ours / peer:.1f}x)"


def server_sync(result: dict[str, Any]) -> list[str]:
    """Markdown for the server benchmark: ingest, pull, proofs, memory, against the peer."""
    sync, proofs, peer = result["sync"], result["proofs"], result.get("peer")
    one, many, pull = sync["one_device"], sync["many_devices"], sync["pull"]
    lines = [
        "## Server: ingest, pull, proofs",
        "",
        f"One `sitesync-server serve` process (one worker) on an embedded PostgreSQL 16 with its "
        f"default durability (fsync on), on loopback. Events are about {sync['canonical_bytes']} "
        "canonical bytes (visits and their checklist items, signed by the device); each push "
        "of 500 is verified in full (canonical bytes, hash, Ed25519 signature, chain links), "
        "appended to the ledger, folded into the projections and answered with a signed "
        "checkpoint. The peer is PouchDB replicating with express-pouchdb "
        "(`../shared/bench/peer_pouchdb.sh`) on the same number of documents of the same size, "
        "run right after ours.",
        "",
        f"The one-device push and the peer ran in turns, {one.get('runs', 1)} times each "
        "(the machine is shared with other work, so rates swing between runs); the table shows "
        "the median of each, and each turn's pair is listed below it.",
        "",
        "| | events | events/s | push p50 | push p95 | peer events/s | ratio | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    peer_push = peer["push_per_s"] if peer else None
    peer_pull = peer["pull_per_s"] if peer else None

    def ratio(ours: float, theirs: float | None, target: float) -> tuple[str, str, str]:
        if not theirs:
            return "-", "-", "peer not run"
        value = ours / theirs
        return f"{theirs:,.0f}", f"{value:.1f}x", f">= {target:g}x: {_mark(value >= target)}"

    for label, row in (("push, one device", one), (f"push, {many['devices']} devices", many)):
        p_rate, p_ratio, p_target = ratio(row["events_per_s"], peer_push, 2)
        rate, p50, p95 = row["events_per_s"], row["push_p50_ms"], row["push_p95_ms"]
        lines.append(
            f"| {label} | {row['events']:,} | {rate:,} | {p50:.0f} ms | {p95:.0f} ms "
            f"| {p_rate} | {p_ratio} | {p_target} |"
        )
    p_rate, p_ratio, p_target = ratio(pull["events_per_s"], peer_pull, 3)
    lines.append(
        f"| pull served (pages of 500) | {pull['events']:,} | {pull['events_per_s']:,} | | "
        f"| {p_rate} | {p_ratio} | {p_target} |"
    )
    turns = sync.get("rounds", [])
    if turns:
        pairs = ", ".join(
            f"{t['events_per_s']:,} vs {t['peer_push_per_s'] or 0:,}"
            + (
                f" ({t['events_per_s'] / t['peer_push_per_s']:.1f}x)"
                if t["peer_push_per_s"]
                else ""
            )
            for t in turns
        )
        lines += [
            "",
            f"One-device push, ours vs the peer's, turn by turn: {pairs} events/s. Our turns "
            "share one server and database, which holds every earlier turn's events (the first "
            "runs on an empty one, the later ones after the 20-device run too); each of the "
            "peer's starts empty.",
        ]
    memory_ok = many["server_peak_rss_mb"] <= 300
    proofs_ok = max(proofs["inclusion_p95_ms"], proofs["consistency_p95_ms"]) <= 20
    lines += [
        "",
        f"Zero errors: every push answered 200 with every event accepted; the server used "
        f"{one['server_cpu_us_per_event']} us of CPU per event (verification, ledger, fold, "
        "HTTP; PostgreSQL apart). Peak resident memory of "
        f"the server process during the {many['devices']}-device run: "
        f"{many['server_peak_rss_mb']} MB (target <= 300 MB: {_mark(memory_ok)}).",
        "",
        f"Proofs on a ledger of {proofs['entries']:,} entries ({proofs['stored_nodes']:,} stored "
        f"subtree hashes), {proofs['samples']} requests each through the HTTP API: inclusion p50 "
        f"{proofs['inclusion_p50_ms']:.1f} ms, p95 {proofs['inclusion_p95_ms']:.1f} ms; "
        f"consistency p50 {proofs['consistency_p50_ms']:.1f} ms, p95 "
        f"{proofs['consistency_p95_ms']:.1f} ms (target p95 <= 20 ms: {_mark(proofs_ok)}).",
        "",
        f"Command: `{result['command']}` · machine: {result['machine']} · {result['date']}",
        "",
    ]
    return lines
