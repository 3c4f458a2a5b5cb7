"""Plans and their limits: assistants, bots, documents and AI messages per month, enforced with clear errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, BotInstance, DialogMessage, Document, Plan, Tenant
from chatai_app.services.errors import DomainError, NotFound

RESOURCES = ("assistants", "bots", "documents", "messages_per_month")
LABELS = {"assistants": "assistants", "bots": "Telegram bots", "documents": "documents",
          "messages_per_month": "AI messages this month"}  # fmt: skip


class PlanLimitReached(DomainError):
    code = "plan_limit_reached"

    def __init__(self, plan: str, resource: str, limit: int) -> None:
        super().__init__(f"The {plan} plan allows {limit} {LABELS[resource]}; choose a bigger plan on the Billing page")
        self.resource, self.limit = resource, limit


@dataclass(frozen=True)
class PlanOut:
    code: str
    name: str
    monthly_price_minor: int
    currency: str
    limits: dict[str, Any]
    allows_credit: bool


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def list_plans(*, session: AsyncSession, public_only: bool = True) -> list[PlanOut]:
    stmt = select(Plan).order_by(Plan.monthly_price_minor)
    if public_only:
        stmt = stmt.where(Plan.is_public)
    return [PlanOut(p.code, p.name, p.monthly_price_minor, p.currency, p.limits, p.allows_credit)
            for p in (await session.exec(stmt)).all()]  # fmt: skip


async def plan_of(*, session: AsyncSession, tenant_id: uuid.UUID) -> Plan:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Workspace not found")
    plan = await session.get(Plan, tenant.plan_code)
    if plan is None:
        raise NotFound(f"Plan {tenant.plan_code} not found")
    return plan


def _count(tenant_id: uuid.UUID, resource: str) -> sa.Select:
    if resource == "messages_per_month":
        return (
            select(sa.func.count())
            .select_from(DialogMessage)
            .where(DialogMessage.tenant_id == tenant_id, DialogMessage.role == "assistant",
                   DialogMessage.status == "ok", DialogMessage.created_at >= month_start())
        )  # fmt: skip
    if resource == "bots":  # a disabled bot costs nothing: it does not count, and enabling it is checked
        return select(sa.func.count()).select_from(BotInstance).where(BotInstance.tenant_id == tenant_id,
                                                                      BotInstance.enabled)  # fmt: skip
    table = {"assistants": Assistant, "documents": Document}[resource]
    return select(sa.func.count()).select_from(table).where(table.tenant_id == tenant_id)


async def usage(*, session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    return {r: int((await session.exec(_count(tenant_id, r))).one()) for r in RESOURCES}


async def ensure_within(
    *, session: AsyncSession, tenant_id: uuid.UUID, resource: str, adding: int = 1, plan: Plan | None = None
) -> None:
    """PlanLimitReached when adding `adding` more of `resource` would pass the tenant's plan limit (`plan`: the
    tenant's plan when the caller has it already)."""
    plan = plan or await plan_of(session=session, tenant_id=tenant_id)
    limit = plan.limits.get(resource)
    if limit is None:
        return
    used = int((await session.exec(_count(tenant_id, resource))).one())  # only this one: a hot path per message
    if used + adding > int(limit):
        raise PlanLimitReached(plan.name, resource, int(limit))


async def assign_plan(*, session: AsyncSession, tenant_id: uuid.UUID, plan_code: str) -> None:
    """Move a workspace to a plan without charging (admins; the paid switch is `billing.change_plan`)."""
    if await session.get(Plan, plan_code) is None:
        raise NotFound(f"Plan {plan_code} not found")
    await session.exec(sa.update(Tenant).where(Tenant.id == tenant_id).values(plan_code=plan_code))
