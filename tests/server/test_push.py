"""Push: verification, idempotence, gaps, forks, conflicts and rejections (F2, F6, F7, F16, F17,
A8, B2-B5)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from app.audit.checkpoint import parse_and_verify_checkpoint
from app.audit.envelope import SealedEvent, event_hash, seal, signature_message
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus, Role, RuleSet
from sync.protocol import PROTOCOL_VERSION
from sync.server.db.engine import transaction
from tests.server.conftest import Org, add_user, bearer, sign_in
from tests.server.devices import SYNC, Laptop, wire

CUSTOMER, SITE, UNIT = uuid4(), uuid4(), uuid4()


@dataclass
class Field:
    """A signed-in technician with a registered laptop."""

    laptop: Laptop
    headers: dict[str, str]


async def field_tech(
    api: httpx.AsyncClient, org: Org, email: str, role: Role = Role.SUPERVISOR
) -> Field:
    user_id = await add_user(org, email, role)
    headers = bearer(await sign_in(api, email))
    laptop = Laptop(org.id, user_id)
    await laptop.register(api, headers)
    return Field(laptop, headers)


def fleet_events(laptop: Laptop) -> list[SealedEvent]:
    return [
        laptop.event(CUSTOMER, p.CustomerCreated(name="Harbour Ltd")),
        laptop.event(SITE, p.SiteCreated(customer_id=CUSTOMER, name="Quay", address="1 Quay")),
        laptop.event(UNIT, p.ElevatorRegistered(site_id=SITE, unit_number="L1")),
    ]


async def test_push_appends_verifies_and_answers_with_a_signed_checkpoint(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    response = await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted"] * 3
    assert [r["ledger_index"] for r in body["results"]] == [2, 3, 4]  # 1: the user's event
    checkpoint = parse_and_verify_checkpoint(
        body["checkpoint"]["note"], "sitesync-ledger", org.keys.current.signer.public_key
    )
    assert checkpoint.size == 4
    async with org.units() as uow:
        unit = await uow.elevators.get(UNIT)
        assert unit is not None
        assert unit.unit_number == "L1"


async def test_re_push_returns_the_stored_results_and_changes_nothing(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    first = (await tech.laptop.push(api, tech.headers, events)).json()
    again = (await tech.laptop.push(api, tech.headers, events)).json()
    assert [r["duplicate"] for r in again["results"]] == [True] * 3
    strip = [{k: v for k, v in r.items() if k != "duplicate"} for r in again["results"]]
    assert strip == [{k: v for k, v in r.items() if k != "duplicate"} for r in first["results"]]
    assert again["checkpoint"]["size"] == first["checkpoint"]["size"]


async def test_the_same_batch_twice_at_once_is_stored_once(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    answers = await asyncio.gather(
        tech.laptop.push(api, tech.headers, events), tech.laptop.push(api, tech.headers, events)
    )
    assert [a.status_code for a in answers] == [200, 200]
    indexes = [[r["ledger_index"] for r in a.json()["results"]] for a in answers]
    assert indexes[0] == indexes[1]
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 4


async def test_a_gap_answers_409_with_the_expected_seq(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    response = await tech.laptop.push(api, tech.headers, events[1:])
    assert response.status_code == 409
    assert response.json()["error"]["expected_device_seq"] == 1
    assert (await tech.laptop.push(api, tech.headers, events)).status_code == 200


async def test_the_same_event_id_with_other_bytes_is_an_integrity_error(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    await tech.laptop.push(api, tech.headers, events)
    other = Laptop(
        org.id, tech.laptop.user_id, signer=tech.laptop.signer, device_id=tech.laptop.device_id
    )
    other.seq, other.prev = 3, events[-1].hash
    changed = other.event(UNIT, p.ElevatorUpdated(model="X"))
    body = changed.body
    forged_body = type(body)(**{**_fields(body), "event_id": events[0].body.event_id})
    forged = seal(forged_body, tech.laptop.signer)
    response = await tech.laptop.push(api, tech.headers, [forged])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "EVENT_ID_REUSED"


def _fields(body: Any) -> dict[str, Any]:
    return {name: getattr(body, name) for name in body.__dataclass_fields__}


async def test_a_second_history_of_a_device_is_a_fork_and_raises_an_alarm(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    clone = Laptop(
        org.id, tech.laptop.user_id, signer=tech.laptop.signer, device_id=tech.laptop.device_id
    )
    replayed = fleet_events(clone)  # same seqs, different events: a restored backup
    response = await tech.laptop.push(api, tech.headers, replayed)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "DEVICE_FORK"
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM alarms WHERE kind = 'device_fork'") == 1
        assert await conn.fetchval("SELECT count(*) FROM events") == 4


@pytest.mark.parametrize("finding", ["fork", "gap", "event-id-reused"])
async def test_a_bad_signature_is_answered_before_what_the_ledger_finds(
    api: httpx.AsyncClient, org: Org, finding: str
) -> None:
    """Signatures are verified while the batch is folded; a batch that is not the device's
    own never raises a fork alarm nor learns what the ledger holds, and stores nothing."""
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    await tech.laptop.push(api, tech.headers, events)
    clone = Laptop(
        org.id, tech.laptop.user_id, signer=tech.laptop.signer, device_id=tech.laptop.device_id
    )
    batch = fleet_events(clone)  # a second history of seqs 1-3 (a fork when signed)
    if finding == "gap":
        clone.seq, clone.prev = 9, events[-1].hash
        batch = [clone.event(UNIT, p.ElevatorUpdated(model="X"))]
    elif finding == "event-id-reused":
        body = batch[0].body
        reused = type(body)(**{**_fields(body), "event_id": events[1].body.event_id})
        batch = [seal(reused, tech.laptop.signer)]
    items = [wire(e) for e in batch]
    items[-1]["signature"] = base64.b64encode(bytes(64)).decode()
    push = {"device_id": str(tech.laptop.device_id), "events": items}
    response = await api.post("/api/v1/sync/push", json=push, headers={**tech.headers, **SYNC})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["rule"] == "signature"
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM alarms") == 0
        assert await conn.fetchval("SELECT count(*) FROM events") == 4


def _tamper(sealed: SealedEvent, **change: Any) -> dict[str, str]:
    item = wire(sealed)
    item.update(change)
    return item


@pytest.mark.parametrize(
    ("mutation", "rule"),
    [
        ("signature", "signature"),
        ("hash", "event-hash"),
        ("float", "no-floats"),
        ("nfc", "nfc"),
        ("duplicate-key", "duplicate-key"),
        ("huge-int", "integer-range"),
        ("spaces", "non-canonical-bytes"),
    ],
)
async def test_tampered_or_non_canonical_events_are_refused_with_the_rule(
    api: httpx.AsyncClient, org: Org, mutation: str, rule: str
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    [sealed] = fleet_events(tech.laptop)[:1]
    canonical = sealed.canonical
    replacements = {
        "float": (b'"name":"Harbour Ltd"', b'"name":1.5'),
        "nfc": (b'"name":"Harbour Ltd"', '"name":"Cafe\u0301"'.encode()),
        "duplicate-key": (b'"name":"Harbour Ltd"', b'"name":"Harbour Ltd","name":"x"'),
        "huge-int": (b'"name":"Harbour Ltd"', b'"name":12345678901234567890'),
        "spaces": (b'"name":"Harbour Ltd"', b'"name": "Harbour Ltd"'),
    }
    if mutation == "signature":
        item = _tamper(sealed, signature=base64.b64encode(bytes(64)).decode())
    elif mutation == "hash":
        item = _tamper(sealed, hash="0" * 64)
    else:
        old, new = replacements[mutation]
        changed = canonical.replace(old, new)
        digest = event_hash(changed)
        item = {
            "canonical": base64.b64encode(changed).decode(),
            "hash": digest,
            "signature": base64.b64encode(
                tech.laptop.signer.sign(signature_message(digest))
            ).decode(),
        }
    body = {"device_id": str(tech.laptop.device_id), "events": [item]}
    response = await api.post("/api/v1/sync/push", json=body, headers={**tech.headers, **SYNC})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["rule"] == rule
    async with transaction(org.engine, org.id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 1


async def test_a_revoked_device_is_refused_but_its_past_events_stay(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    await tech.laptop.push(api, tech.headers, events[:2])
    await add_user(org, "boss@example.com", Role.ADMIN)
    admin = bearer(await sign_in(api, "boss@example.com"))
    revoked = await api.post(f"/api/v1/devices/{tech.laptop.device_id}/revoke", headers=admin)
    assert revoked.status_code == 200
    refused = await tech.laptop.push(api, tech.headers, events[2:])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "DEVICE_REVOKED"
    pulled = await api.get("/api/v1/sync/pull", params={"after": 0}, headers={**admin, **SYNC})
    assert [e["hash"] for e in pulled.json()["entries"]][1:3] == [e.hash for e in events[:2]]


async def test_events_of_another_author_are_refused(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    tech.laptop.user_id = uuid4()  # a previous user's pending events on this laptop
    response = await tech.laptop.push(api, tech.headers, fleet_events(tech.laptop))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "WRONG_AUTHOR"


@pytest.mark.parametrize("version", ["0", "99", "abc", None])
async def test_an_old_or_unknown_protocol_answers_426(
    api: httpx.AsyncClient, org: Org, version: str | None
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    headers = dict(tech.headers)
    if version is not None:
        headers["SiteSync-Protocol"] = version
    body = {"device_id": str(tech.laptop.device_id), "events": [wire(fleet_events(tech.laptop)[0])]}
    response = await api.post("/api/v1/sync/push", json=body, headers=headers)
    assert response.status_code == 426
    error = response.json()["error"]
    assert error["code"] == "UPGRADE_REQUIRED"
    newer = version is not None and version.isdigit() and int(version) > PROTOCOL_VERSION
    assert ("update it" in error["hint"]) is newer  # the server is the one to update


async def test_batch_limits_and_extra_fields(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    one = wire(fleet_events(tech.laptop)[0])
    device = str(tech.laptop.device_id)
    headers = {**tech.headers, **SYNC}
    too_many = {"device_id": device, "events": [one] * 501}
    response = await api.post("/api/v1/sync/push", json=too_many, headers=headers)
    assert response.status_code == 413
    sneaky = {"device_id": device, "events": [one], "organization_id": str(uuid4())}
    response = await api.post("/api/v1/sync/push", json=sneaky, headers=headers)
    assert response.status_code == 422
    response = await api.post(
        "/api/v1/sync/push",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_JSON"


async def test_concurrent_edits_merge_or_conflict_by_ledger_order(
    api: httpx.AsyncClient, org: Org
) -> None:
    first = await field_tech(api, org, "tom@example.com")
    second = await field_tech(api, org, "jo@example.com")
    await first.laptop.push(api, first.headers, fleet_events(first.laptop))
    pulled = await api.get(
        "/api/v1/sync/pull", params={"after": 0}, headers={**second.headers, **SYNC}
    )
    unit_head = [e["hash"] for e in pulled.json()["entries"]][-1]
    second.laptop.learn(UNIT, [unit_head])
    a = first.laptop.event(UNIT, p.ElevatorUpdated(model="Early", floors_served=4))
    b = second.laptop.event(UNIT, p.ElevatorUpdated(model="Late", serial_number="S-1"))
    assert (await first.laptop.push(api, first.headers, [a])).json()["results"][0]["status"] == (
        "accepted"
    )
    result = (await second.laptop.push(api, second.headers, [b])).json()["results"][0]
    assert result["status"] == "conflict"
    [conflict] = result["conflicts"]
    assert (conflict["field"], conflict["kept_value"], conflict["other_value"]) == (
        "model",
        "Late",
        "Early",
    )
    async with org.units() as uow:
        unit = await uow.elevators.get(UNIT)
        assert unit is not None
        assert (unit.model, unit.floors_served, unit.serial_number) == ("Late", 4, "S-1")


async def test_a_change_to_a_decommissioned_unit_is_kept_rejected_and_not_applied(
    api: httpx.AsyncClient, org: Org
) -> None:
    first = await field_tech(api, org, "tom@example.com")
    second = await field_tech(api, org, "jo@example.com")
    await first.laptop.push(api, first.headers, fleet_events(first.laptop))
    pulled = await api.get("/api/v1/sync/pull", headers={**second.headers, **SYNC})
    second.laptop.learn(UNIT, [pulled.json()["entries"][-1]["hash"]])
    ops = ElevatorStatus.OPERATIONAL
    retire = first.laptop.event(
        UNIT,
        p.ElevatorStatusChanged(previous=ops, new=ElevatorStatus.DECOMMISSIONED, reason="gone"),
    )
    late = second.laptop.event(
        UNIT, p.ElevatorStatusChanged(previous=ops, new=ElevatorStatus.MAINTENANCE, reason="pm")
    )
    after = second.laptop.event(UNIT, p.ElevatorUpdated(model="still here"))
    await first.laptop.push(api, first.headers, [retire])
    results = (await second.laptop.push(api, second.headers, [late, after])).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "decommissioned" in results[0]["reason"]
    entries = (await api.get("/api/v1/sync/pull", headers={**second.headers, **SYNC})).json()[
        "entries"
    ]
    assert [e["status"] for e in entries[-2:]] == ["rejected", "rejected"]
    async with org.units() as uow:
        unit = await uow.elevators.get(UNIT)
        assert unit is not None
        assert unit.status is ElevatorStatus.DECOMMISSIONED
        assert unit.model is None
        rejected = await uow.rejections.list_all()
        assert [str(r.event_id) for r in rejected] == [late.body.event_id, after.body.event_id]
        assert "decommissioned" in rejected[0].reason


async def test_an_id_already_used_by_another_kind_of_entity_is_kept_rejected(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    squat = tech.laptop.event(UNIT, p.CustomerCreated(name="Squatter Ltd"))
    edit = tech.laptop.event(SITE, p.CustomerUpdated(name="Renamed"))
    then = tech.laptop.event(UNIT, p.ElevatorUpdated(model="ok"))
    results = (await tech.laptop.push(api, tech.headers, [*events, squat])).json()["results"]
    results += (await tech.laptop.push(api, tech.headers, [edit, then])).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3 + ["rejected"] * 2 + ["accepted"]
    assert f"Id {UNIT} already belongs to an entity of type 'elevator'" in results[3]["reason"]
    assert "of type 'site'" in results[4]["reason"]
    assert (await api.get(f"/api/v1/customers/{UNIT}", headers=tech.headers)).status_code == 404
    site = (await api.get(f"/api/v1/sites/{SITE}", headers=tech.headers)).json()
    assert site["name"] == "Quay"
    async with org.units() as uow:
        unit = await uow.elevators.get(UNIT)
        assert unit is not None
        assert unit.model == "ok"


async def test_an_unreadable_payload_is_kept_rejected_and_does_not_wedge_the_chain(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    events = fleet_events(tech.laptop)
    bogus = tech.laptop.event(UNIT, p.ElevatorUpdated(model="x"))
    fields = _fields(bogus.body)
    fields["type"] = "elevator.teleported"
    bad = seal(type(bogus.body)(**fields), tech.laptop.signer)
    tech.laptop.prev = bad.hash
    follow = tech.laptop.event(UNIT, p.ElevatorUpdated(model="ok"))
    results = (await tech.laptop.push(api, tech.headers, [*events, bad, follow])).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3 + ["rejected", "accepted"]
    assert "elevator.teleported" in results[3]["reason"]


async def test_clock_skew_is_measured(api: httpx.AsyncClient, org: Org) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    response = await tech.laptop.push(
        api, tech.headers, fleet_events(tech.laptop), sent_at="2020-01-01T00:00:00Z"
    )
    assert response.json()["clock_skew_seconds"] > 24 * 3600
    devices = (await api.get("/api/v1/devices", headers=tech.headers)).json()
    assert devices[0]["clock_offset_seconds"] > 24 * 3600
    assert devices[0]["head_seq"] == 3


async def test_deep_nesting_and_oversized_blobs_are_refused(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com")
    [sealed] = fleet_events(tech.laptop)[:1]
    nested = sealed.canonical.replace(
        b'"name":"Harbour Ltd"', b'"name":' + b'{"a":' * 70 + b"1" + b"}" * 70
    )
    digest = event_hash(nested)
    item = {
        "canonical": base64.b64encode(nested).decode(),
        "hash": digest,
        "signature": base64.b64encode(tech.laptop.signer.sign(signature_message(digest))).decode(),
    }
    body = {"device_id": str(tech.laptop.device_id), "events": [item]}
    response = await api.post("/api/v1/sync/push", json=body, headers={**tech.headers, **SYNC})
    assert response.status_code == 422
    assert response.json()["error"]["rule"] == "nesting-depth"
    name = "a" * 64
    too_big = {**tech.headers, "Content-Range": f"bytes 0-9/{30 * 1024 * 1024}"}
    refused = await api.put(f"/api/v1/blobs/{name}", content=b"0123456789", headers=too_big)
    assert refused.status_code == 413
    huge = await api.put(
        f"/api/v1/blobs/{name}", content=b"x" * (5 * 1024 * 1024), headers=tech.headers
    )
    assert huge.status_code == 413


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TECHNICIAN])
async def test_what_only_an_administrator_may_record_is_kept_rejected_from_anyone_else(
    api: httpx.AsyncClient, org: Org, role: Role
) -> None:
    admin = await field_tech(api, org, "ada@example.com", Role.ADMIN)
    other = await field_tech(api, org, "tom@example.com", role)
    fleet = fleet_events(admin.laptop)
    created = admin.laptop.event(org.id, p.OrganizationCreated(name="Harbour Lifts"))
    answer = await admin.laptop.push(api, admin.headers, [*fleet, created])
    assert answer.status_code == 200, answer.text
    entries = (await api.get("/api/v1/sync/pull", headers={**other.headers, **SYNC})).json()[
        "entries"
    ]
    other.laptop.learn(SITE, [entries[1]["hash"]])
    other.laptop.learn(org.id, [entries[3]["hash"]])
    loler = p.OrganizationSettingsChanged(rule_set=RuleSet.UK_LOLER)
    custom = p.SiteUpdated(rule_set=RuleSet.CUSTOM)
    events = [
        other.laptop.event(org.id, loler),
        other.laptop.event(SITE, custom),
        other.laptop.event(
            uuid4(),
            p.SiteCreated(
                customer_id=CUSTOMER, name="Dock", address="2 Quay", rule_set=RuleSet.UK_LOLER
            ),
        ),
        other.laptop.event(uuid4(), p.SiteCreated(customer_id=CUSTOMER, name="Pier", address="3")),
        other.laptop.event(SITE, p.SiteUpdated(access_notes="Key at the desk")),
    ]
    results = (await other.laptop.push(api, other.headers, events)).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["accepted"] * 2
    assert results[0]["reason"] == "Only an administrator can change the organization's settings."
    assert results[1]["reason"] == "Only an administrator can set the rule set a site follows."
    async with org.units() as uow:
        site = await uow.sites.get(SITE)
        assert site is not None
        assert (site.rule_set, site.access_notes) == (None, "Key at the desk")
        organization = await uow.organizations.get(org.id)
        assert organization is not None
        assert organization.settings.rule_set is RuleSet.ASME_A17_1  # the refused change: none
        refused = {str(r.event_id) for r in await uow.rejections.list_all()}
        assert refused == {e.body.event_id for e in events[:3]}

    admin.laptop.learn(SITE, [events[4].hash])
    admin.laptop.learn(org.id, [events[0].hash])  # kept in the entity's history, rejected
    allowed = [admin.laptop.event(org.id, loler), admin.laptop.event(SITE, custom)]
    results = (await admin.laptop.push(api, admin.headers, allowed)).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    async with org.units() as uow:
        site = await uow.sites.get(SITE)
        organization = await uow.organizations.get(org.id)
        assert site is not None
        assert organization is not None
        assert (site.rule_set, organization.settings.rule_set) == (
            RuleSet.CUSTOM,
            RuleSet.UK_LOLER,
        )


async def test_a_unit_decommissioned_by_a_technician_is_kept_rejected(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com", Role.TECHNICIAN)
    ops = ElevatorStatus.OPERATIONAL
    retire = p.ElevatorStatusChanged(previous=ops, new=ElevatorStatus.DECOMMISSIONED, reason="x")
    events = [*fleet_events(tech.laptop), tech.laptop.event(UNIT, retire)]
    results = (await tech.laptop.push(api, tech.headers, events)).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3 + ["rejected"]
    assert results[3]["reason"] == "Only a supervisor or administrator can decommission a unit."
    async with org.units() as uow:
        unit = await uow.elevators.get(UNIT)
        assert unit is not None
        assert unit.status is ops


async def test_a_technician_cannot_make_themselves_an_administrator_by_pushing_an_event(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com", Role.TECHNICIAN)
    boss = await field_tech(api, org, "sue@example.com", Role.SUPERVISOR)
    own_head = (await api.get("/api/v1/sync/pull", headers={**tech.headers, **SYNC})).json()[
        "entries"
    ][1]["hash"]  # the technician's user.registered, recorded by the server
    tech.laptop.learn(tech.laptop.user_id, [own_head])
    grab = [
        tech.laptop.event(tech.laptop.user_id, p.UserUpdated(role=Role.ADMIN)),
        tech.laptop.event(tech.laptop.user_id, p.UserPinSet(verifier="argon2id-stand-in")),
        tech.laptop.event(
            uuid4(), p.UserRegistered(email="x@example.com", display_name="X", role=Role.ADMIN)
        ),
    ]
    results = (await tech.laptop.push(api, tech.headers, grab)).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert "Only an administrator" in results[0]["reason"]
    hire = [
        boss.laptop.event(
            uuid4(), p.UserRegistered(email="ann@example.com", display_name="Ann", role=Role.ADMIN)
        ),
        boss.laptop.event(
            uuid4(),
            p.UserRegistered(email="bo@example.com", display_name="Bo", role=Role.TECHNICIAN),
        ),
    ]
    results = (await boss.laptop.push(api, boss.headers, hire)).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    async with org.units() as uow:
        me = await uow.users.get(tech.laptop.user_id)
        assert me is not None
        assert me.role is Role.TECHNICIAN
        emails = {u.email for u in await uow.users.list_all()}
        assert "x@example.com" not in emails
        assert "ann@example.com" not in emails
        assert "bo@example.com" in emails
    me_now = await api.get("/api/v1/auth/me", headers=tech.headers)
    assert me_now.json()["role"] == "technician"
