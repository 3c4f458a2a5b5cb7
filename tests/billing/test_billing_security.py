"""Money under a burst and under a lying payment notice (issue 11, item 10)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlmodel import select

from chatai_app.db import session_scope
from chatai_app.models import AuditLog, BalanceTransaction, Tenant
from chatai_app.services.conversation import Incoming, handle_incoming
from tests.billing.test_billing_flows import WEBHOOK_SECRET, owner, stripe_api  # noqa: F401
from tests.engine.test_conversation import _with_knowledge
from tests.fakes.stripe_server import FakeStripe, checkout_completed_event, sign
from tests.knowledge.conftest import Workspace


async def test_every_answered_reply_is_charged_exactly_once_as_the_balance_runs_out(
    shop: Workspace,
) -> None:
    await _with_knowledge(shop)
    async with session_scope() as session:
        await session.exec(sa.update(Tenant).where(Tenant.id == shop.tenant_id).values(balance_minor=3000))
    gate = asyncio.Semaphore(15)

    async def ask(n: int) -> str:
        async with gate:
            turn = await handle_incoming(Incoming(shop.tenant_id, shop.assistant_id, "api", f"chat-{n}",
                                                  f"How much is courier delivery, question {n}?"))  # fmt: skip
            return turn.outcome

    outcomes = await asyncio.gather(*(ask(n) for n in range(60)))
    async with session_scope() as session:
        balance = (await session.exec(select(Tenant.balance_minor).where(Tenant.id == shop.tenant_id))).one()
        moved = select(sa.func.sum(BalanceTransaction.amount_minor)).where(
            BalanceTransaction.tenant_id == shop.tenant_id, BalanceTransaction.type.in_(("charge", "refund"))
        )
        spent = (await session.exec(moved)).one()
    assert outcomes.count("answered") == 30 and outcomes.count("no_funds") == 30  # 3000 pays exactly 30 replies
    assert balance == 0 and spent == -3000


async def test_a_payment_is_credited_with_what_stripe_received_in_our_currency(owner, stripe_api: FakeStripe) -> None:  # noqa: F811
    api, auth = owner
    hook = "/api/v1/billing/webhooks/stripe"
    first = (await api.post("/api/v1/billing/topups", json={"amount_minor": 100000}, headers=auth)).json()
    paid_less = checkout_completed_event(first["checkout_url"].rsplit("/", 1)[1], 50000)
    processed = await api.post(hook, content=paid_less, headers={"Stripe-Signature": sign(paid_less, WEBHOOK_SECRET)})
    assert processed.json() == {"status": "processed"}
    second = (await api.post("/api/v1/billing/topups", json={"amount_minor": 100000}, headers=auth)).json()
    in_dollars = checkout_completed_event(second["checkout_url"].rsplit("/", 1)[1], 100000, currency="usd")
    refused = await api.post(hook, content=in_dollars, headers={"Stripe-Signature": sign(in_dollars, WEBHOOK_SECRET)})
    assert refused.json() == {"status": "refused"}
    history = (await api.get("/api/v1/billing/transactions", params={"type": "topup"}, headers=auth)).json()
    assert [t["amount_minor"] for t in history] == [50000]  # what arrived, and nothing for the other currency
    async with session_scope() as session:
        notices = (await session.exec(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert "billing.payment_amount_differs" in notices and "billing.payment_mismatch" in notices
