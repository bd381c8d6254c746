"""Pull with proofs, the snapshot at a ledger index, the ledger routes and blobs."""

from __future__ import annotations

import base64
import hashlib

import httpx

from app.audit.checkpoint import parse_and_verify_checkpoint
from app.audit.merkle import leaf_hash, ledger_leaf, verify_consistency, verify_inclusion
from app.domain import payloads as p
from tests.server.conftest import Org
from tests.server.devices import SYNC
from tests.server.test_push import SITE, UNIT, field_tech, fleet_events


def _verified(org: Org, note: str) -> tuple[int, bytes]:
    checkpoint = parse_and_verify_checkpoint(
        note,
        "sitesync-ledger",
        org.keys.current.signer.public_key,
        origin=f"sitesync-ledger/{org.id}",
    )
    return checkpoint.size, checkpoint.root_hash


async def test_pull_pages_entries_with_a_consistency_proof(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    headers = {**tech.headers, **SYNC}
    first = (await api.get("/api/v1/sync/pull", params={"limit": 2}, headers=headers)).json()
    assert [e["ledger_index"] for e in first["entries"]] == [1, 2]
    assert (first["next_after"], first["more"]) == (2, True)
    old_size, old_root = _verified(org, first["checkpoint"]["note"])
    units = [tech.laptop.event(UNIT, p.ElevatorUpdated(model=f"M{i}")) for i in range(3)]
    await tech.laptop.push(api, tech.headers, units)
    rest = (
        await api.get(
            "/api/v1/sync/pull",
            params={"after": 2, "known_size": old_size},
            headers=headers,
        )
    ).json()
    assert [e["ledger_index"] for e in rest["entries"]] == [3, 4, 5, 6, 7]
    assert rest["more"] is False
    new_size, new_root = _verified(org, rest["checkpoint"]["note"])
    proof = [base64.b64decode(h) for h in rest["consistency_proof"]]
    verify_consistency(old_size, new_size, old_root, new_root, proof)
    for entry in rest["entries"]:
        index = entry["ledger_index"]
        leaf = ledger_leaf(
            entry["hash"], base64.b64decode(entry["signature"]), index, entry["received_at"]
        )
        found = await api.get(
            "/api/v1/ledger/proofs/inclusion",
            params={"ledger_index": index, "tree_size": new_size},
            headers=tech.headers,
        )
        path = [base64.b64decode(h) for h in found.json()["proof"]]
        verify_inclusion(index - 1, new_size, leaf_hash(leaf), path, new_root)
    ahead = await api.get("/api/v1/sync/pull", params={"known_size": new_size + 5}, headers=headers)
    assert ahead.status_code == 409


async def test_ledger_routes(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    checkpoint = (await api.get("/api/v1/ledger/checkpoint", headers=tech.headers)).json()
    size, root = _verified(org, checkpoint["note"])
    assert size == 4
    keys = (await api.get("/api/v1/ledger/keys")).json()
    assert [k["current"] for k in keys] == [True]
    consistency = (
        await api.get(
            "/api/v1/ledger/proofs/consistency", params={"old_size": 1}, headers=tech.headers
        )
    ).json()
    old = await api.get(
        "/api/v1/ledger/proofs/inclusion",
        params={"ledger_index": 1, "tree_size": 1},
        headers=tech.headers,
    )
    old_root = base64.b64decode(old.json()["checkpoint"]["root_hash"])
    proof = [base64.b64decode(h) for h in consistency["proof"]]
    verify_consistency(1, size, old_root, root, proof)
    missing = await api.get(
        "/api/v1/ledger/proofs/inclusion", params={"ledger_index": 99}, headers=tech.headers
    )
    assert missing.status_code == 404


async def test_snapshot_shows_the_organization_at_a_ledger_index(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    headers = {**tech.headers, **SYNC}
    at = (await api.get("/api/v1/sync/snapshot", headers=headers)).json()["at"]
    later = [
        tech.laptop.event(UNIT, p.ElevatorUpdated(model="Later")),
        tech.laptop.event(SITE, p.SiteUpdated(name="Renamed")),
    ]
    await tech.laptop.push(api, tech.headers, later)
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"at": at, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/api/v1/sync/snapshot", params=params, headers=headers)).json()
        assert page["at"] == at
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    by_kind = {(i["kind"], i["key"]): i for i in items}
    unit = by_kind[("elevator", str(UNIT))]
    assert unit["data"]["model"] is None  # type: ignore[index]
    site = by_kind[("site", str(SITE))]
    assert site["data"]["name"] == "Quay"  # type: ignore[index]
    assert len(unit["heads"]) == 1  # type: ignore[arg-type]
    assert ("device", str(tech.laptop.device_id)) in by_kind
    assert ("user", str(tech.laptop.user_id)) in by_kind
    now = (await api.get("/api/v1/sync/snapshot", headers=headers)).json()
    assert now["at"] == at + 2
    bad = await api.get("/api/v1/sync/snapshot", params={"cursor": "nope:1"}, headers=headers)
    assert bad.status_code == 422


async def test_blobs_whole_chunked_resumed_and_checked(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    headers = tech.headers
    photo = bytes(range(256)) * 40
    name = hashlib.sha256(photo).hexdigest()
    created = await api.put(f"/api/v1/blobs/{name}", content=photo, headers=headers)
    assert created.status_code == 201
    again = await api.put(f"/api/v1/blobs/{name}", content=photo, headers=headers)
    assert again.status_code == 200
    assert (await api.get(f"/api/v1/blobs/{name}", headers=headers)).content == photo
    wrong = await api.put(f"/api/v1/blobs/{'0' * 64}", content=photo, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "HASH_MISMATCH"

    big = hashlib.sha512(b"seed").digest() * 300
    big_name = hashlib.sha256(big).hexdigest()
    total = len(big)

    def chunk(start: int, end: int) -> dict[str, str]:
        return {**headers, "Content-Range": f"bytes {start}-{end - 1}/{total}"}

    part = await api.put(f"/api/v1/blobs/{big_name}", content=big[:5000], headers=chunk(0, 5000))
    assert part.status_code == 202
    skipped = await api.put(
        f"/api/v1/blobs/{big_name}", content=big[9000:], headers=chunk(9000, total)
    )
    assert skipped.status_code == 416
    status = (await api.get(f"/api/v1/blobs/{big_name}/status", headers=headers)).json()
    assert (status["received"], status["complete"]) == (5000, False)
    done = await api.put(
        f"/api/v1/blobs/{big_name}", content=big[5000:], headers=chunk(5000, total)
    )
    assert done.status_code == 201
    assert (await api.get(f"/api/v1/blobs/{big_name}", headers=headers)).content == big
    missing = await api.get(f"/api/v1/blobs/{'1' * 64}", headers=headers)
    assert missing.status_code == 404
    assert (await api.get("/api/v1/blobs/not-a-hash", headers=headers)).status_code == 422


async def test_a_blob_download_resumes_from_a_range(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    photo = hashlib.sha512(b"photo").digest() * 200
    name = hashlib.sha256(photo).hexdigest()
    assert (await api.put(f"/api/v1/blobs/{name}", content=photo, headers=tech.headers)).is_success
    size = len(photo)

    async def fetch(wanted: str) -> httpx.Response:
        return await api.get(f"/api/v1/blobs/{name}", headers={**tech.headers, "Range": wanted})

    rest = await fetch("bytes=5000-")
    assert rest.status_code == 206
    assert rest.content == photo[5000:]
    assert rest.headers["Content-Range"] == f"bytes 5000-{size - 1}/{size}"
    middle = await fetch("bytes=100-199")
    assert (middle.status_code, middle.content) == (206, photo[100:200])
    assert middle.headers["Content-Range"] == f"bytes 100-199/{size}"
    clamped = await fetch(f"bytes={size - 10}-{size + 500}")
    assert (clamped.status_code, clamped.content) == (206, photo[-10:])
    tail = await fetch("bytes=-64")
    assert (tail.status_code, tail.content) == (206, photo[-64:])
    for ignored in ("bytes=0-10,20-30", "items=0-10", "bytes=50-10", "bytes=-"):
        whole = await fetch(ignored)
        assert (whole.status_code, whole.content) == (200, photo), ignored
        assert whole.headers["Accept-Ranges"] == "bytes"
    past = await fetch(f"bytes={size}-")
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{size}"
    assert past.json()["error"]["code"] == "RANGE_NOT_SATISFIABLE"
    missing = await api.get(
        f"/api/v1/blobs/{'1' * 64}", headers={**tech.headers, "Range": "bytes=0-"}
    )
    assert missing.status_code == 404
