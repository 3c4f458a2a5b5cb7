"""The JSON API through real HTTP semantics (ASGI), on real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from chatai_app.api.app import build_server

SIGNUP = {"email": "api@example.com", "password": "api password 1", "full_name": "Ivan", "workspace_name": "Shop"}


def _client(ip: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_server(), client=(ip, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://chatai.test")


@pytest.fixture
async def api(clean_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        yield client


async def _signed_up(api: httpx.AsyncClient) -> dict:
    response = await api.post("/api/v1/auth/signup", json=SIGNUP)
    assert response.status_code == 201, response.text
    return response.json()


async def test_signup_then_me_with_bearer(api: httpx.AsyncClient) -> None:
    tokens = await _signed_up(api)
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "api@example.com" and me.json()["role"] == "owner"


async def test_me_without_or_with_forged_token_is_401(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/auth/me")).status_code == 401
    forged = await api.get("/api/v1/auth/me", headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 401 and forged.json()["error"] == "authentication_required"


async def test_bad_signup_gets_field_errors(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/auth/signup", json={"email": "nope", "password": "x"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"email", "password"}


async def test_wrong_password_and_unknown_email_answer_identically(api: httpx.AsyncClient) -> None:
    await _signed_up(api)
    wrong = await api.post("/api/v1/auth/login", json={"email": SIGNUP["email"], "password": "bad password"})
    unknown = await api.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "bad password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid_credentials", "message": "Invalid email or password"}


async def test_refresh_rotates_and_reuse_revokes_the_family(api: httpx.AsyncClient) -> None:
    first = await _signed_up(api)
    second = (await api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200
    # The old access token belongs to the rotated-out session.
    stale = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert stale.status_code == 401

    replay = await api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and "already used" in replay.json()["message"]
    # Reuse of a spent token is treated as theft: the newest token dies too.
    after = await api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


async def test_logout_revokes_the_refresh_token(api: httpx.AsyncClient) -> None:
    tokens = await _signed_up(api)
    assert (await api.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    refresh = await api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_login_is_rate_limited_per_ip(api: httpx.AsyncClient) -> None:
    await _signed_up(api)
    codes = [
        (await api.post("/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "whatever1"})).status_code
        for i in range(31)
    ]
    assert codes[:30] == [401] * 30  # many accounts from one place: 3x the per-account budget
    assert codes[30] == 429
    limited = await api.post("/api/v1/auth/login", json={"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


async def test_guessing_one_account_is_slowed_but_never_locks_its_owner_out(clean_db: str) -> None:
    async with _client("10.0.0.1") as first:
        await _signed_up(first)
    bad = {"email": SIGNUP["email"], "password": "bad pass 1"}
    async with _client("10.6.6.6") as attacker:
        statuses = [(await attacker.post("/api/v1/auth/login", json=bad)).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    for i in range(12):  # failures spread over many addresses do not add up to a lockout either
        async with _client(f"10.1.0.{i}") as client:
            assert (await client.post("/api/v1/auth/login", json=bad)).status_code == 401
    async with _client("10.0.0.1") as owner:  # the owner, from their own clean address
        good = await owner.post("/api/v1/auth/login", json={"email": SIGNUP["email"], "password": SIGNUP["password"]})
    assert good.status_code == 200


async def test_signup_is_rate_limited_per_ip(api: httpx.AsyncClient) -> None:
    codes = [
        (await api.post("/api/v1/auth/signup", json={**SIGNUP, "email": f"s{i}@example.com"})).status_code
        for i in range(11)
    ]
    assert codes[:10] == [201] * 10 and codes[10] == 429


async def test_profile_update_via_api(api: httpx.AsyncClient) -> None:
    tokens = await _signed_up(api)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await api.patch("/api/v1/auth/me", json={"full_name": "Ivan P.", "locale": "ru"}, headers=headers)
    assert response.status_code == 200 and response.json()["locale"] == "ru"
    bad = await api.patch("/api/v1/auth/me", json={"full_name": "x", "locale": "xx"}, headers=headers)
    assert bad.status_code == 422 and "locale" in bad.json()["fields"]


async def test_health_ready_metrics_and_openapi(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
    metrics = (await api.get("/metrics")).text
    assert 'chatai_http_requests_total{method="GET",route="/readyz",status="200"}' in metrics
    schema = (await api.get("/openapi.json")).json()
    assert {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/me"} <= set(schema["paths"])
    assert (await api.get("/docs")).status_code == 200
