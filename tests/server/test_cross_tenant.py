"""A1: organization A's token on organization B's ids, for every route of the OpenAPI document.

Every route needs a case below; a new route without one fails the test. Routes that take an id
must answer 404 for B's ids; lists and ledger reads must show nothing of B; and afterwards B's
ledger and records are exactly as before: nothing of B was read or changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI

from app.domain import payloads as p
from app.domain.commands import OpenDeficiency, OpenIncident, ScheduleVisit
from app.domain.enums import DeficiencySeverity, IncidentChannel, Role, VisitType
from app.services.deficiencies import open_deficiency
from app.services.incidents import open_incident
from app.services.visits import schedule_visit
from sync.server.db.engine import transaction
from tests.server.conftest import Org, add_user, bearer, sign_in
from tests.server.devices import SYNC, Laptop, wire
from tests.server.test_push import CUSTOMER, SITE, UNIT, fleet_events


@dataclass
class Other:
    """Organization B's ids, as A will try them."""

    org: Org
    user: UUID
    device: Laptop
    customer: UUID
    site: UUID
    unit: UUID
    visit: UUID
    incident: UUID
    deficiency: UUID
    conflict: UUID
    blob: str
    blob_bytes: bytes
    hashes: list[str]


async def _organization_b(api: httpx.AsyncClient, org: Org) -> Other:
    user = await add_user(org, "b-admin@example.com", Role.ADMIN)
    headers = bearer(await sign_in(api, "b-admin@example.com"))
    laptop = Laptop(org.id, user)
    await laptop.register(api, headers)
    second = Laptop(org.id, user)
    await second.register(api, headers)
    await laptop.push(api, headers, fleet_events(laptop))
    second.learn(UNIT, list(laptop.heads[UNIT]))
    await laptop.push(api, headers, [laptop.event(UNIT, p.ElevatorUpdated(model="A"))])
    await second.push(api, headers, [second.event(UNIT, p.ElevatorUpdated(model="B"))])
    ctx = org.context()
    visit = await schedule_visit(
        ScheduleVisit(elevator_id=UNIT, type=VisitType.PREVENTIVE, scheduled_date=date(2026, 2, 1)),
        ctx=ctx,
    )
    incident = await open_incident(
        OpenIncident(elevator_id=UNIT, channel=IncidentChannel.PHONE, reported_trouble="stuck"),
        ctx=ctx,
    )
    deficiency = await open_deficiency(
        OpenDeficiency(elevator_id=UNIT, severity=DeficiencySeverity.ADVISORY, description="rust"),
        ctx=ctx,
    )
    blob = b"organization B's photo"
    digest = hashlib.sha256(blob).hexdigest()
    assert (
        await api.put(f"/api/v1/blobs/{digest}", content=blob, headers=headers)
    ).status_code == 201
    async with transaction(org.engine, org.id) as conn:
        conflict = await conn.fetchval("SELECT conflict_id FROM conflicts")
        hashes = [r[0] for r in await conn.fetch("SELECT hash FROM events")]
    return Other(
        org=org,
        user=user,
        device=laptop,
        customer=CUSTOMER,
        site=SITE,
        unit=UNIT,
        visit=visit.id,
        incident=incident.id,
        deficiency=deficiency.id,
        conflict=conflict,
        blob=digest,
        blob_bytes=blob,
        hashes=hashes,
    )


async def _state_of(org: Org) -> tuple[Any, ...]:
    async with transaction(org.engine, org.id) as conn:
        return (
            await conn.fetchval("SELECT size FROM ledger_heads"),
            await conn.fetch("SELECT * FROM elevators ORDER BY id"),
            await conn.fetch("SELECT * FROM sites ORDER BY id"),
            await conn.fetch("SELECT * FROM accounts ORDER BY user_id"),
            await conn.fetch("SELECT * FROM devices ORDER BY device_id"),
            await conn.fetch("SELECT * FROM conflicts ORDER BY conflict_id"),
            await conn.fetch("SELECT sha256, size FROM blobs ORDER BY sha256"),
        )


type Case = Callable[[httpx.AsyncClient, dict[str, str], Other], Awaitable[None]]


