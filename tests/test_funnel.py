"""The landing page's funnel (issue 14 item 14) and the analytics API over the real HTTP stack on real PostgreSQL:
the public event endpoint's size and rate limits, the admins' funnel with counts and conversion, who may read what."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import select

from chatai_app.api import analytics_routes
from chatai_app.db import session_scope
from chatai_app.models import Tenant
from chatai_app.services import accounts, funnel
from chatai_app.services.permissions import Permission
from tests.test_api import _client
from tests.test_security import _routes

EVENTS = "/api/v1/funnel/events"


@pytest.fixture
async def api(clean_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        yield client


async def _event(api: httpx.AsyncClient, visitor: str, event: str = "landing_visit") -> httpx.Response:
    return await api.post(EVENTS, json={"visitor_id": visitor, "event": event, "lang": "ru"})


async def _sign_up(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    body = {"email": email, "password": "funnel password 1", "workspace_name": email.split("@")[0]}
    assert (await api.post("/api/v1/auth/signup", json=body)).status_code == 201
    token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _admin(api: httpx.AsyncClient) -> dict[str, str]:
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password="admin password 1")
    token = (
        await api.post("/api/v1/auth/login", json={"email": "root@example.com", "password": "admin password 1"})
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def test_the_funnel_counts_each_step_with_its_conversion(api: httpx.AsyncClient) -> None:
    visitors = [str(uuid.uuid4()) for _ in range(4)]
    for visitor in visitors:
        assert (await _event(api, visitor)).status_code == 204
    assert (await _event(api, visitors[0])).status_code == 204  # a second visit counts the visitor once
    for visitor in visitors[:2]:
        assert (await _event(api, visitor, "signup_view")).status_code == 204
    first = await _sign_up(api, "first@example.com")
    await _sign_up(api, "second@example.com")
    await _sign_up(api, "by-api@example.com")  # not through the sign-up form: beside the funnel, not in it
    async with session_scope() as session:  # what the sign-up form records with the new workspace
        for name, visitor in (("first", visitors[0]), ("second", "not a valid id")):
            tenant = (await session.exec(select(Tenant.id).where(Tenant.name == name))).one()
            await funnel.record_signup(session=session, visitor_id=visitor, tenant_id=tenant)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Helper"}, headers=first)).json()
    qa = {"question": "When are you open?", "answer": "From 9 to 6."}
    assert (await api.post(f"/api/v1/assistants/{assistant['id']}/qa", json=qa, headers=first)).status_code == 201

    admin = await _admin(api)  # a platform admin's own workspace is not a sign-up
    report = await api.get("/api/v1/admin/funnel", params={"days": 7}, headers=admin)
    assert report.status_code == 200, report.text
    assert report.json()["all_workspaces"] == 3
    steps = [(s["key"], s["count"], s["conversion"]) for s in report.json()["steps"]]
    assert steps == [
        ("landing_visit", 4, None),
        ("signup_view", 2, 0.5),
        ("account_created", 2, 1.0),
        ("first_assistant", 1, 0.5),
        ("first_content", 1, 1.0),
    ]
    assert (await api.get("/api/v1/admin/funnel", headers=first)).status_code == 403  # owners do not see it
    bad = await api.get("/api/v1/admin/funnel", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=admin)
    assert bad.status_code == 422


async def test_the_public_event_endpoint_is_size_and_rate_limited(api: httpx.AsyncClient) -> None:
    visitor = str(uuid.uuid4())
    padded = {"visitor_id": visitor, "event": "landing_visit", "lang": "en", "x": "a" * 2000}
    too_big = await api.post(EVENTS, json=padded)
    assert too_big.status_code == 413 and too_big.json()["error"] == "payload_too_large"
    for body in ({"visitor_id": "short", "event": "landing_visit"}, {"visitor_id": visitor, "event": "purchase"},
                 {"visitor_id": "x" * 65, "event": "landing_visit"}, {"event": "landing_visit"}):  # fmt: skip
        assert (await api.post(EVENTS, json=body)).status_code == 422, body
    assert (
        await api.post(EVENTS, content=b"not json", headers={"Content-Type": "application/json"})
    ).status_code == 422

    fresh, limit = str(uuid.uuid4()), analytics_routes.EVENTS_PER_VISITOR_PER_MINUTE
    assert [(await _event(api, fresh)).status_code for _ in range(limit)] == [204] * limit
    limited = await _event(api, fresh)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1

    async with _client(ip="10.0.0.9") as other:  # many ids from one address
        codes = [(await _event(other, str(uuid.uuid4()))).status_code for _ in range(35)]
    assert 429 in codes and codes.count(204) <= analytics_routes.EVENTS_PER_IP_PER_MINUTE


async def test_the_dashboard_api_is_for_owners_and_admins(api: httpx.AsyncClient) -> None:
    owner = await _sign_up(api, "owner@example.com")
    board = await api.get("/api/v1/analytics", params={"days": 7, "tz": "Europe/Moscow"}, headers=owner)
    assert board.status_code == 200, board.text
    figures = board.json()
    assert figures["period"]["tz"] == "Europe/Moscow" and len(figures["daily"]) == 7
    assert figures["outcomes"] == {"knowledge": 0, "other": 0, "handed_off": 0, "unanswered": 0}
    assert figures["feedback"] == {"up": 0, "down": 0} and len(figures["hours"]) == 7
    assert (await api.get("/api/v1/analytics", params={"days": 0}, headers=owner)).status_code == 422
    assert (await api.get("/api/v1/analytics", params={"tz": "Nowhere/City"}, headers=owner)).status_code == 422
    rules = {(method, path): rule for method, path, rule in _routes()}
    assert rules[("GET", "/api/v1/analytics")] == Permission.billing_read
    assert rules[("GET", "/api/v1/admin/funnel")] == Permission.platform_admin
    assert rules[("POST", EVENTS)] == "public"
