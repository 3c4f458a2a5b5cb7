"""The holes a hostile user and a burst found (issue 11), each closed and kept closed, over the real HTTP stack
(`build_server`: request guard, security headers, CORS) on real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from sqlmodel import select

from chatai_app.api.app import build_api
from chatai_app.db import dispose_engines, session_scope
from chatai_app.models import AuthSession, Membership, User
from chatai_app.services import accounts, tokens
from chatai_app.services.permissions import ROLE_PERMISSIONS, Permission, allows
from chatai_app.settings import get_settings
from tests.test_api import _client

OWNER = {"email": "owner@example.com", "password": "owner password 1", "workspace_name": "Shop"}
OPERATOR = {"email": "operator@example.com", "password": "operator password 1"}


async def _login(api: httpx.AsyncClient, body: dict[str, str]) -> dict[str, str]:
    response = await api.post("/api/v1/auth/login", json={"email": body["email"], "password": body["password"]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _member(tenant_email: str, body: dict[str, str], role: str) -> None:
    async with session_scope() as session:
        tenant_id = await accounts.owned_tenant(session=session, email=tenant_email)
        user_id = await accounts.add_operator(session=session, tenant_id=tenant_id, email=body["email"],
                                              password=body["password"])  # fmt: skip
        await session.exec(sa.update(Membership).where(Membership.user_id == user_id).values(role=role))


@pytest.fixture
async def api(clean_db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client() as client:
        assert (await client.post("/api/v1/auth/signup", json=OWNER)).status_code == 201
        yield client


async def test_a_token_signed_for_someone_else_over_ones_own_session_is_refused(api: httpx.AsyncClient) -> None:
    await _member(OWNER["email"], OPERATOR, "operator")
    operator = await _login(api, OPERATOR)
    claims = tokens.decode_access_token(operator["Authorization"][7:], secret_key=get_settings().secret_key)
    async with session_scope() as session:
        owner_id = (await session.exec(select(User.id).where(User.email == OWNER["email"]))).one()
    key = get_settings().secret_key
    forged = tokens.issue_access_token(  # even with the key: the session row is the operator's
        tokens.AccessClaims(owner_id, claims.tenant_id, claims.session_id), secret_key=key, ttl_s=60
    )
    response = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    other_tenant = tokens.issue_access_token(
        tokens.AccessClaims(claims.user_id, uuid.uuid4(), claims.session_id), secret_key=get_settings().secret_key,
        ttl_s=60,
    )  # fmt: skip
    assert (await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other_tenant}"})).status_code == 401
    assert (await api.get("/api/v1/auth/me", headers=operator)).json()["role"] == "operator"


def _routes() -> list[tuple[str, str, str]]:
    """(method, path, rule) of every JSON API route; rule is a permission or 'public'."""
    found = []
    for included in build_api().routes:
        for route in getattr(getattr(included, "original_router", None), "routes", []):
            assert isinstance(route, APIRoute)
            rules: list[str] = []

            def walk(dependant: object, rules: list[str] = rules) -> None:
                for dependency in dependant.dependencies:  # type: ignore[attr-defined]
                    call = dependency.call
                    if hasattr(call, "permission"):
                        rules.append(str(call.permission))
                    if hasattr(call, "public_reason"):
                        rules.append("public")
                    walk(dependency)

            walk(route.dependant)
            for method in sorted(route.methods - {"HEAD"}):
                assert len(set(rules)) == 1, f"{method} {route.path} must declare exactly one role rule: {rules}"
                found.append((method, route.path, rules[0]))
    return found


def test_every_route_declares_one_role_rule_and_operators_reach_only_their_own() -> None:
    routes = _routes()
    assert len(routes) > 50
    profile_only = {path for _, path, rule in routes if rule == Permission.profile}
    own_account = {  # issue 14: one's own e-mail verification, two-factor and sessions
        "/api/v1/auth/me/verify-email/resend", "/api/v1/auth/me/2fa", "/api/v1/auth/me/2fa/setup",
        "/api/v1/auth/me/2fa/enable", "/api/v1/auth/me/2fa/disable", "/api/v1/auth/me/2fa/recovery-codes",
        "/api/v1/auth/me/sessions", "/api/v1/auth/me/sessions/{session_id}", "/api/v1/auth/me/sessions/revoke-all",
    }  # fmt: skip
    assert profile_only == {"/api/v1/auth/me"} | own_account  # a new route must pick a stricter rule than "signed in"
    admin_only = {p for _, p, r in routes if p.startswith("/api/v1/admin/") and r != "public"}
    assert {r for _, p, r in routes if p in admin_only and "/tenants/" not in p and "provider-keys" not in p
            and "pricing" not in p and "promo" not in p} == {Permission.platform_admin}  # fmt: skip
    assert not any(allows(role, Permission.platform_admin) for role in ROLE_PERMISSIONS)
    assert allows("admin", Permission.team_manage) and not allows("operator", Permission.team_manage)
    operator_paths = {p for _, p, r in routes if r != "public" and allows("operator", Permission(r))}
    assert all(p.startswith(("/api/v1/dialogs", "/api/v1/auth/me")) for p in operator_paths), operator_paths
    assert set(ROLE_PERMISSIONS) == {"owner", "admin", "operator"}


def _fill(path: str) -> str:
    for name in ("assistant_id", "document_id", "qa_id", "dialog_id", "key_id", "bot_id", "tenant_id", "invite_id",
                 "user_id", "session_id", "source_id"):  # fmt: skip
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path


async def test_every_route_answers_each_role_by_the_matrix(api: httpx.AsyncClient) -> None:
    """Walks the route registry: anonymous callers get 401, a role without the permission 403, a role with it
    anything else (404 for the random ids, 422 for the empty bodies...)."""
    await _member(OWNER["email"], {"email": "admin@example.com", "password": "workspace admin 1"}, "admin")
    await _member(OWNER["email"], OPERATOR, "operator")
    callers = {
        "owner": await _login(api, OWNER),
        "admin": await _login(api, {"email": "admin@example.com", "password": "workspace admin 1"}),
        "operator": await _login(api, OPERATOR),
    }
    checked = 0
    for method, path, rule in _routes():
        if rule == "public":
            continue
        url = _fill(path)
        anonymous = await api.request(method, url, json={})
        assert anonymous.status_code == 401, (method, path)
        for role, headers in callers.items():
            response = await api.request(method, url, json={}, headers=headers)
            expected_refusal = not allows(role, Permission(rule))
            assert (response.status_code == 403) == expected_refusal, (role, method, path, response.text)
            checked += 1
    assert checked > 120


async def test_commits_before_the_response(api: httpx.AsyncClient) -> None:
    owner = await _login(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=owner)).json()
    base = f"/api/v1/assistants/{assistant['id']}/qa"
    for i in range(20):
        created = await api.post(base, json={"question": f"q{i}?", "answer": "a"}, headers=owner)
        assert created.status_code == 201
        edited = await api.put(f"{base}/{created.json()['id']}", json={"question": f"q{i}?", "answer": "b"},
                               headers=owner)  # fmt: skip
        assert edited.status_code == 200, edited.text


async def test_headers_and_cors(api: httpx.AsyncClient) -> None:
    owner = await _login(api, OWNER)
    evil = {**owner, "Origin": "https://evil.example"}
    me = await api.get("/api/v1/auth/me", headers=evil)
    assert me.status_code == 200 and "access-control-allow-origin" not in me.headers
    preflight = await api.options("/api/v1/auth/me", headers={"Origin": "https://evil.example",
                                                             "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers
    assert me.headers["x-content-type-options"] == "nosniff"
    assert me.headers["x-frame-options"] == "DENY" and "frame-ancestors 'self'" in me.headers["content-security-policy"]
    assert len(me.headers["x-request-id"]) == 16
    own = await api.get("/api/v1/auth/me", headers={**owner, "Origin": get_settings().base_url})
    assert own.headers["access-control-allow-origin"] == get_settings().base_url


async def test_bad_input_gets_a_clear_422_and_never_internals(api: httpx.AsyncClient) -> None:
    owner = await _login(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=owner)).json()
    base = f"/api/v1/assistants/{assistant['id']}"
    nul_chat = await api.post(f"{base}/chat", json={"text": "hi\u0000there"}, headers=owner)
    assert nul_chat.status_code == 422 and "NUL" in nul_chat.json()["message"]
    nul_search = await api.get(f"{base}/search", params={"q": "a\x00b"}, headers=owner)
    assert nul_search.status_code == 422
    nul_dialogs = await api.get("/api/v1/dialogs", params={"q": "a\x00b"}, headers=owner)
    assert nul_dialogs.status_code == 422
    nul_login = await api.post("/api/v1/auth/login", json={"email": "a\u0000@b.co", "password": "x"})
    assert nul_login.status_code == 422
    long_language = await api.post("/api/v1/assistants", json={"name": "B", "language": "x" * 5000}, headers=owner)
    assert long_language.status_code == 422 and "language" in long_language.text
    patched = await api.patch(base, json={"language": "x" * 5000}, headers=owner)
    assert patched.status_code == 422
    for response in (nul_chat, nul_search, long_language, patched):
        assert "sql" not in response.text.lower() and "tenant_id" not in response.text


async def test_uploads_authenticate_first_and_are_capped_before_reading(api: httpx.AsyncClient) -> None:
    owner = await _login(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=owner)).json()
    url = f"/api/v1/assistants/{assistant['id']}/documents"
    limit = get_settings().max_upload_bytes
    read: list[int] = []

    async def body(size: int) -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        for _ in range(size // 2**20):
            read.append(1)
            yield b"x" * 2**20

    multipart = {**owner, "Content-Type": "multipart/form-data; boundary=b"}
    huge = await api.post(url, content=body(80 * 2**20), headers={**multipart, "Content-Length": str(80 * 2**20)})
    assert huge.status_code == 413 and not read  # refused on its declared length, nothing read
    anonymous = await api.post(url, files={"file": ("a.txt", b"x" * (limit // 2), "text/plain")})
    assert anonymous.status_code == 401
    read.clear()
    unannounced = await api.post(url, content=body(limit + 3 * 2**20), headers=multipart)
    assert unannounced.status_code == 413 and len(read) < limit // 2**20 + 3


async def test_sixty_concurrent_chats_on_a_small_pool_all_answer(api: httpx.AsyncClient) -> None:
    """The auth dependency once held a pooled connection while the engine needed another: with a pool of 4,
    more than a handful of concurrent chats deadlocked. Now each is answered (or, past the queue, 503)."""
    owner = await _login(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=owner)).json()
    os.environ.update(DB_POOL_SIZE="4", DB_MAX_OVERFLOW="0", MAX_CONCURRENT_TURNS="3")
    get_settings.cache_clear()
    await dispose_engines()
    try:
        async with _client() as client:
            started = time.perf_counter()
            responses = await asyncio.gather(*(
                client.post(f"/api/v1/assistants/{assistant['id']}/chat",
                            json={"text": f"question number {i}?", "conversation_id": f"c{i}"}, headers=owner)
                for i in range(60)
            ))  # fmt: skip
            elapsed = time.perf_counter() - started
    finally:
        for key in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "MAX_CONCURRENT_TURNS"):
            del os.environ[key]
        get_settings.cache_clear()
        await dispose_engines()
    assert [r.status_code for r in responses] == [200] * 60, {r.status_code for r in responses}
    assert elapsed < 60
    async with session_scope() as session:
        live = (await session.exec(select(sa.func.count()).select_from(AuthSession))).one()
    assert live >= 1


async def test_a_full_queue_answers_503_with_retry_after(api: httpx.AsyncClient) -> None:
    owner = await _login(api, OWNER)
    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=owner)).json()
    os.environ.update(MAX_CONCURRENT_TURNS="1", TURN_QUEUE_WAIT_S="0.001")
    get_settings.cache_clear()
    try:
        async with _client() as client:
            responses = await asyncio.gather(*(
                client.post(f"/api/v1/assistants/{assistant['id']}/chat",
                            json={"text": f"question {i}?", "conversation_id": f"q{i}"}, headers=owner)
                for i in range(8)
            ))  # fmt: skip
    finally:
        for key in ("MAX_CONCURRENT_TURNS", "TURN_QUEUE_WAIT_S"):
            del os.environ[key]
        get_settings.cache_clear()
    busy = [r for r in responses if r.status_code == 503]
    assert busy and all(int(r.headers["Retry-After"]) >= 1 and r.json()["error"] == "busy" for r in busy)
    assert {r.status_code for r in responses} <= {200, 503}


def test_every_console_state_declares_its_role_rule() -> None:
    """States reach services through `signed_in`, which refuses a state without a rule (fail closed)."""
    import importlib
    import pkgutil

    import reflex as rx

    import chatai_app.state as state_package
    from chatai_app.state.session import rule_of

    public = {"SessionState", "LoginState", "SignUpState",  # signing in needs no role
              "AcceptInviteState", "ForgotPasswordState", "ResetPasswordState", "VerifyEmailState"}  # e-mailed links
    for module in pkgutil.iter_modules(state_package.__path__):
        importlib.import_module(f"chatai_app.state.{module.name}")
    states = {cls.__name__: cls for cls in _subclasses(rx.State) if cls.__module__.startswith("chatai_app.state")}
    # a mixin is never a state of its own (no events reach it); the states built from it declare the rule
    states = {name: cls for name, cls in states.items() if not getattr(cls, "_mixin", False)}
    assert {"InboxState", "KnowledgeState", "BillingState", "AdminBillingState", "PlaygroundState"} <= set(states)
    for name, cls in states.items():
        if name not in public:
            assert isinstance(rule_of(cls), Permission), name
    assert rule_of(states["InboxState"]) == Permission.dialogs
    assert not allows("operator", rule_of(states["KnowledgeState"]))


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found
