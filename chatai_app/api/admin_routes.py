"""JSON API of the platform admins' console (issue 14): users and workspaces, blocking, plan and balance, the
two-factor policy, the e-mail outbox, a read-only database explorer and the log viewer. Every route is
PlatformAdmin: anyone else gets 403."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from chatai_app.api.deps import Client, DbSession, PlatformAdmin
from chatai_app.services import admin_console, db_explorer, logbook, mail, two_factor

router = APIRouter(prefix="/api/v1/admin", tags=["admin console"])


class ReasonIn(BaseModel):
    reason: str = Field(max_length=1000)


class PlanIn(BaseModel):
    plan_code: str = Field(max_length=40)


class BalanceIn(BaseModel):
    amount_rub: str = Field(max_length=40, description="roubles: 150, -20.50")
    reason: str = Field(max_length=1000)


class PolicyIn(BaseModel):
    admin_2fa_required: bool


@router.get("/users")
async def users(
    context: PlatformAdmin, session: DbSession, q: str = Query("", max_length=200), limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, Any]]:
    return [asdict(u) for u in await admin_console.search_users(session=session, query=q, limit=limit)]


@router.post("/users/{user_id}/block")
async def block_user(
    user_id: uuid.UUID, body: ReasonIn, context: PlatformAdmin, session: DbSession, client: Client
) -> dict[str, int]:
    ended = await admin_console.block_user(
        session=session, actor=context, user_id=user_id, reason=body.reason, ip=client.ip
    )
    return {"sessions_ended": ended}


@router.post("/users/{user_id}/unblock", status_code=204)
async def unblock_user(user_id: uuid.UUID, context: PlatformAdmin, session: DbSession, client: Client) -> None:
    await admin_console.unblock_user(session=session, actor=context, user_id=user_id, ip=client.ip)


@router.get("/workspaces")
async def workspaces(
    context: PlatformAdmin, session: DbSession, q: str = Query("", max_length=200), limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, Any]]:
    return [asdict(t) for t in await admin_console.search_tenants(session=session, query=q, limit=limit)]


@router.get("/workspaces/{tenant_id}")
async def workspace(tenant_id: uuid.UUID, context: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    return asdict(await admin_console.tenant_detail(session=session, tenant_id=tenant_id))


@router.post("/workspaces/{tenant_id}/block", status_code=204)
async def block_workspace(
    tenant_id: uuid.UUID, body: ReasonIn, context: PlatformAdmin, session: DbSession, client: Client
) -> None:
    await admin_console.block_tenant(
        session=session, actor=context, tenant_id=tenant_id, reason=body.reason, ip=client.ip
    )


@router.post("/workspaces/{tenant_id}/unblock", status_code=204)
async def unblock_workspace(tenant_id: uuid.UUID, context: PlatformAdmin, session: DbSession, client: Client) -> None:
    await admin_console.unblock_tenant(session=session, actor=context, tenant_id=tenant_id, ip=client.ip)


@router.put("/workspaces/{tenant_id}/plan", status_code=204)
async def set_plan(
    tenant_id: uuid.UUID, body: PlanIn, context: PlatformAdmin, session: DbSession, client: Client
) -> None:
    await admin_console.set_plan(
        session=session, actor=context, tenant_id=tenant_id, plan_code=body.plan_code, ip=client.ip
    )


@router.post("/workspaces/{tenant_id}/balance")
async def adjust_balance(
    tenant_id: uuid.UUID, body: BalanceIn, context: PlatformAdmin, session: DbSession, client: Client
) -> dict[str, int]:
    after = await admin_console.adjust_balance(
        session=session,
        actor=context,
        tenant_id=tenant_id,
        amount_rub=body.amount_rub,
        reason=body.reason,
        ip=client.ip,
    )
    return {"balance_minor": after}


@router.get("/security")
async def security_policy(context: PlatformAdmin, session: DbSession) -> dict[str, bool]:
    return {"admin_2fa_required": await two_factor.admin_policy(session=session)}


@router.put("/security")
async def set_security_policy(body: PolicyIn, context: PlatformAdmin, session: DbSession) -> dict[str, bool]:
    await two_factor.set_admin_policy(session=session, required=body.admin_2fa_required, actor=context.user_id)
    return {"admin_2fa_required": body.admin_2fa_required}


@router.get("/outbox")
async def outbox(
    context: PlatformAdmin,
    session: DbSession,
    status: str = Query("", max_length=16),
    q: str = Query("", max_length=200),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    return [asdict(m) for m in await mail.list_outbox(session=session, status=status, query=q, limit=limit)]


@router.get("/db/tables")
async def db_tables(context: PlatformAdmin, session: DbSession) -> list[dict[str, Any]]:
    return [asdict(t) for t in await db_explorer.list_tables(session=session)]


@router.get("/db/tables/{table}")
async def db_rows(
    table: str,
    request: Request,
    context: PlatformAdmin,
    session: DbSession,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Column filters are query parameters `f.<column>=<text>` (case-insensitive "contains")."""
    filters = {k[2:]: v[:200] for k, v in request.query_params.items() if k.startswith("f.")}
    return asdict(
        await db_explorer.rows(session=session, table=table[:64], page=page, page_size=page_size, filters=filters)
    )


@router.get("/logs")
async def logs(
    context: PlatformAdmin,
    session: DbSession,
    level: str = Query("", max_length=10),
    q: str = Query("", max_length=200),
    tenant_id: uuid.UUID | None = None,
    before_id: int | None = Query(None, ge=1),
    limit: int = Query(100, ge=1, le=500),
) -> list[dict[str, Any]]:
    return [
        asdict(r)
        for r in await logbook.recent(
            session=session, level=level, text=q, tenant_id=tenant_id, before_id=before_id, limit=limit
        )
    ]
