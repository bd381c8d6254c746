"""Sign-in, tokens and their attacks (RELIABILITY.md A3, A4, A5, F12)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from statistics import median
from uuid import uuid4

import httpx
import jwt
import pytest

from app.domain.enums import Role
from app.domain.payloads import CustomerCreated
from sync.server.accounts import update_account
from sync.server.app import create_app
from sync.server.auth.passwords import Passwords
from sync.server.settings import ServerSettings
from tests.postgres import JWT_SECRET
from tests.server.conftest import PASSWORD, Org, add_user, bearer, sign_in
from tests.server.devices import Laptop

TOKEN = "/api/v1/auth/token"


async def test_sign_in_and_who_am_i(api: httpx.AsyncClient, org: Org) -> None:
    user_id = await add_user(org, "tom@example.com", Role.SUPERVISOR)
    pair = await sign_in(api, "  TOM@example.com ")
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900
    me = (await api.get("/api/v1/auth/me", headers=bearer(pair))).json()
    assert me["user_id"] == str(user_id)
    assert me["organization_id"] == str(org.id)
    assert (me["role"], me["display_name"]) == ("supervisor", "Tom")


async def test_unknown_user_and_wrong_password_answer_alike(
    api: httpx.AsyncClient, org: Org
) -> None:
    await add_user(org, "tom@example.com")
    wrong = await api.post(TOKEN, json={"email": "tom@example.com", "password": "nope"})
    unknown = await api.post(TOKEN, json={"email": "nobody@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


async def test_unknown_user_and_wrong_password_take_similar_time(
    server_settings: ServerSettings, org: Org
) -> None:
    settings = server_settings.model_copy(
        update={
            "argon2_time_cost": 2,
            "argon2_memory_kib": 16 * 1024,
            "login_limit_per_account": 50,
        }
    )
    same = Passwords(time_cost=2, memory_kib=16 * 1024, parallelism=1)
    await add_user(org, "tom@example.com", passwords=same)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.1.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            timings: dict[str, list[float]] = {"tom@example.com": [], "ghost@example.com": []}
            for _ in range(5):
                for email, found in timings.items():
                    start = time.perf_counter()
                    response = await client.post(TOKEN, json={"email": email, "password": "x"})
                    found.append(time.perf_counter() - start)
                    assert response.status_code == 401
    known, unknown = (median(v) for v in timings.values())
    assert 0.5 < known / unknown < 2.0, (known, unknown)


async def test_sign_in_is_rate_limited_per_account_before_the_password_is_checked(
    server_settings: ServerSettings, org: Org
) -> None:
    settings = server_settings.model_copy(update={"login_limit_per_account": 3})
    await add_user(org, "tom@example.com")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.1.1.2", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(3):
                bad = await client.post(TOKEN, json={"email": "tom@example.com", "password": "x"})
                assert bad.status_code == 401
            right = {"email": "tom@example.com", "password": PASSWORD}
            limited = await client.post(TOKEN, json=right)
            assert limited.status_code == 429
            assert int(limited.headers["Retry-After"]) > 0
            assert limited.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
            for _ in range(4):
                ghost = await client.post(TOKEN, json={"email": "ghost@x.io", "password": "x"})
            assert ghost.status_code == 429, "unknown accounts are limited the same way"


async def test_sign_in_is_rate_limited_per_address(
    server_settings: ServerSettings, org: Org
) -> None:
    settings = server_settings.model_copy(update={"login_limit_per_address": 5})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = [
                (await client.post(TOKEN, json={"email": f"u{i}@x.io", "password": "x"}))
                for i in range(6)
            ]
    assert [a.status_code for a in answers] == [401] * 5 + [429]


def _token(**changes: object) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": "sitesync",
        "aud": "sitesync-api",
        "sub": "01900000-0000-7000-8000-000000000001",
        "org": "01900000-0000-7000-8000-000000000002",
        "role": "admin",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    secret = str(changes.pop("secret", JWT_SECRET))
    algorithm = str(changes.pop("algorithm", "HS256"))
    claims.update(changes)
    return jwt.encode(claims, secret if algorithm != "none" else "", algorithm=algorithm)


@pytest.mark.parametrize(
    "token",
    [
        _token(secret="another-secret-that-is-long-enough-000000"),
        _token(exp=int((datetime.now(UTC) - timedelta(minutes=2)).timestamp())),
        _token(algorithm="none"),
        _token(aud="someone-else"),
        _token(iss="someone-else"),
        _token(algorithm="HS512"),
        "not.a.token",
    ],
    ids=["forged", "expired", "alg-none", "audience", "issuer", "other-alg", "garbage"],
)
async def test_bad_tokens_answer_401_without_detail(api: httpx.AsyncClient, token: str) -> None:
    response = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert "expired" not in response.text.lower().replace("or expired", "")


async def test_a_valid_token_of_a_user_that_does_not_exist_is_refused(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {_token()}"})
    assert response.status_code == 401


async def test_refresh_rotates_and_a_retry_in_the_grace_gets_the_same_pair(
    api: httpx.AsyncClient, org: Org
) -> None:
    await add_user(org, "tom@example.com")
    first = await sign_in(api, "tom@example.com")
    body = {"refresh_token": first["refresh_token"]}
    rotated = (await api.post("/api/v1/auth/refresh", json=body)).json()
    assert rotated["refresh_token"] != first["refresh_token"]
    again = (await api.post("/api/v1/auth/refresh", json=body)).json()
    assert again == rotated
    me = await api.get("/api/v1/auth/me", headers=bearer(rotated))
    assert me.status_code == 200


async def test_replaying_a_rotated_token_after_the_grace_revokes_the_family(
    server_settings: ServerSettings, org: Org
) -> None:
    await add_user(org, "tom@example.com")
    app = create_app(server_settings.model_copy(update={"refresh_grace_seconds": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await sign_in(client, "tom@example.com")
            old = {"refresh_token": first["refresh_token"]}
            rotated = (await client.post("/api/v1/auth/refresh", json=old)).json()
            await asyncio.sleep(1.1)
            replay = await client.post("/api/v1/auth/refresh", json=old)
            assert replay.status_code == 401
            assert replay.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
            newest = {"refresh_token": rotated["refresh_token"]}
            assert (await client.post("/api/v1/auth/refresh", json=newest)).status_code == 401


async def test_logout_ends_the_refresh_token(api: httpx.AsyncClient, org: Org) -> None:
    await add_user(org, "tom@example.com")
    pair = await sign_in(api, "tom@example.com")
    body = {"refresh_token": pair["refresh_token"]}
    assert (await api.post("/api/v1/auth/logout", json=body)).status_code == 204
    assert (await api.post("/api/v1/auth/refresh", json=body)).status_code == 401
    assert (
        await api.post("/api/v1/auth/refresh", json={"refresh_token": "junk"})
    ).status_code == 401


async def test_disabling_a_user_revokes_their_tokens_and_enabling_them_restores_their_laptop(
    api: httpx.AsyncClient, org: Org
) -> None:
    user_id = await add_user(org, "tom@example.com")
    pair = await sign_in(api, "tom@example.com")
    laptop = Laptop(org.id, user_id)
    await laptop.register(api, bearer(pair))
    await update_account(
        user_id, display_name=None, role=None, active=False, ctx=org.context(), units=org.units
    )
    assert (await api.get("/api/v1/auth/me", headers=bearer(pair))).status_code == 401
    refresh = {"refresh_token": pair["refresh_token"]}
    assert (await api.post("/api/v1/auth/refresh", json=refresh)).status_code == 401
    refused = await api.post(TOKEN, json={"email": "tom@example.com", "password": PASSWORD})
    assert refused.status_code == 401
    async with org.units() as uow:
        user = await uow.users.get(user_id)
        assert user is not None
        assert user.active is False

    waiting = [laptop.event(uuid4(), CustomerCreated(name="Acme"))]  # recorded while away
    assert (await laptop.push(api, bearer(pair), waiting)).status_code == 401

    # enabled again, they sign in anew and their laptop's waiting work goes in
    await update_account(
        user_id, display_name=None, role=None, active=True, ctx=org.context(), units=org.units
    )
    again = bearer(await sign_in(api, "tom@example.com"))
    pushed = await laptop.push(api, again, waiting)
    assert pushed.status_code == 200, pushed.text
    assert [r["status"] for r in pushed.json()["results"]] == ["accepted"]
