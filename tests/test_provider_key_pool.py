"""The provider key pool (issue 14) through the real engine against the local OpenAI-compatible server: rotation on
429 and 5xx within one turn, parking after three authentication failures (with the reason), daily and monthly limits,
requests per minute, usage per key per day, model filtering and the tenant's own keys first."""

# ruff: noqa: F811  (the engine's fixtures, imported, are the tests' arguments)
from __future__ import annotations

import os
import uuid
from datetime import timedelta

import psycopg
import pytest

from chatai_app.db import session_scope
from chatai_app.models._base import utcnow
from chatai_app.services import accounts, key_pool, provider_keys, ratelimit
from chatai_app.services.conversation import APOLOGY, Incoming, TurnResult, handle_incoming
from chatai_app.settings import get_settings
from tests.engine.conftest import fake_llm  # noqa: F401
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.openai_server import FakeOpenAIServer
from tests.knowledge.conftest import Workspace
from tests.test_api import SIGNUP, _client
from tests.test_ratelimit import REDIS_URL, _redis_available

MODEL = "fake-gpt"
QUESTION = "delivery to Kazan?"


@pytest.fixture
async def assistant(shop: Workspace, fake_llm: FakeOpenAIServer) -> Workspace:
    await _with_knowledge(shop, provider="openai", model=MODEL)
    return shop


async def _key(api_key: str, fake: FakeOpenAIServer, tenant_id: uuid.UUID | None = None, **settings: object) -> str:
    async with session_scope() as session:
        out = await provider_keys.add_key(
            session=session, tenant_id=tenant_id, api_key=api_key, base_url=fake.base_url, **settings
        )
    return str(out.id)


class Turns:
    """Asks one question per turn (a new chat each time) and tells which keys the turn called, in order."""

    def __init__(self, ws: Workspace, fake: FakeOpenAIServer) -> None:
        self.ws, self.fake, self.n = ws, fake, 0

    async def ask(self) -> tuple[TurnResult, list[str]]:
        since, self.n = len(self.fake.requests), self.n + 1
        result = await handle_incoming(Incoming(self.ws.tenant_id, self.ws.assistant_id, "api", f"c{self.n}", QUESTION))
        calls = zip(self.fake.requests[since:], self.fake.auth_headers[since:], strict=True)
        return result, [auth.removeprefix("Bearer ") for (path, _), auth in calls if path.endswith("/chat/completions")]


async def _pool(tenant_id: uuid.UUID | None = None) -> dict[str, provider_keys.ProviderKeyOut]:
    async with session_scope() as session:
        return {k.key_hint: k for k in await provider_keys.list_keys(session=session, tenant_id=tenant_id)}


def _usage(url: str, key_id: str) -> tuple[int, int, int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT requests, prompt_tokens, completion_tokens, errors, rate_limited FROM provider_key_usage "
            "WHERE key_id = %s AND day = (now() AT TIME ZONE 'UTC')::date",
            (key_id,),
        ).fetchone()
    return row or (0, 0, 0, 0, 0)


