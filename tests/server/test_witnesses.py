"""Devices as witnesses on the server: cosigned checkpoints checked, kept and served."""

from __future__ import annotations

import time
from typing import Any

import httpx

from app.audit.checkpoint import Checkpoint, parse_and_verify_checkpoint, sign_checkpoint
from app.audit.cosignature import add_cosignature, cosign, device_cosigner_name
from app.audit.signing import Ed25519Signer
from app.domain import payloads as p
from sync.server.db.engine import transaction
from tests.server.conftest import Org
from tests.server.devices import SYNC, Laptop
from tests.server.test_push import UNIT, Field, field_tech, fleet_events

NAME = "sitesync-ledger"


async def _checkpoint(api: httpx.AsyncClient, tech: Field) -> dict[str, Any]:
    response = await api.get("/api/v1/sync/pull", headers={**tech.headers, **SYNC})
    assert response.status_code == 200, response.text
    checkpoint: dict[str, Any] = response.json()["checkpoint"]
    return checkpoint


def _cosigned(org: Org, laptop: Laptop, note: str, *, signer: Ed25519Signer | None = None) -> str:
    checkpoint = parse_and_verify_checkpoint(note, NAME, org.keys.current.signer.public_key)
    name = device_cosigner_name(laptop.device_id)
    cosignature = cosign(checkpoint, name, signer or laptop.signer, int(time.time()))
    return add_cosignature(note, cosignature)


async def _upload(
    api: httpx.AsyncClient, tech: Field, notes: list[str], *, device: Laptop | None = None
) -> httpx.Response:
    body = {"device_id": str((device or tech.laptop).device_id), "notes": notes}
    return await api.post("/api/v1/sync/cosignatures", json=body, headers={**tech.headers, **SYNC})


async def test_cosignatures_are_verified_kept_and_served_with_the_checkpoint(
    api: httpx.AsyncClient, org: Org
) -> None:
    tom = await field_tech(api, org, "tom@example.com")
    ann = await field_tech(api, org, "ann@example.com")
    await tom.laptop.push(api, tom.headers, fleet_events(tom.laptop))
    first = await _checkpoint(api, tom)
    assert first["cosignatures"] == []
    tom_note = _cosigned(org, tom.laptop, first["note"])
    answer = await _upload(api, tom, [tom_note])
    assert answer.status_code == 200, answer.text
    size = first["size"]
    assert answer.json()["results"] == [{"tree_size": size, "stored": True, "reason": None}]
    assert (await _upload(api, tom, [tom_note])).json()["results"][0]["stored"]  # idempotent

    await tom.laptop.push(api, tom.headers, [tom.laptop.event(UNIT, p.ElevatorUpdated(model="X"))])
    second = await _checkpoint(api, ann)
    ann_note = _cosigned(org, ann.laptop, second["note"])
    assert (await _upload(api, ann, [ann_note])).json()["results"][0]["stored"]

    served = await _checkpoint(api, ann)
    by_device = {c["device_id"]: c for c in served["cosignatures"]}
    assert by_device[str(tom.laptop.device_id)] == {
        "device_id": str(tom.laptop.device_id),
        "tree_size": size,
        "note": tom_note,
    }
    assert by_device[str(ann.laptop.device_id)]["note"] == ann_note
    ledger = await api.get("/api/v1/ledger/checkpoint", headers=ann.headers)
    assert len(ledger.json()["cosignatures"]) == 2


async def test_bad_cosignatures_are_refused_with_the_reason(
    api: httpx.AsyncClient, org: Org
) -> None:
    tom = await field_tech(api, org, "tom@example.com")
    ann = await field_tech(api, org, "ann@example.com")
    await tom.laptop.push(api, tom.headers, fleet_events(tom.laptop))
    note = (await _checkpoint(api, tom))["note"]
    wrong_key = _cosigned(org, tom.laptop, note, signer=Ed25519Signer.generate())
    not_cosigned = note
    foreign = sign_checkpoint(
        Checkpoint(f"{NAME}/{org.id}", 4, bytes(32)), NAME, Ed25519Signer.generate()
    )
    answer = await _upload(api, tom, [wrong_key, not_cosigned, foreign])
    results = answer.json()["results"]
    assert [r["stored"] for r in results] == [False, False, False]
    assert "no cosignature" in results[0]["reason"]
    assert "no cosignature" in results[1]["reason"]
    assert "not a checkpoint of this ledger" in results[2]["reason"]
    # another user's device, and a device that is not registered
    assert (await _upload(api, ann, [note], device=tom.laptop)).status_code == 403
    stranger = Laptop(org.id, tom.laptop.user_id)
    assert (await _upload(api, tom, [note], device=stranger)).status_code == 404
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM cosignatures") == 0


async def test_a_cosigned_root_the_ledger_never_had_raises_a_witness_fork_alarm(
    api: httpx.AsyncClient, org: Org
) -> None:
    tom = await field_tech(api, org, "tom@example.com")
    await tom.laptop.push(api, tom.headers, fleet_events(tom.laptop))
    size = (await _checkpoint(api, tom))["size"]
    # What a server key holder showed Tom elsewhere: same size, another root, the real key.
    other_view = sign_checkpoint(
        Checkpoint(f"{NAME}/{org.id}", size, b"\x07" * 32), NAME, org.keys.current.signer
    )
    answer = await _upload(api, tom, [_cosigned(org, tom.laptop, other_view)])
    result = answer.json()["results"][0]
    assert result["stored"] is False
    assert "administrator was alerted" in result["reason"]
    async with transaction(org.engine, org.id) as conn:
        detail = await conn.fetchval("SELECT detail FROM alarms WHERE kind = 'witness_fork'")
        assert await conn.fetchval("SELECT count(*) FROM cosignatures") == 0
    assert str(tom.laptop.device_id) in detail
    assert other_view.split("\n\n")[0] in detail  # the evidence: the cosigned note itself


async def test_cosignatures_stay_inside_their_organization(
    api: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    tom = await field_tech(api, org, "tom@example.com")
    await tom.laptop.push(api, tom.headers, fleet_events(tom.laptop))
    note = _cosigned(org, tom.laptop, (await _checkpoint(api, tom))["note"])
    assert (await _upload(api, tom, [note])).json()["results"][0]["stored"]
    eve = await field_tech(api, other_org, "eve@example.com")
    await eve.laptop.push(api, eve.headers, fleet_events(eve.laptop))
    assert (await _checkpoint(api, eve))["cosignatures"] == []
    # Tom's note names Acme's log: the other organization's server view refuses it
    refused = (await _upload(api, eve, [note])).json()["results"][0]
    assert refused["stored"] is False