def _expect(status: int, method: str, path: str, **request: Any) -> Case:
    async def case(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
        url = path.format(b=b)
        body = request.get("json")
        if callable(body):
            body = body(b)
        extra = dict(request.get("headers", {}))
        response = await api.request(
            method,
            url,
            json=body,
            params=request.get("params"),
            content=request.get("content"),
            headers={**headers, **extra},
        )
        assert response.status_code == status, (method, url, response.status_code, response.text)
        _shows_nothing_of(b, response.text)

    return case


def _lists(path: str, **params: Any) -> Case:
    async def case(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
        query = {k: (v.format(b=b) if isinstance(v, str) else v) for k, v in params.items()}
        response = await api.get(path.format(b=b), params=query, headers={**headers, **SYNC})
        assert response.status_code == 200, (path, response.text)
        _shows_nothing_of(b, response.text)

    return case


def _shows_nothing_of(b: Other, text: str) -> None:
    leaked = [
        str(value)
        for value in (b.org.id, b.user, b.device.device_id, b.site, b.unit, b.visit, b.conflict)
        if str(value) in text
    ]
    leaked += [h for h in b.hashes if h in text]
    assert not leaked, f"organization B's data in the answer: {leaked}"


async def _public(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
    """Routes with no tenant data (health, keys, sign-in): nothing of B in the answer."""


def _push(api_status: int) -> Case:
    async def case(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
        event = b.device.event(b.unit, p.ElevatorUpdated(model="from A"))
        body = {"device_id": str(b.device.device_id), "events": [wire(event)]}
        response = await api.post("/api/v1/sync/push", json=body, headers={**headers, **SYNC})
        assert response.status_code == api_status, response.text

    return case


async def _sign_in_as_b(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
    wrong = await api.post(
        "/api/v1/auth/token", json={"email": "b-admin@example.com", "password": "guess"}
    )
    assert wrong.status_code == 401


async def _refresh_other(api: httpx.AsyncClient, headers: dict[str, str], b: Other) -> None:
    forged = f"rt1.{b.org.id}.not-a-real-token"
    for route in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
        response = await api.post(route, json={"refresh_token": forged})
        assert response.status_code in (204, 401)


CASES: dict[tuple[str, str], Case] = {
    ("get", "/health"): _public,
    ("get", "/ready"): _public,
    ("post", "/api/v1/auth/token"): _sign_in_as_b,
    ("post", "/api/v1/auth/refresh"): _refresh_other,
    ("post", "/api/v1/auth/logout"): _refresh_other,
    ("get", "/api/v1/auth/me"): _lists("/api/v1/auth/me"),
    ("post", "/api/v1/devices"): _expect(
        201,
        "POST",
        "/api/v1/devices",
        json=lambda b: {"device_id": str(uuid4()), "public_key": "A" * 43 + "="},
    ),
    ("get", "/api/v1/devices"): _lists("/api/v1/devices"),
    ("get", "/api/v1/devices/{device_id}"): _expect(
        404, "GET", "/api/v1/devices/{b.device.device_id}"
    ),
    ("post", "/api/v1/devices/{device_id}/revoke"): _expect(
        404, "POST", "/api/v1/devices/{b.device.device_id}/revoke"
    ),
    ("post", "/api/v1/sync/push"): _push(404),
    ("get", "/api/v1/sync/pull"): _lists("/api/v1/sync/pull"),
    ("post", "/api/v1/sync/cosignatures"): _expect(
        404,
        "POST",
        "/api/v1/sync/cosignatures",
        json=lambda b: {"device_id": str(b.device.device_id), "notes": ["x\n\n— x AAAA\n"]},
        headers=SYNC,
    ),
    ("get", "/api/v1/sync/snapshot"): _lists("/api/v1/sync/snapshot"),
    ("get", "/api/v1/ledger/checkpoint"): _lists("/api/v1/ledger/checkpoint"),
    ("get", "/api/v1/ledger/keys"): _public,
    ("get", "/api/v1/ledger/proofs/inclusion"): _expect(
        404, "GET", "/api/v1/ledger/proofs/inclusion", params={"ledger_index": 9}
    ),
    ("get", "/api/v1/ledger/proofs/consistency"): _expect(
        409, "GET", "/api/v1/ledger/proofs/consistency", params={"old_size": 9}
    ),
    ("get", "/api/v1/ledger/entries"): _lists("/api/v1/ledger/entries"),
    ("put", "/api/v1/blobs/{sha256}"): _expect(
        201, "PUT", "/api/v1/blobs/{b.blob}", content=b"organization B's photo"
    ),
    ("get", "/api/v1/blobs/{sha256}"): _expect(404, "GET", "/api/v1/blobs/{b.blob}"),
    ("get", "/api/v1/blobs/{sha256}/status"): _lists("/api/v1/blobs/{b.blob}/status"),
    ("get", "/api/v1/customers"): _lists("/api/v1/customers"),
    ("get", "/api/v1/customers/{customer_id}"): _expect(
        404, "GET", "/api/v1/customers/{b.customer}"
    ),
    ("post", "/api/v1/customers"): _expect(201, "POST", "/api/v1/customers", json={"name": "A's"}),
    ("get", "/api/v1/sites"): _lists("/api/v1/sites", customer_id="{b.customer}"),
    ("get", "/api/v1/sites/{site_id}"): _expect(404, "GET", "/api/v1/sites/{b.site}"),
    ("post", "/api/v1/sites"): _expect(
        404,
        "POST",
        "/api/v1/sites",
        json=lambda b: {"customer_id": str(b.customer), "name": "X", "address": "Y"},
    ),
    ("patch", "/api/v1/sites/{site_id}"): _expect(
        404, "PATCH", "/api/v1/sites/{b.site}", json={"name": "Taken"}
    ),
    ("post", "/api/v1/sites/{site_id}/technicians"): _expect(
        404,
        "POST",
        "/api/v1/sites/{b.site}/technicians",
        json=lambda b: {"technician_id": str(b.user)},
    ),
    ("get", "/api/v1/elevators"): _lists("/api/v1/elevators", site_id="{b.site}"),
    ("get", "/api/v1/elevators/{elevator_id}"): _expect(404, "GET", "/api/v1/elevators/{b.unit}"),
    ("post", "/api/v1/elevators"): _expect(
        404,
        "POST",
        "/api/v1/elevators",
        json=lambda b: {"site_id": str(b.site), "unit_number": "Z"},
    ),
    ("patch", "/api/v1/elevators/{elevator_id}"): _expect(
        404, "PATCH", "/api/v1/elevators/{b.unit}", json={"model": "Taken"}
    ),
    ("patch", "/api/v1/elevators/{elevator_id}/status"): _expect(
        404,
        "PATCH",
        "/api/v1/elevators/{b.unit}/status",
        json={"status": "maintenance", "reason": "x"},
    ),
    ("get", "/api/v1/elevators/{elevator_id}/health"): _expect(
        404, "GET", "/api/v1/elevators/{b.unit}/health"
    ),
    ("get", "/api/v1/visits"): _lists("/api/v1/visits", elevator_id="{b.unit}"),
    ("get", "/api/v1/visits/{visit_id}"): _expect(404, "GET", "/api/v1/visits/{b.visit}"),
    ("get", "/api/v1/incidents"): _lists("/api/v1/incidents", elevator_id="{b.unit}"),
    ("get", "/api/v1/incidents/{incident_id}"): _expect(
        404, "GET", "/api/v1/incidents/{b.incident}"
    ),
    ("post", "/api/v1/incidents"): _expect(
        404,
        "POST",
        "/api/v1/incidents",
        json=lambda b: {"elevator_id": str(b.unit), "channel": "phone", "reported_trouble": "x"},
    ),
    ("post", "/api/v1/incidents/{incident_id}/close"): _expect(
        404, "POST", "/api/v1/incidents/{b.incident}/close", json={"back_in_service": True}
    ),
    ("get", "/api/v1/deficiencies"): _lists("/api/v1/deficiencies", elevator_id="{b.unit}"),
    ("get", "/api/v1/deficiencies/{deficiency_id}"): _expect(
        404, "GET", "/api/v1/deficiencies/{b.deficiency}"
    ),
    ("patch", "/api/v1/deficiencies/{deficiency_id}/status"): _expect(
        404,
        "PATCH",
        "/api/v1/deficiencies/{b.deficiency}/status",
        json={"status": "fixed", "resolution": "x"},
    ),
    ("get", "/api/v1/users"): _lists("/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"): _expect(404, "GET", "/api/v1/users/{b.user}"),
    ("post", "/api/v1/users"): _expect(
        201,
        "POST",
        "/api/v1/users",
        json={
            "email": "a-new@example.com",
            "display_name": "N",
            "role": "technician",
            "password": "a long password",
        },
    ),
    ("patch", "/api/v1/users/{user_id}"): _expect(
        404, "PATCH", "/api/v1/users/{b.user}", json={"active": False}
    ),
    ("get", "/api/v1/conflicts"): _lists("/api/v1/conflicts", entity_id="{b.unit}"),
    ("get", "/api/v1/conflicts/{conflict_id}"): _expect(
        404, "GET", "/api/v1/conflicts/{b.conflict}"
    ),
    ("post", "/api/v1/conflicts/{conflict_id}/resolve"): _expect(
        404, "POST", "/api/v1/conflicts/{b.conflict}/resolve", json={"choose": "other"}
    ),
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return {(method, path) for path, item in paths.items() for method in item}


async def test_every_route_has_a_cross_tenant_case(server_app: FastAPI) -> None:
    routes = _routes(server_app)
    missing = sorted(routes - CASES.keys())
    assert not missing, f"routes without a cross-tenant case: {missing}"
    assert not sorted(CASES.keys() - routes), "cases for routes that no longer exist"


async def test_organization_a_reads_and_changes_nothing_of_organization_b(
    api: httpx.AsyncClient, org: Org, other_org: Org, server_app: FastAPI
) -> None:
    b = await _organization_b(api, other_org)
    await add_user(org, "a-admin@example.com", Role.ADMIN)
    headers = bearer(await sign_in(api, "a-admin@example.com"))
    before = await _state_of(other_org)
    for route in sorted(_routes(server_app)):
        await CASES[route](api, headers, b)
    assert await _state_of(other_org) == before
    unknown = uuid4()
    assert (await api.get(f"/api/v1/elevators/{unknown}", headers=headers)).status_code == 404
