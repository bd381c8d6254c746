"""Server benchmarks: ingest, pull, proofs and memory, beside the CouchDB-protocol peer.

uv run python -m bench.server_sync [--events 100000] [--devices 20] [--proof-entries 1000000]

One run, on this machine: an embedded PostgreSQL with its default durability (fsync on), one
`sitesync-server serve` process (one worker) on loopback, and the peer
(`../shared/bench/peer_pouchdb.sh`, PouchDB replicating with express-pouchdb) on the same
number of documents of the same size, run right after ours so the ratio compares like with
like. Events are built and signed before the clock starts (that is the device's work); what
is timed is the server's: full verification, ledger append, fold, commit, signed checkpoint.

- ingest, one device: ``--events`` events in pushes of 500, one after another;
- ingest, ``--devices`` devices at once: the same number of events split among them;
- pull served: every event of the one-device run, in pages of 500, to a cursor;
- proofs: a ledger of ``--proof-entries`` leaves (stored subtree hashes written directly),
  p95 of inclusion and consistency proofs through the HTTP API;
- memory: the server process's peak resident set during the many-device run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx

from app.audit.merkle import ledger_leaf
from app.domain import payloads as p
from app.domain.enums import ItemOutcome, Role, VisitType
from bench.common import RESULTS, ROOT, machine, percentile
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.server.db.roles import connect
from sync.server.ledger.store import sign
from sync.server.ledger.tree import appended_nodes, root_of
from tests.postgres import ServerProcess, settings_for, start_cluster, stop_cluster
from tests.server.conftest import PASSWORD, add_user, make_org
from tests.server.devices import Laptop, wire

BATCH = 500
TARGET_BYTES = 700
PEER = ROOT.parent.parent / "shared" / "bench" / "peer_pouchdb.sh"


def _peer_script() -> Path | None:
    for candidate in (PEER, Path("/work/shared/bench/peer_pouchdb.sh")):
        if candidate.exists():
            return candidate
    return None


def _events(laptop: Laptop, count: int) -> list[dict[str, str]]:
    """A technician's work: units, visits, 19 checklist items each; about 700 bytes an event."""
    customer, site = uuid4(), uuid4()
    sealed = [
        laptop.event(customer, p.CustomerCreated(name="Harbour Ltd")),
        laptop.event(site, p.SiteCreated(customer_id=customer, name="Quay", address="1 Quay")),
    ]
    pad = "x" * 100  # canonical events of about 700 bytes, the size of the peer's documents
    unit: UUID | None = None
    while len(sealed) < count:
        if unit is None or len(sealed) % 400 < 20:
            unit = uuid4()
            sealed.append(laptop.event(unit, p.ElevatorRegistered(site_id=site, unit_number="L1")))
        visit = uuid4()
        sealed.append(
            laptop.event(
                visit,
                p.VisitStarted(
                    elevator_id=unit,
                    site_id=site,
                    type=VisitType.PREVENTIVE,
                    technician_id=laptop.user_id,
                    arrived_at=laptop.clock,
                ),
            )
        )
        for item in range(19):
            if len(sealed) >= count:
                break
            payload = p.VisitItemRecorded(
                key=f"item-{item:02d}", outcome=ItemOutcome.PASS, value="6.5", text=pad
            )
            sealed.append(laptop.event(visit, payload))
    return [wire(e) for e in sealed[:count]]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples a process group's resident memory every 50 ms (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss())
            time.sleep(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    if answer.status_code != 200:
        raise RuntimeError(f"sign-in failed: {answer.text}")
    return {
        "Authorization": f"Bearer {answer.json()['access_token']}",
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
    }


async def _push_all(
    client: httpx.AsyncClient, headers: dict[str, str], laptop: Laptop, events: list[dict[str, str]]
) -> list[float]:
    latencies = []
    for start in range(0, len(events), BATCH):
        body = {"device_id": str(laptop.device_id), "events": events[start : start + BATCH]}
        began = time.perf_counter()
        answer = await client.post("/api/v1/sync/push", json=body, headers=headers)
        latencies.append(time.perf_counter() - began)
        if answer.status_code != 200:
            raise RuntimeError(f"push failed: {answer.status_code} {answer.text[:300]}")
        if any(r["status"] != "accepted" for r in answer.json()["results"]):
            raise RuntimeError("an event was not accepted")
    return latencies


async def _organization(settings: Any, name: str, devices: int) -> tuple[UUID, list[Laptop]]:
    org = await make_org(settings, name)
    try:
        user = await add_user(org, f"tech@{name.lower().replace(' ', '')}.example", Role.TECHNICIAN)
    finally:
        await org.engine.dispose()
    return org.id, [Laptop(org.id, user) for _ in range(devices)]


async def one_device(
    server: ServerProcess, settings: Any, events: int, name: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """One device pushing ``events`` events in batches of 500, one push after another."""
    async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
        _org, [laptop] = await _organization(settings, name, 1)
        headers = await _token(client, f"tech@{name.lower().replace(' ', '')}.example")
        await client.post("/api/v1/devices", json=laptop.registration(), headers=headers)
        built = _events(laptop, events)
        canonical = sum(len(base64.b64decode(e["canonical"])) for e in built) / len(built)
        began, cpu = time.perf_counter(), cpu_seconds(server.pid)
        latencies = await _push_all(client, headers, laptop, built)
        seconds = time.perf_counter() - began
        server_cpu = cpu_seconds(server.pid) - cpu
    return {
        "events": events,
        "canonical_bytes": round(canonical),
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "push_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "push_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "server_cpu_us_per_event": round(server_cpu / events * 1e6),
    }, headers


async def _ingest_and_pull(
    server: ServerProcess, settings: Any, events: int, devices: int
) -> dict[str, Any]:
    one, headers = await one_device(server, settings, events, "One Device")
    async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
        # pull served, to a cursor
        began, after, pulled = time.perf_counter(), 0, 0
        while True:
            page = await client.get(
                "/api/v1/sync/pull", params={"after": after, "limit": BATCH}, headers=headers
            )
            body = page.json()
            pulled += len(body["entries"])
            after = body["next_after"]
            if not body["more"]:
                break
        pull_s = time.perf_counter() - began
        # many devices at once
        _org, laptops = await _organization(settings, "Many Devices", devices)
        headers = await _token(client, "tech@manydevices.example")
        for each in laptops:
            await client.post("/api/v1/devices", json=each.registration(), headers=headers)
        share = events // devices
        streams = [_events(each, share) for each in laptops]
        with RssSampler(server.pid) as sampler:
            began = time.perf_counter()
            results = await asyncio.gather(
                *(
                    _push_all(client, headers, each, s)
                    for each, s in zip(laptops, streams, strict=True)
                )
            )
            many_s = time.perf_counter() - began
        many_latencies = [x for r in results for x in r]
    return {
        "canonical_bytes": one["canonical_bytes"],
        "one_device": one,
        "many_devices": {
            "devices": devices,
            "events": share * devices,
            "seconds": round(many_s, 2),
            "events_per_s": round(share * devices / many_s),
            "push_p50_ms": round(percentile(many_latencies, 50) * 1000, 1),
            "push_p95_ms": round(percentile(many_latencies, 95) * 1000, 1),
            "server_peak_rss_mb": round(sampler.peak_mb),
        },
        "pull": {
            "events": pulled,
            "seconds": round(pull_s, 2),
            "events_per_s": round(pulled / pull_s),
        },
    }


async def _proofs(
    server: ServerProcess,
    settings: Any,
    superuser_url: str,
    database: str,
    entries: int,
    samples: int,
) -> dict[str, Any]:
    from sync.server.admin import create_organization
    from sync.server.auth.passwords import Passwords

    org_id = await create_organization(settings.database_url, "Big Ledger")
    email = "tech@bigledger.example"
    password_hash = await Passwords(time_cost=1, memory_kib=64, parallelism=1).hash(PASSWORD)
    rng = random.Random(7)
    received = "2026-01-01T00:00:00.000000Z"
    sample_indexes = sorted(rng.sample(range(1, entries + 1), samples))
    sample_set = set(sample_indexes)
    checkpoint_sizes = [*sorted(rng.sample(range(1, entries), samples)), entries]
    wanted_sizes = set(checkpoint_sizes)
    leaves: list[bytes] = []
    sample_rows = []
    roots: list[bytes] = []
    size = 0
    nodes: list[tuple[Any, ...]] = []
    checkpoints = []
    keys = settings_keys(settings)
    began = time.perf_counter()
    from app.audit.merkle import leaf_hash

    for index in range(1, entries + 1):
        digest = f"{index:064x}"
        signature = index.to_bytes(64, "big")
        leaves.append(leaf_hash(ledger_leaf(digest, signature, index, received)))
        if index in sample_set:
            sample_rows.append((index, digest, signature))
        if len(leaves) == 65536 or index == entries or index in wanted_sizes:
            made, roots = appended_nodes(size, roots, leaves)
            size += len(leaves)
            leaves = []
            nodes.extend((org_id, level, i, h) for level, i, h in made)
            if size in wanted_sizes:
                root = root_of(roots)
                note = sign(
                    f"{settings.ledger_name}/{org_id}",
                    size,
                    root,
                    keys.signing,
                    settings.ledger_name,
                )
                checkpoints.append((org_id, size, root, note))
    build_s = time.perf_counter() - began
    conn = await connect(_with_db(superuser_url, database))
    try:
        user = uuid4()  # an account without events: the ledger holds only synthetic leaves
        await conn.execute(
            "INSERT INTO accounts (organization_id, user_id, email, email_key, password_hash, role)"
            " VALUES ($1, $2, $3, $3, $4, 'technician')",
            org_id,
            user,
            email,
            password_hash,
        )
        await conn.execute("INSERT INTO login_directory VALUES ($1, $2, $3)", email, org_id, user)
        await conn.copy_records_to_table(
            "ledger_nodes",
            records=nodes,
            columns=["organization_id", "level", "node_index", "hash"],
        )
        await conn.executemany(
            "INSERT INTO checkpoints (organization_id, tree_size, root_hash, note) "
            "VALUES ($1, $2, $3, $4)",
            checkpoints,
        )
        await conn.execute(
            "UPDATE ledger_heads SET size = $2, subtree_roots = $3 WHERE organization_id = $1",
            org_id,
            entries,
            roots,
        )
        device = uuid4()
        await conn.executemany(
            "INSERT INTO events (organization_id, ledger_index, event_id, device_id, device_seq, "
            "actor_id, entity_type, entity_id, type, hash, parents, signature, canonical, "
            "received_at, status) VALUES ($1, $2, $3, $4, $2, $4, 'elevator', $4, "
            "'elevator.updated', $5, '{}', $6, '', $7, 'accepted')",
            [(org_id, i, uuid4(), device, d, s, received) for i, d, s in sample_rows],
        )
        await conn.execute("ANALYZE ledger_nodes")
    finally:
        await conn.close()
    inclusion, consistency = [], []
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        headers = await _token(client, "tech@bigledger.example")
        for index, old in zip(sample_indexes, checkpoint_sizes, strict=False):
            began = time.perf_counter()
            answer = await client.get(
                "/api/v1/ledger/proofs/inclusion", params={"ledger_index": index}, headers=headers
            )
            inclusion.append(time.perf_counter() - began)
            answer.raise_for_status()
            began = time.perf_counter()
            answer = await client.get(
                "/api/v1/ledger/proofs/consistency", params={"old_size": old}, headers=headers
            )
            consistency.append(time.perf_counter() - began)
            answer.raise_for_status()
    return {
        "entries": entries,
        "stored_nodes": len(nodes),
        "build_s": round(build_s, 1),
        "inclusion_p50_ms": round(percentile(inclusion, 50) * 1000, 2),
        "inclusion_p95_ms": round(percentile(inclusion, 95) * 1000, 2),
        "consistency_p50_ms": round(percentile(consistency, 50) * 1000, 2),
        "consistency_p95_ms": round(percentile(consistency, 95) * 1000, 2),
        "samples": samples,
    }


def _with_db(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def settings_keys(settings: Any) -> Any:
    from sync.server.keys import load_keys

    return load_keys(settings.keys_dir)


def _peer(events: int, doc_bytes: int) -> dict[str, Any] | None:
    script = _peer_script()
    if script is None:
        return None
    done = subprocess.run(
        ["bash", str(script), str(events), str(doc_bytes)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"peer failed: {done.stderr[-500:]}")
        return None
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _run_peer(args: argparse.Namespace, doc_bytes: int) -> dict[str, Any] | None:
    return None if args.no_peer else _peer(args.events, doc_bytes)


def _median_ours(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median push rate (its latencies and CPU come with it)."""
    ordered = sorted(runs, key=lambda r: r["events_per_s"])
    return {**ordered[len(ordered) // 2], "runs": len(runs)}


def _median_peer(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    push = sorted(r["push_per_s"] for r in runs)[len(runs) // 2]
    pull = sorted(r["pull_per_s"] for r in runs)[len(runs) // 2]
    return {**runs[0], "push_per_s": push, "pull_per_s": pull, "runs": len(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--proof-entries", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="one-device pushes of ours and the peer's, taken in turns (the machine is shared)",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sitesync-bench-"))
    cluster = start_cluster(scratch, durable=True)
    try:
        name, urls = cluster.create_database()
        settings = settings_for(urls, scratch / "keys", pool_size=10)
        server = ServerProcess(settings).start()
        try:
            sync = asyncio.run(_ingest_and_pull(server, settings, args.events, args.devices))
            rounds = [(sync["one_device"], _run_peer(args, sync["canonical_bytes"]))]
            for number in range(1, args.rounds):
                ours, _ = asyncio.run(one_device(server, settings, args.events, f"Round {number}"))
                rounds.append((ours, _run_peer(args, sync["canonical_bytes"])))
            proofs = asyncio.run(
                _proofs(
                    server, settings, cluster.superuser_url, name, args.proof_entries, args.samples
                )
            )
        finally:
            server.stop()
    finally:
        stop_cluster(cluster)
        shutil.rmtree(scratch, ignore_errors=True)
    peer = _median_peer([p for _, p in rounds if p])
    sync["one_device"] = _median_ours([o for o, _ in rounds])
    sync["rounds"] = [
        {
            "events_per_s": o["events_per_s"],
            "peer_push_per_s": round(p["push_per_s"]) if p else None,
        }
        for o, p in rounds
    ]
    result = {
        "benchmark": "server_sync",
        "command": "uv run python -m bench.server_sync"
        + (f" --events {args.events}" if args.events != 100_000 else ""),
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "sync": sync,
        "proofs": proofs,
        "peer": peer,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_sync.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
