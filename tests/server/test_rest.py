"""The REST API: the guide's elevator routes, roles on every write (A2), users, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx

from app.domain import payloads as p
from app.domain.enums import DeficiencySeverity, ItemOutcome, Role, VisitType
from tests.server.conftest import Org, add_user, bearer, sign_in
from tests.server.devices import SYNC
from tests.server.test_push import SITE, UNIT, field_tech, fleet_events


async def _signed_in(api: httpx.AsyncClient, org: Org, email: str, role: Role) -> dict[str, str]:
    await add_user(org, email, role)
    return bearer(await sign_in(api, email))


async def _site(api: httpx.AsyncClient, headers: dict[str, str]) -> str:
    customer = await api.post("/api/v1/customers", json={"name": "Harbour Ltd"}, headers=headers)
    assert customer.status_code == 201, customer.text
    site = await api.post(
        "/api/v1/sites",
        json={"customer_id": customer.json()["id"], "name": "Quay", "address": "1 Quay"},
        headers=headers,
    )
    assert site.status_code == 201, site.text
    site_id: str = site.json()["id"]
    return site_id


async def test_elevator_routes(api: httpx.AsyncClient, org: Org) -> None:
    boss = await _signed_in(api, org, "boss@example.com", Role.SUPERVISOR)
    site_id = await _site(api, boss)
    ids = []
    for number in ("L2", "L1", "L3"):
        created = await api.post(
            "/api/v1/elevators",
            json={"site_id": site_id, "unit_number": number, "manufacturer": "KONE"},
            headers=boss,
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    listed = (await api.get("/api/v1/elevators", params={"site_id": site_id}, headers=boss)).json()
    assert [u["unit_number"] for u in listed["data"]] == ["L1", "L2", "L3"]
    assert listed["total"] == 3
    paged = await api.get("/api/v1/elevators", params={"per_page": 2, "page": 2}, headers=boss)
    assert [u["unit_number"] for u in paged.json()["data"]] == ["L3"]
    patched = await api.patch(f"/api/v1/elevators/{ids[0]}", json={"model": "Mono"}, headers=boss)
    assert patched.json()["model"] == "Mono"
    down = await api.patch(
        f"/api/v1/elevators/{ids[0]}/status",
        json={"status": "out_of_service", "reason": "door fault"},
        headers=boss,
    )
    assert down.json()["status"] == "out_of_service"
    out = await api.get("/api/v1/elevators", params={"status": "out_of_service"}, headers=boss)
    assert [u["id"] for u in out.json()["data"]] == [ids[0]]
    health = await api.get(f"/api/v1/elevators/{ids[0]}/health", headers=boss)
    assert 0 <= health.json()["score"] <= 100
    same = await api.patch(
        f"/api/v1/elevators/{ids[0]}/status",
        json={"status": "out_of_service", "reason": "again"},
        headers=boss,
    )
    assert same.status_code == 409
    unknown = await api.get(f"/api/v1/elevators/{uuid4()}", headers=boss)
    assert unknown.status_code == 404
    bad = await api.post(
        "/api/v1/elevators", json={"site_id": site_id, "unit_number": ""}, headers=boss
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_rest_writes_are_events_signed_by_the_server_device(
    api: httpx.AsyncClient, org: Org
) -> None:
    boss = await _signed_in(api, org, "boss@example.com", Role.SUPERVISOR)
    await _site(api, boss)
    entries = (await api.get("/api/v1/ledger/entries", headers=boss)).json()["entries"]
    assert len(entries) == 3  # the user, the customer, the site
    devices = (await api.get("/api/v1/devices", headers=boss)).json()
    assert devices == []  # a supervisor sees their own devices; the server's is no one's


async def test_technicians_cannot_call_supervisor_or_admin_operations(
    api: httpx.AsyncClient, org: Org
) -> None:
    boss = await _signed_in(api, org, "boss@example.com", Role.ADMIN)
    site_id = await _site(api, boss)
    tech = await _signed_in(api, org, "tom@example.com", Role.TECHNICIAN)
    forbidden = [
        await api.patch(f"/api/v1/sites/{site_id}", json={"rule_set": "uk_loler"}, headers=tech),
        await api.get("/api/v1/users", headers=tech),
        await api.post(
            "/api/v1/users",
            json={"email": "x@y.z", "display_name": "X", "role": "admin", "password": "x" * 12},
            headers=tech,
        ),
        await api.get("/api/v1/conflicts", headers=tech),
        await api.get("/api/v1/ledger/entries", headers=tech),
        await api.post(f"/api/v1/devices/{uuid4()}/revoke", headers=tech),
        await api.post(
            f"/api/v1/sites/{site_id}/technicians",
            json={"technician_id": str(uuid4())},
            headers=tech,
        ),
    ]
    assert [r.status_code for r in forbidden] == [403] * len(forbidden)
    assert all(r.json()["error"]["code"] == "FORBIDDEN" for r in forbidden)


async def test_technicians_enter_customers_sites_and_units_as_in_the_app(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await _signed_in(api, org, "tom@example.com", Role.TECHNICIAN)
    site_id = await _site(api, tech)
    unit = await api.post(
        "/api/v1/elevators", json={"site_id": site_id, "unit_number": "L9"}, headers=tech
    )
    assert unit.status_code == 201, unit.text
    patched = await api.patch(
        f"/api/v1/elevators/{unit.json()['id']}", json={"model": "Gen2"}, headers=tech
    )
    assert patched.status_code == 200, patched.text
    retire = await api.patch(
        f"/api/v1/elevators/{unit.json()['id']}/status",
        json={"status": "decommissioned", "reason": "Removed"},
        headers=tech,
    )
    assert retire.status_code == 403, retire.text
    assert "supervisor or administrator" in retire.json()["error"]["message"]


async def test_admins_manage_users_and_site_assignments(api: httpx.AsyncClient, org: Org) -> None:
    admin = await _signed_in(api, org, "boss@example.com", Role.ADMIN)
    site_id = await _site(api, admin)
    created = await api.post(
        "/api/v1/users",
        json={
            "email": "new@example.com",
            "display_name": "New Tech",
            "role": "technician",
            "password": "a long password",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert (await sign_in(api, "new@example.com", "a long password"))["access_token"]
    weak = await api.post(
        "/api/v1/users",
        json={"email": "w@example.com", "display_name": "W", "role": "technician", "password": "x"},
        headers=admin,
    )
    assert weak.status_code == 422
    assigned = await api.post(
        f"/api/v1/sites/{site_id}/technicians", json={"technician_id": user_id}, headers=admin
    )
    assert assigned.json()["assigned_technicians"] == [user_id]
    promoted = await api.patch(
        f"/api/v1/users/{user_id}", json={"role": "supervisor"}, headers=admin
    )
    assert promoted.json()["role"] == "supervisor"
    disabled = await api.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin)
    assert disabled.json()["active"] is False
    refused = await api.post(
        "/api/v1/auth/token", json={"email": "new@example.com", "password": "a long password"}
    )
    assert refused.status_code == 401
    listed = (await api.get("/api/v1/users", headers=admin)).json()
    assert {u["email"] for u in listed["data"]} == {"boss@example.com", "new@example.com"}


async def test_supervisors_review_and_resolve_conflicts(api: httpx.AsyncClient, org: Org) -> None:
    first = await field_tech(api, org, "tom@example.com")
    second = await field_tech(api, org, "jo@example.com")
    await first.laptop.push(api, first.headers, fleet_events(first.laptop))
    pulled = await api.get("/api/v1/sync/pull", headers={**second.headers, **SYNC})
    second.laptop.learn(UNIT, [pulled.json()["entries"][-1]["hash"]])
    await first.laptop.push(
        api, first.headers, [first.laptop.event(UNIT, p.ElevatorUpdated(model="A"))]
    )
    await second.laptop.push(
        api, second.headers, [second.laptop.event(UNIT, p.ElevatorUpdated(model="B"))]
    )
    open_ones = (
        await api.get("/api/v1/conflicts", params={"status": "open"}, headers=first.headers)
    ).json()
    [conflict] = open_ones["data"]
    assert (conflict["field"], conflict["kept_value"], conflict["other_value"]) == (
        "model",
        '"B"',
        '"A"',
    )
    resolved = await api.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"choose": "other"},
        headers=first.headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    unit = (await api.get(f"/api/v1/elevators/{UNIT}", headers=first.headers)).json()
    assert unit["model"] == "A"
    again = await api.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"choose": "kept"},
        headers=first.headers,
    )
    assert again.status_code == 409


async def test_fields_the_server_decides_are_refused_in_requests(
    api: httpx.AsyncClient, org: Org
) -> None:
    admin = await _signed_in(api, org, "boss@example.com", Role.ADMIN)
    sneaky = [
        await api.post(
            "/api/v1/customers",
            json={"name": "X", "organization_id": str(uuid4())},
            headers=admin,
        ),
        await api.post(
            "/api/v1/users",
            json={
                "email": "x@example.com",
                "display_name": "X",
                "role": "technician",
                "password": "a long password",
                "server_seq": 5,
            },
            headers=admin,
        ),
        await api.patch(
            f"/api/v1/users/{uuid4()}", json={"organization_id": str(uuid4())}, headers=admin
        ),
        await api.post(
            "/api/v1/auth/token",
            json={"email": "boss@example.com", "password": "x", "role": "admin"},
        ),
    ]
    assert [r.status_code for r in sneaky] == [422] * len(sneaky)
    assert all(r.json()["error"]["code"] == "VALIDATION_ERROR" for r in sneaky)


async def test_a_callback_logged_and_closed_over_rest_moves_its_unit(
    api: httpx.AsyncClient, org: Org
) -> None:
    boss = await _signed_in(api, org, "boss@example.com", Role.SUPERVISOR)
    site_id = await _site(api, boss)
    unit = await api.post(
        "/api/v1/elevators", json={"site_id": site_id, "unit_number": "L1"}, headers=boss
    )
    unit_id = unit.json()["id"]
    logged = await api.post(
        "/api/v1/incidents",
        json={
            "elevator_id": unit_id,
            "channel": "phone",
            "reported_trouble": "Doors reopen on every floor",
            "out_of_service": True,
        },
        headers=boss,
    )
    assert logged.status_code == 201, logged.text
    incident = logged.json()
    assert (incident["status"], incident["reported_trouble"]) == (
        "open",
        "Doors reopen on every floor",
    )
    down = await api.get(f"/api/v1/elevators/{unit_id}", headers=boss)
    assert down.json()["status"] == "out_of_service"
    listed = await api.get(
        "/api/v1/incidents", params={"elevator_id": unit_id, "status": "open"}, headers=boss
    )
    assert [i["id"] for i in listed.json()["data"]] == [incident["id"]]

    closed = await api.post(
        f"/api/v1/incidents/{incident['id']}/close",
        json={"back_in_service": True, "corrective_action": "Door edge replaced"},
        headers=boss,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    up = await api.get(f"/api/v1/elevators/{unit_id}", headers=boss)
    assert up.json()["status"] == "operational"
    still_open = await api.get("/api/v1/incidents", params={"status": "open"}, headers=boss)
    assert still_open.json()["data"] == []
    again = await api.post(
        f"/api/v1/incidents/{incident['id']}/close", json={"back_in_service": True}, headers=boss
    )
    assert again.status_code == 409  # a closed callback stays closed
    assert again.json()["error"]["message"]
    unknown = await api.post(
        "/api/v1/incidents",
        json={"elevator_id": str(uuid4()), "channel": "phone", "reported_trouble": "x"},
        headers=boss,
    )
    assert unknown.status_code == 404


async def test_visits_and_deficiencies_pushed_by_a_laptop_are_read_and_closed_over_rest(
    api: httpx.AsyncClient, org: Org
) -> None:
    tech = await field_tech(api, org, "tom@example.com", Role.TECHNICIAN)
    laptop = tech.laptop
    visit, other, deficiency = uuid4(), uuid4(), uuid4()
    arrived = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    started = p.VisitStarted(
        elevator_id=UNIT,
        site_id=SITE,
        type=VisitType.PREVENTIVE,
        technician_id=laptop.user_id,
        arrived_at=arrived,
    )
    events = [
        *fleet_events(laptop),
        laptop.event(visit, started),
        laptop.event(visit, p.VisitItemRecorded(key="brakes", outcome=ItemOutcome.FAIL)),
        laptop.event(
            deficiency,
            p.DeficiencyOpened(
                elevator_id=UNIT,
                severity=DeficiencySeverity.DEFICIENT,
                description="Brake lining worn",
                visit_id=visit,
                item_key="brakes",
            ),
        ),
        laptop.event(visit, p.VisitCompleted(departed_at=arrived + timedelta(hours=1))),
        laptop.event(other, started.model_copy(update={"arrived_at": arrived + timedelta(days=1)})),
    ]
    pushed = await laptop.push(api, tech.headers, events)
    assert pushed.status_code == 200, pushed.text
    assert {r["status"] for r in pushed.json()["results"]} == {"accepted"}

    listed = await api.get(
        "/api/v1/visits", params={"elevator_id": str(UNIT)}, headers=tech.headers
    )
    assert [v["id"] for v in listed.json()["data"]] == [str(visit), str(other)]
    done = await api.get("/api/v1/visits", params={"status": "completed"}, headers=tech.headers)
    assert [v["id"] for v in done.json()["data"]] == [str(visit)]
    one = (await api.get(f"/api/v1/visits/{visit}", headers=tech.headers)).json()
    assert [(r["key"], r["outcome"]) for r in one["results"]] == [("brakes", "fail")]
    assert one["departed_at"] is not None
    assert (await api.get(f"/api/v1/visits/{uuid4()}", headers=tech.headers)).status_code == 404

    boss = await _signed_in(api, org, "boss@example.com", Role.SUPERVISOR)
    found = await api.get("/api/v1/deficiencies", params={"status": "open"}, headers=boss)
    assert [(d["id"], d["visit_id"], d["item_key"]) for d in found.json()["data"]] == [
        (str(deficiency), str(visit), "brakes")
    ]
    route = f"/api/v1/deficiencies/{deficiency}/status"
    unexplained = await api.patch(route, json={"status": "fixed"}, headers=boss)
    assert unexplained.status_code == 422
    assert unexplained.json()["error"]["field"] == "resolution"
    skipped = await api.patch(route, json={"status": "verified"}, headers=boss)
    assert skipped.status_code == 409
    assert "Allowed next: fixed, invalid" in skipped.json()["error"]["hint"]
    fixed = await api.patch(
        route, json={"status": "fixed", "resolution": "Linings replaced"}, headers=boss
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["resolution"]) == ("fixed", "Linings replaced")
    verified = await api.patch(route, json={"status": "verified"}, headers=boss)
    assert verified.json()["status"] == "verified"
    assert verified.json()["closed_at"] is not None
    final = await api.patch(route, json={"status": "open"}, headers=boss)
    assert final.status_code == 409  # a verified deficiency is final
    assert (await api.get("/api/v1/deficiencies", params={"status": "open"}, headers=boss)).json()[
        "data"
    ] == []
    gone = await api.patch(
        f"/api/v1/deficiencies/{uuid4()}/status",
        json={"status": "invalid", "resolution": "x"},
        headers=boss,
    )
    assert gone.status_code == 404