async def test_429_and_5xx_rotate_to_the_next_key_within_the_turn(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    first = await _key("sk-first-0000001", fake_llm, priority=1)
    second = await _key("sk-second-000002", fake_llm, priority=2)
    third = await _key("sk-third-0000003", fake_llm, priority=3)
    turns = Turns(assistant, fake_llm)
    fake_llm.fail("sk-first-0000001", 429, retry_after=120, times=1)

    result, called = await turns.ask()
    assert result.outcome == "answered" and "Kazan" in result.reply_text
    assert called == ["sk-first-0000001", "sk-second-000002"]
    pool = await _pool()
    assert pool["sk-…0001"].state == "cooling_down"
    cooling_until = pool["sk-…0001"].cooldown_until
    assert cooling_until > (utcnow() + timedelta(seconds=60)).isoformat()  # Retry-After: 120 honoured
    assert _usage(clean_db, first) == (1, 0, 0, 1, 1)  # one request, one error, one 429
    requests, prompt_tokens, completion_tokens, errors, _ = _usage(clean_db, second)
    assert (requests, prompt_tokens, errors) == (1, 42, 0) and completion_tokens == result.completion_tokens > 0
    async with session_scope() as session:
        days = await provider_keys.usage_by_day(session=session, tenant_id=None, key_id=uuid.UUID(first))
    assert [(d.requests, d.errors, d.rate_limited) for d in days] == [(1, 1, 1)]

    # The cooling key is skipped by the next turns; a 500 moves the turn on and cools that key too.
    fake_llm.fail("sk-second-000002", 500)
    result, called = await turns.ask()
    assert result.outcome == "answered"
    assert called == ["sk-second-000002", "sk-third-0000003"]
    pool = await _pool()
    assert pool["sk-…0002"].state == "cooling_down" and "500" in pool["sk-…0002"].last_error
    assert pool["sk-…0003"].state == "healthy" and pool["sk-…0003"].today["requests"] == 1
    assert _usage(clean_db, third)[0] == 1

    # Every key fails or cools down: the key this turn saw failing with a 5xx is retried after the engine's backoff
    # (twice), then the engine's existing fallback (the apology); the user's message stays.
    fake_llm.fail("sk-third-0000003", 503)
    result, called = await turns.ask()
    assert called == ["sk-third-0000003"] * 3
    assert result.outcome == "fallback" and result.reply_text == APOLOGY["en"]
    result, called = await turns.ask()  # nothing usable at all now: no call is made
    assert called == [] and result.outcome == "fallback"
    with psycopg.connect(clean_db) as conn:
        error = conn.execute("SELECT last_error FROM dialogs WHERE id = %s", (result.dialog_id,)).fetchone()[0]
    assert "no usable provider key" in error and "cooling_down" in error


async def test_a_single_key_with_a_passing_server_error_answers_after_a_backoff(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    only = await _key("sk-only-00000001", fake_llm)
    fake_llm.fail("sk-only-00000001", 502, times=1)
    result, called = await Turns(assistant, fake_llm).ask()
    assert result.outcome == "answered" and called == ["sk-only-00000001"] * 2
    key = (await _pool())["sk-…0001"]
    assert key.state == "healthy" and "502" in key.last_error  # the success ended the cooldown
    assert _usage(clean_db, only)[0::3] == (2, 1)  # two requests, one error


async def test_three_auth_failures_park_the_key_with_the_reason(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    bad = await _key("sk-revoked-00001", fake_llm, priority=1)
    await _key("sk-good-00000002", fake_llm, priority=2)
    fake_llm.fail("sk-revoked-00001", 401)
    turns = Turns(assistant, fake_llm)
    for failures in (1, 2, 3):
        result, called = await turns.ask()
        assert result.outcome == "answered" and called == ["sk-revoked-00001", "sk-good-00000002"]
        assert (await _pool())["sk-…0001"].auth_failures == failures
    parked = (await _pool())["sk-…0001"]
    assert parked.state == "parked"
    assert parked.parked_reason.startswith("3 authentication failures in a row (HTTP 401)")
    assert _usage(clean_db, bad)[3] == 3
    result, called = await turns.ask()
    assert called == ["sk-good-00000002"]  # parked: not tried any more

    fake_llm.failures.clear()  # the admin fixed the key at the provider and unparks it
    async with session_scope() as session:
        back = await provider_keys.unpark_key(session=session, tenant_id=None, key_id=uuid.UUID(bad))
    assert back.state == "healthy" and back.auth_failures == 0 and back.parked_reason == ""
    result, called = await turns.ask()
    assert called == ["sk-revoked-00001"]
    with psycopg.connect(clean_db) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE target_type = 'provider_key'")]
    assert "provider_key.unpark" in actions


async def test_daily_request_and_token_limits_and_monthly_tokens_are_enforced(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    limited = await _key("sk-limited-00001", fake_llm, priority=1, daily_request_limit=2)
    turns = Turns(assistant, fake_llm)
    assert [(await turns.ask())[1] for _ in range(2)] == [["sk-limited-00001"]] * 2
    result, called = await turns.ask()  # the only key is at its daily request limit: the fallback, no call
    assert called == [] and result.outcome == "fallback"
    assert _usage(clean_db, limited)[0] == 2

    # A key over its daily tokens (one answer is 42 + n tokens) or over its monthly tokens is skipped.
    await _key("sk-tokens-000002", fake_llm, priority=2, daily_token_limit=10)
    await _key("sk-monthly-00003", fake_llm, priority=3, monthly_token_limit=10)
    await _key("sk-spare-0000004", fake_llm, priority=4)
    assert (await turns.ask())[1] == ["sk-tokens-000002"]
    assert (await turns.ask())[1] == ["sk-monthly-00003"]
    assert (await turns.ask())[1] == ["sk-spare-0000004"]
    pool = await _pool()
    assert pool["sk-…0002"].today["prompt_tokens"] == 42 and pool["sk-…0003"].month_tokens > 10

    # Limits raised by the admin take effect at once.
    async with session_scope() as session:
        await provider_keys.update_key(
            session=session, tenant_id=None, key_id=uuid.UUID(limited), priority=1,
            limits={"daily_request_limit": 3},
        )  # fmt: skip
    assert (await turns.ask())[1] == ["sk-limited-00001"]


async def test_requests_per_minute_are_enforced(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    await _key("sk-perminute-001", fake_llm, priority=1, requests_per_minute=1)
    await _key("sk-other-0000002", fake_llm, priority=2)
    turns = Turns(assistant, fake_llm)
    assert (await turns.ask())[1] == ["sk-perminute-001"]
    assert (await turns.ask())[1] == ["sk-other-0000002"]


async def test_keys_not_serving_the_model_are_skipped_and_tenant_keys_come_first(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    await _key("sk-othermodel-01", fake_llm, priority=1, models=["another-model"])
    await _key("sk-platform-0002", fake_llm, priority=5, models=[MODEL])
    turns = Turns(assistant, fake_llm)
    assert (await turns.ask())[1] == ["sk-platform-0002"]

    # The tenant's own key comes before the whole platform pool, whatever the priorities; when it is rate-limited
    # the turn goes on to the pool.
    own = await _key("sk-tenant-000003", fake_llm, tenant_id=assistant.tenant_id, priority=900)
    assert (await turns.ask())[1] == ["sk-tenant-000003"]
    fake_llm.fail("sk-tenant-000003", 429, times=1)
    assert (await turns.ask())[1] == ["sk-tenant-000003", "sk-platform-0002"]
    tenant_keys = await _pool(assistant.tenant_id)
    assert tenant_keys["sk-…0003"].today["rate_limited"] == 1 and tenant_keys["sk-…0003"].state == "cooling_down"
    assert str(tenant_keys["sk-…0003"].id) == own


async def test_no_key_serving_the_model_uses_the_settings_endpoint(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    other = await _key("sk-othermodel-01", fake_llm, models=["another-model"])
    assert (await Turns(assistant, fake_llm).ask())[1] == ["test"]  # OPENAI_API_KEY
    async with session_scope() as session:  # keys serve the model but none is usable: a domain error
        with pytest.raises(key_pool.NoUsableKey):
            await key_pool.lease(
                session=session, tenant_id=assistant.tenant_id, model="another-model",
                exclude=frozenset({uuid.UUID(other)}),
            )  # fmt: skip


async def test_admin_api_edits_unparks_and_deletes_pool_keys_and_refuses_owners(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str
) -> None:
    async with session_scope() as session:
        await accounts.create_admin(session=session, email="root@example.com", password="root password")
    async with _client() as api:
        login = {"email": "root@example.com", "password": "root password"}
        admin = {"Authorization": f"Bearer {(await api.post('/api/v1/auth/login', json=login)).json()['access_token']}"}
        owner_token = (await api.post("/api/v1/auth/signup", json={**SIGNUP, "email": "o@example.com"})).json()
        owner = {"Authorization": f"Bearer {owner_token['access_token']}"}
        added = await api.post(
            "/api/v1/admin/provider-keys", headers=admin,
            json={"api_key": "sk-api-000000001", "base_url": fake_llm.base_url, "models": [MODEL], "priority": 3,
                  "daily_request_limit": 10, "daily_token_limit": 5000},
        )  # fmt: skip
        assert added.status_code == 201, added.text
        key = added.json()
        assert (key["priority"], key["daily_request_limit"], key["state"]) == (3, 10, "healthy")
        path = f"/api/v1/admin/provider-keys/{key['id']}"
        edit = {"priority": 1, "daily_request_limit": None, "monthly_token_limit": 90000}
        assert (await api.patch(path, json=edit, headers=owner)).status_code == 403
        edited = (await api.patch(path, json=edit, headers=admin)).json()
        assert (edited["priority"], edited["daily_request_limit"], edited["monthly_token_limit"]) == (1, None, 90000)
        bad = await api.patch(path, json={"priority": 1, "daily_token_limit": 0}, headers=admin)
        assert bad.status_code == 422

        fake_llm.fail("sk-api-000000001", 403)
        turns = Turns(assistant, fake_llm)
        for _ in range(3):
            assert (await turns.ask())[1] == ["sk-api-000000001"]
        listed = (await api.get("/api/v1/admin/provider-keys", headers=admin)).json()
        assert listed[0]["state"] == "parked" and "HTTP 403" in listed[0]["parked_reason"]
        assert listed[0]["today"]["errors"] == 3
        assert (await api.post(f"{path}/unpark", headers=owner)).status_code == 403
        assert (await api.post(f"{path}/unpark", headers=admin)).json()["state"] == "healthy"
        assert (await api.delete(path, headers=owner)).status_code == 403
        assert (await api.delete(path, headers=admin)).status_code == 204
        assert (await api.get("/api/v1/admin/provider-keys", headers=admin)).json() == []


async def test_requests_per_minute_are_counted_in_redis_when_configured(
    assistant: Workspace, fake_llm: FakeOpenAIServer, clean_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    ratelimit.default_limiter.cache_clear()
    try:
        await _key("sk-redis-rpm-001", fake_llm, priority=1, requests_per_minute=1)
        await _key("sk-other-0000002", fake_llm, priority=2)
        turns = Turns(assistant, fake_llm)
        assert (await turns.ask())[1] == ["sk-redis-rpm-001"]
        assert (await turns.ask())[1] == ["sk-other-0000002"]
        assert isinstance(ratelimit.default_limiter(), ratelimit.RedisRateLimiter)
    finally:
        limiter = ratelimit.default_limiter()
        if isinstance(limiter, ratelimit.RedisRateLimiter):
            await limiter.close()
        monkeypatch.delenv("REDIS_URL")
        get_settings.cache_clear()
        ratelimit.default_limiter.cache_clear()
