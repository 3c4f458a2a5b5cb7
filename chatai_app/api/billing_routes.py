"""Billing over JSON: balance and plan, history (JSON or CSV), promo codes, top-ups, the payment webhook,
and the admins' tools: pricing settings, manual adjustments, promo codes, plans of a workspace."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chatai_app.api.deps import BillingManager, BillingReader, DbSession, PlatformAdmin, public
from chatai_app.services import billing, billing_reports, payments, plans, promo, settings_store
from chatai_app.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["billing"])


@router.get("/billing")
async def overview(context: BillingReader, session: DbSession) -> dict[str, Any]:
    plan = await plans.plan_of(session=session, tenant_id=context.tenant_id)
    return {
        "balance_minor": await billing.balance(session=session, tenant_id=context.tenant_id),
        "plan": {"code": plan.code, "name": plan.name, "limits": plan.limits},
        "usage": await plans.usage(session=session, tenant_id=context.tenant_id),
        "plans": [asdict(p) for p in await plans.list_plans(session=session)],
        "payments_enabled": payments.configured_provider() is not None,
        "notices": [asdict(n) for n in await billing_reports.notices(session=session, tenant_id=context.tenant_id)],
    }


@router.get("/billing/transactions")
async def transactions(
    context: BillingReader,
    session: DbSession,
    type: str | None = Query(default=None, description=", ".join(billing_reports.KINDS)),
    since: date | None = None,
    until: date | None = None,
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> Any:
    rows = await billing_reports.transactions(
        session=session, tenant_id=context.tenant_id, kind=type, since=since, until=until
    )
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="transactions.csv"'}
        return Response(billing_reports.to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    return [asdict(r) for r in rows]


@router.get("/billing/spend-by-day")
async def spend_by_day(
    context: BillingReader, session: DbSession, days: int = Query(default=30, ge=1, le=366)
) -> list[dict[str, Any]]:
    series = await billing_reports.spend_by_day(session=session, tenant_id=context.tenant_id, days=days)
    return [{"day": d.isoformat(), "spent_minor": v} for d, v in series]


class PromoIn(BaseModel):
    code: str = Field(max_length=64)


@router.post("/billing/promo")
async def redeem_promo(body: PromoIn, context: BillingManager, session: DbSession) -> dict[str, Any]:
    redeemed = await promo.redeem(session=session, tenant_id=context.tenant_id, user_id=context.user_id, code=body.code)
    return asdict(redeemed)


class PlanIn(BaseModel):
    plan: str = Field(max_length=40)


@router.post("/billing/plan")
async def change_plan(body: PlanIn, context: BillingManager, session: DbSession) -> dict[str, Any]:
    entry = await billing.change_plan(
        session=session, tenant_id=context.tenant_id, plan_code=body.plan, actor=context.user_id
    )
    return {"plan": body.plan, "balance_minor": entry.balance_after}


class TopUpIn(BaseModel):
    amount_minor: int


@router.post("/billing/topups", status_code=201)
async def top_up(body: TopUpIn, context: BillingManager) -> dict[str, Any]:
    """Start a checkout at the payment provider; send the user to `checkout_url`."""
    payment = await payments.start_topup(
        provider=payments.configured_provider(), tenant_id=context.tenant_id, user_id=context.user_id,
        amount_minor=body.amount_minor, return_url=f"{get_settings().base_url.rstrip('/')}/billing",
    )  # fmt: skip
    return {"payment_id": str(payment.id), "checkout_url": payment.checkout_url, "status": payment.status}


@router.post("/billing/webhooks/stripe", dependencies=[public("Stripe calls it; the signature is checked")])
async def stripe_webhook(request: Request) -> dict[str, str]:
    """Stripe calls this; the signature is verified and every event id is handled at most once."""
    outcome = await payments.handle_webhook(
        provider=payments.configured_provider(), payload=await request.body(), headers=request.headers
    )
    return {"status": outcome}


@router.get("/admin/pricing")
async def pricing(context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    return await settings_store.pricing(session=session)


@router.put("/admin/pricing")
async def set_pricing(changes: dict[str, Any], context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    await settings_store.set_pricing(session=session, changes=changes, actor=context.user_id)
    return await settings_store.pricing(session=session)


class AdjustIn(BaseModel):
    amount_minor: int
    reason: str = Field(max_length=200)


@router.post("/admin/tenants/{tenant_id}/adjustments", status_code=201)
async def adjust(tenant_id: uuid.UUID, body: AdjustIn, context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    entry = await billing.adjust_balance(
        session=session, tenant_id=tenant_id, amount=body.amount_minor, reason=body.reason, actor=context.user_id
    )
    return {"transaction_id": entry.transaction_id, "balance_minor": entry.balance_after}


class PromoCodeIn(BaseModel):
    code: str = Field(max_length=64)
    kind: str = Field(default="amount", max_length=8)
    value: int
    expires_at: datetime | None = None
    max_uses: int | None = None


@router.post("/admin/promo-codes", status_code=201)
async def create_promo(body: PromoCodeIn, context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    created = await promo.create_code(session=session, **body.model_dump())
    return {"id": str(created.id), "code": created.code}


@router.post("/admin/tenants/{tenant_id}/plan")
async def assign_plan(tenant_id: uuid.UUID, body: PlanIn, context: PlatformAdmin, session: DbSession) -> dict:
    await plans.assign_plan(session=session, tenant_id=tenant_id, plan_code=body.plan)
    return {"plan": body.plan}
