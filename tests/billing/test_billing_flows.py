"""Billing end to end over the JSON API on real PostgreSQL: plans and limits, promo codes, top-ups through
Stripe Checkout (a local Stripe-compatible endpoint) with signed, idempotent webhooks, admin tools,
history, CSV export, spend by day, low-balance notices, per-token pricing. Every error path has a message."""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import Tenant, User
from chatai_app.models._base import utcnow
from chatai_app.services import billing
from chatai_app.services.conversation import Incoming, handle_incoming
from chatai_app.settings import get_settings
from tests.fakes.stripe_server import FakeStripe, checkout_completed_event, running_fake_stripe, sign
from tests.test_api import _client

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_api() -> Iterator[FakeStripe]:
    with running_fake_stripe() as server:
        os.environ.update(STRIPE_SECRET_KEY="sk_test_123", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                          STRIPE_API_BASE=server.base_url)  # fmt: skip
        get_settings.cache_clear()
        yield server
        for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
            del os.environ[key]
        get_settings.cache_clear()


@pytest.fixture
async def owner(clean_db: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with _client() as api:
        tokens = (await api.post("/api/v1/auth/signup", json={"email": "owner@example.com",
                                                               "password": "owner password 1"})).json()  # fmt: skip
        async with session_scope() as session:  # top-ups need a confirmed address (issue 14)
            verified = sa.update(User).where(User.email == "owner@example.com").values(email_verified_at=utcnow())
            await session.exec(verified)
        yield api, {"Authorization": f"Bearer {tokens['access_token']}"}


async def _admin_headers(api: httpx.AsyncClient) -> dict[str, str]:
    await api.post("/api/v1/auth/signup", json={"email": "admin@example.com", "password": "admin password 1"})
    async with session_scope() as session:
        await session.exec(sa.update(User).where(User.email == "admin@example.com").values(platform_role="admin"))
    tokens = (await api.post("/api/v1/auth/login", json={"email": "admin@example.com",
                                                          "password": "admin password 1"})).json()  # fmt: skip
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _tenant_id() -> str:
    async with session_scope() as session:
        return str((await session.exec(select(Tenant.id).where(Tenant.name.startswith("owner")))).one())


async def test_plan_limits_and_paid_plan_change(owner: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    api, auth = owner
    for n in range(3):
        assert (await api.post("/api/v1/assistants", json={"name": f"A{n}"}, headers=auth)).status_code == 201
    over = await api.post("/api/v1/assistants", json={"name": "A4"}, headers=auth)
    assert over.status_code == 402 and over.json() == {
        "error": "plan_limit_reached",
        "message": "The Free plan allows 3 assistants; choose a bigger plan on the Billing page",
    }
    poor = await api.post("/api/v1/billing/plan", json={"plan": "pro"}, headers=auth)
    assert poor.status_code == 402 and poor.json()["message"] == (
        "The balance (100.00 ₽) is below the Pro plan's monthly price (1990.00 ₽)"  # not "the price of a reply"
    )
    unknown = await api.post("/api/v1/billing/plan", json={"plan": "platinum"}, headers=auth)
    assert unknown.status_code == 404

    admin = await _admin_headers(api)
    tenant = await _tenant_id()
    credit = {"amount_minor": 300000, "reason": "Invoice 42 paid by bank transfer"}
    assert (await api.post(f"/api/v1/admin/tenants/{tenant}/adjustments", json=credit, headers=auth)).status_code == 403
    no_reason = await api.post(f"/api/v1/admin/tenants/{tenant}/adjustments", json={"amount_minor": 5, "reason": ""},
                               headers=admin)  # fmt: skip
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["fields"]
    done = await api.post(f"/api/v1/admin/tenants/{tenant}/adjustments", json=credit, headers=admin)
    assert done.json()["balance_minor"] == 310000  # welcome bonus 100.00 + 3000.00

    upgraded = await api.post("/api/v1/billing/plan", json={"plan": "pro"}, headers=auth)
    assert upgraded.json() == {"plan": "pro", "balance_minor": 310000 - 199000}
    again = await api.post("/api/v1/billing/plan", json={"plan": "pro"}, headers=auth)
    assert again.json()["balance_minor"] == 111000  # the same month is paid once
    assert (await api.post("/api/v1/assistants", json={"name": "A4"}, headers=auth)).status_code == 201
    overview = (await api.get("/api/v1/billing", headers=auth)).json()
    assert overview["plan"]["code"] == "pro" and overview["usage"]["assistants"] == 4
    down = await api.post("/api/v1/billing/plan", json={"plan": "free"}, headers=auth)
    assert down.status_code == 402 and "allows 3 assistants" in down.json()["message"]


async def test_promo_codes_every_error_and_percent_bonus_on_top_up(
    owner: tuple[httpx.AsyncClient, dict[str, str]], stripe_api: FakeStripe
) -> None:
    api, auth = owner
    admin = await _admin_headers(api)
    bad = await api.post("/api/v1/admin/promo-codes", json={"code": "x", "kind": "percent", "value": 300},
                         headers=admin)  # fmt: skip
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"code", "value"}
    codes = [
        {"code": "WELCOME500", "kind": "amount", "value": 50000},
        {"code": "OLD", "kind": "amount", "value": 100, "expires_at": (utcnow() - timedelta(days=1)).isoformat()},
        {"code": "ONCE", "kind": "amount", "value": 100, "max_uses": 1},
        {"code": "PLUS10", "kind": "percent", "value": 10},
    ]
    for code in codes:
        assert (await api.post("/api/v1/admin/promo-codes", json=code, headers=admin)).status_code == 201
    duplicate = await api.post("/api/v1/admin/promo-codes", json=codes[0], headers=admin)
    assert duplicate.status_code == 409

    async def redeem(code: str, headers: dict[str, str] = auth) -> httpx.Response:
        return await api.post("/api/v1/billing/promo", json={"code": code}, headers=headers)

    assert (await redeem("welcome500")).json() == {"kind": "amount", "value": 50000, "credited_minor": 50000}
    messages = {code: (await redeem(code)).json()["message"] for code in ("WELCOME500", "NOPE", "OLD")}
    assert messages == {
        "WELCOME500": "You have already used this promo code",
        "NOPE": "This promo code does not exist",
        "OLD": f"This promo code expired on {(utcnow() - timedelta(days=1)):%Y-%m-%d}",
    }
    assert (await redeem("ONCE", admin)).status_code == 200
    used_up = await redeem("ONCE")
    assert used_up.status_code == 422 and used_up.json()["message"] == "This promo code has been used up"
    assert (await redeem("PLUS10")).json() == {"kind": "percent", "value": 10, "credited_minor": 0}

    small = await api.post("/api/v1/billing/topups", json={"amount_minor": 5}, headers=auth)
    assert small.status_code == 422 and "Top up from 1" in small.json()["fields"]["amount"]
    started = (await api.post("/api/v1/billing/topups", json={"amount_minor": 100000}, headers=auth)).json()
    assert started["checkout_url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    ((_, form, authorization),) = stripe_api.requests
    assert form["line_items[0][price_data][unit_amount]"] == "100000" and authorization == "Bearer sk_test_123"
    session_id = started["checkout_url"].rsplit("/", 1)[1]

    event = checkout_completed_event(session_id, 100000)
    hook = "/api/v1/billing/webhooks/stripe"
    forged = await api.post(hook, content=event, headers={"Stripe-Signature": sign(event, "whsec_wrong")})
    assert forged.status_code == 400 and forged.json()["message"] == (
        "The Stripe signature does not match this webhook's secret"
    )
    unsigned = await api.post(hook, content=event)
    assert unsigned.status_code == 400 and "Stripe-Signature header is missing" in unsigned.json()["message"]
    stale = await api.post(hook, content=event, headers={"Stripe-Signature": sign(event, WEBHOOK_SECRET, at=1)})
    assert stale.status_code == 400
    signed = {"Stripe-Signature": sign(event, WEBHOOK_SECRET)}
    assert (await api.post(hook, content=event, headers=signed)).json() == {"status": "processed"}
    assert (await api.post(hook, content=event, headers=signed)).json() == {"status": "duplicate"}
    other_event = checkout_completed_event(session_id, 100000)  # Stripe retrying with a new event id
    resent = await api.post(hook, content=other_event, headers={"Stripe-Signature": sign(other_event, WEBHOOK_SECRET)})
    assert resent.json() == {"status": "duplicate"}

    history = (await api.get("/api/v1/billing/transactions", headers=auth)).json()
    assert [(t["type"], t["amount_minor"]) for t in history[:3]] == [
        ("promo", 10000), ("topup", 100000), ("promo", 50000),
    ]  # fmt: skip
    assert history[0]["balance_after_minor"] == 10000 + 50000 + 100000 + 10000
    topups = (await api.get("/api/v1/billing/transactions", params={"type": "topup"}, headers=auth)).json()
    assert len(topups) == 1
    exported = await api.get("/api/v1/billing/transactions", params={"format": "csv"}, headers=auth)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-disposition"] == 'attachment; filename="transactions.csv"'
    assert [r["amount"] for r in rows] == ["100.00", "1000.00", "500.00", "100.00"]


async def test_pricing_settings_token_pricing_notices_and_spend_chart(
    owner: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    api, auth = owner
    admin = await _admin_headers(api)
    assert (await api.put("/api/v1/admin/pricing", json={"pricing.message_minor": 1}, headers=auth)).status_code == 403
    bad = await api.put("/api/v1/admin/pricing", json={"pricing.message_minor": -5, "colour": 1}, headers=admin)
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"pricing.message_minor", "colour"}
    changes = {"pricing.widget_message_minor": 3000, "pricing.per_1k_tokens_minor": {"offline-extractive": 10000},
               "billing.low_balance_thresholds_minor": [2000]}  # fmt: skip
    saved = (await api.put("/api/v1/admin/pricing", json=changes, headers=admin)).json()
    assert saved["pricing.widget_message_minor"] == 3000

    assistant = (await api.post("/api/v1/assistants", json={"name": "Bot"}, headers=auth)).json()
    tenant, bot = uuid_of(await _tenant_id()), uuid_of(assistant["id"])
    turn = await handle_incoming(Incoming(tenant, bot, "widget", "w:1", "Do you deliver?"))  # not small talk
    tokens = turn.prompt_tokens + turn.completion_tokens
    assert tokens > 0 and turn.cost_minor == 3000 + -(-10 * tokens // 1)  # message price + 10 per token
    left = 10000 - turn.cost_minor
    debit = {"amount_minor": 3001 - left, "reason": "Test: leave just over one message"}
    assert (await api.post(f"/api/v1/admin/tenants/{tenant}/adjustments", json=debit, headers=admin)).json()[
        "balance_minor"
    ] == 3001
    second = await handle_incoming(Incoming(tenant, bot, "widget", "w:2", "Price?"))
    assert second.cost_minor == 3000  # the token part does not fit: the authorized price only
    broke = await handle_incoming(Incoming(tenant, bot, "widget", "w:3", "Hi?"))
    assert broke.outcome == "no_funds" and broke.reply_text.startswith("The assistant is unavailable")
    overview = (await api.get("/api/v1/billing", headers=auth)).json()
    assert overview["balance_minor"] == 1
    assert [n["action"] for n in overview["notices"]] == ["billing.exhausted", "billing.low_balance"]
    assert overview["notices"][0]["meta"]["reason"] == "insufficient_funds"

    spend = (await api.get("/api/v1/billing/spend-by-day", params={"days": 7}, headers=auth)).json()
    assert len(spend) == 7 and spend[-1]["spent_minor"] == turn.cost_minor + 3000
    assert all(day["spent_minor"] == 0 for day in spend[:-1])
    async with session_scope() as session:
        assert await billing.balance(session=session, tenant_id=tenant) == 1


def uuid_of(value: str) -> uuid.UUID:
    return uuid.UUID(value)
