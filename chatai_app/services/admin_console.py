"""The platform admins' console: users and workspaces, search, a workspace's picture (owner, plan, balance, usage,
assistants, bots), blocking, plan changes and balance adjustments; every change is in the audit log.

A blocked user cannot sign in and their sessions end at once; a blocked workspace's bots and widget answer every
message with a notice (`blocked_notice`, checked by the engine before anything else)."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import (
    Assistant,
    AuditLog,
    BotInstance,
    Dialog,
    DialogMessage,
    Membership,
    Plan,
    Tenant,
    TenantRole,
    User,
)
from chatai_app.models._base import utcnow
from chatai_app.services import billing, plans
from chatai_app.services.accounts import AuthContext
from chatai_app.services.auth_sessions import revoke_all
from chatai_app.services.errors import NotFound, PermissionDenied, ValidationFailed

log = logging.getLogger(__name__)

BLOCKED_NOTICE = {
    "en": "This assistant is temporarily unavailable: the workspace is suspended. Please contact the company "
    "another way.",
    "ru": "Ассистент временно недоступен: рабочее пространство приостановлено. Пожалуйста, свяжитесь с компанией "
    "другим способом.",
}
MAX_ADJUST_RUB = Decimal("10000000")


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    full_name: str
    platform_role: str
    blocked: bool
    blocked_reason: str
    email_verified: bool
    two_factor: bool
    created_at: str
    last_login_at: str
    workspaces: int


@dataclass(frozen=True)
class TenantRow:
    id: uuid.UUID
    name: str
    owner_email: str
    plan_code: str
    balance_minor: int
    blocked: bool
    blocked_reason: str
    members: int
    created_at: str


@dataclass(frozen=True)
class TenantDetail:
    tenant: TenantRow
    owner_id: uuid.UUID | None
    owner_blocked: bool
    usage: dict[str, int]
    limits: dict[str, object]
    plans: list[str]
    assistants: list[dict[str, object]]
    bots: list[dict[str, object]]
    members: list[dict[str, object]]
    dialogs_total: int
    messages_30d: int
    audit: list[dict[str, object]]


def _iso(value: object) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""  # type: ignore[attr-defined]


def _like(query: str) -> str:
    return "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _audit(
    session: AsyncSession,
    actor: AuthContext,
    action: str,
    target_type: str,
    target_id: object,
    tenant_id: uuid.UUID | None = None,
    ip: str = "",
    **meta: object,
) -> None:
    session.add(
        AuditLog(
            tenant_id=tenant_id,
            actor_user_id=actor.user_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            ip=ip[:64],
            meta=dict(meta),
        )
    )
    log.info("admin %s: %s %s %s", actor.email, action, target_type, target_id, extra={"tenant_id": tenant_id})


async def search_users(*, session: AsyncSession, query: str = "", limit: int = 50) -> list[UserRow]:
    workspaces = select(sa.func.count()).select_from(Membership).where(Membership.user_id == User.id).scalar_subquery()
    stmt = select(User, workspaces).order_by(User.created_at.desc()).limit(min(max(limit, 1), 200))  # type: ignore[attr-defined]
    if query.strip():
        stmt = stmt.where(sa.or_(User.email.ilike(_like(query)), User.full_name.ilike(_like(query))))  # type: ignore[attr-defined]
    return [
        UserRow(
            u.id,
            u.email,
            u.full_name,
            u.platform_role,
            not u.is_active,
            u.blocked_reason,
            u.email_verified_at is not None,
            u.totp_enabled_at is not None,
            _iso(u.created_at),
            _iso(u.last_login_at),
            int(n),
        )
        for u, n in (await session.exec(stmt)).all()
    ]


def _owner_email() -> sa.ScalarSelect:
    return (
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == Tenant.id, Membership.role == TenantRole.owner)
        .limit(1)
        .scalar_subquery()
    )


def _members() -> sa.ScalarSelect:
    return select(sa.func.count()).select_from(Membership).where(Membership.tenant_id == Tenant.id).scalar_subquery()


def _tenant_row(t: Tenant, owner: str | None, members: int) -> TenantRow:
    return TenantRow(
        t.id,
        t.name,
        owner or "",
        t.plan_code,
        t.balance_minor,
        t.blocked_at is not None,
        t.blocked_reason,
        int(members),
        _iso(t.created_at),
    )


async def search_tenants(*, session: AsyncSession, query: str = "", limit: int = 50) -> list[TenantRow]:
    owner = _owner_email()
    stmt = select(Tenant, owner, _members()).order_by(Tenant.created_at.desc()).limit(min(max(limit, 1), 200))  # type: ignore[attr-defined]
    if query.strip():
        stmt = stmt.where(
            sa.or_(
                Tenant.name.ilike(_like(query)),
                Tenant.slug.ilike(_like(query)),  # type: ignore[attr-defined]
                owner.ilike(_like(query)),
            )
        )
    return [_tenant_row(t, o, n) for t, o, n in (await session.exec(stmt)).all()]


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False) -> Tenant:
    tenant = await session.get(Tenant, tenant_id, with_for_update=lock)
    if tenant is None:
        raise NotFound("Workspace not found")
    return tenant


async def tenant_detail(*, session: AsyncSession, tenant_id: uuid.UUID) -> TenantDetail:
    tenant = await _tenant(session, tenant_id)
    members = (
        await session.exec(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant_id)
            .order_by(Membership.created_at)
        )
    ).all()
    owner = next((u for u, role in members if role == TenantRole.owner), None)
    plan = await session.get(Plan, tenant.plan_code)
    assistants = (
        await session.exec(select(Assistant).where(Assistant.tenant_id == tenant_id).order_by(Assistant.created_at))
    ).all()
    bots = (await session.exec(select(BotInstance).where(BotInstance.tenant_id == tenant_id))).all()
    dialogs_total = (
        await session.exec(select(sa.func.count()).select_from(Dialog).where(Dialog.tenant_id == tenant_id))
    ).one()
    since = sa.func.now() - sa.text("interval '30 days'")
    messages_30d = (
        await session.exec(
            select(sa.func.count())
            .select_from(DialogMessage)
            .where(DialogMessage.tenant_id == tenant_id, DialogMessage.created_at >= since)
        )
    ).one()
    audit = (
        await session.exec(
            select(AuditLog).where(AuditLog.tenant_id == tenant_id).order_by(AuditLog.id.desc()).limit(20)
        )
    ).all()  # type: ignore[union-attr]
    all_plans = (await session.exec(select(Plan.code).order_by(Plan.monthly_price_minor))).all()
    return TenantDetail(
        tenant=_tenant_row(tenant, owner.email if owner else "", len(members)),
        owner_id=owner.id if owner else None,
        owner_blocked=bool(owner and not owner.is_active),
        usage=await plans.usage(session=session, tenant_id=tenant_id),
        limits=dict(plan.limits) if plan else {},
        plans=list(all_plans),
        assistants=[
            {
                "id": str(a.id),
                "name": a.name,
                "active": a.is_active,
                "provider": a.provider,
                "created_at": _iso(a.created_at),
            }
            for a in assistants
        ],
        bots=[
            {"id": str(b.id), "username": b.username, "enabled": b.enabled, "status": b.status, "mode": b.mode}
            for b in bots
        ],
        members=[
            {"user_id": str(u.id), "email": u.email, "role": role, "blocked": not u.is_active} for u, role in members
        ],
        dialogs_total=int(dialogs_total),
        messages_30d=int(messages_30d),
        audit=[
            {
                "action": a.action,
                "created_at": _iso(a.created_at),
                "meta": a.meta,
                "actor_user_id": str(a.actor_user_id or ""),
            }
            for a in audit
        ],
    )


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 300:
        raise ValidationFailed({"reason": "Give a reason (3 to 300 characters)"})
    return reason


async def block_user(
    *, session: AsyncSession, actor: AuthContext, user_id: uuid.UUID, reason: str, ip: str = ""
) -> int:
    """The user cannot sign in any more; every session of theirs ends now. Returns how many ended."""
    if user_id == actor.user_id:
        raise PermissionDenied("You cannot block yourself")
    reason = _reason(reason)
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("User not found")
    user.is_active, user.blocked_at, user.blocked_reason = False, utcnow(), reason
    session.add(user)
    ended = await revoke_all(session=session, user_id=user_id)
    _audit(session, actor, "admin.user_blocked", "user", user_id, ip=ip, reason=reason, sessions_ended=ended)
    return ended


async def unblock_user(*, session: AsyncSession, actor: AuthContext, user_id: uuid.UUID, ip: str = "") -> None:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("User not found")
    user.is_active, user.blocked_at, user.blocked_reason = True, None, ""
    session.add(user)
    _audit(session, actor, "admin.user_unblocked", "user", user_id, ip=ip)


async def block_tenant(
    *, session: AsyncSession, actor: AuthContext, tenant_id: uuid.UUID, reason: str, ip: str = ""
) -> None:
    if tenant_id == actor.tenant_id:
        raise PermissionDenied("You cannot block the workspace you are signed in to")
    reason = _reason(reason)
    tenant = await _tenant(session, tenant_id, lock=True)
    tenant.blocked_at, tenant.blocked_reason = utcnow(), reason
    session.add(tenant)
    _audit(session, actor, "admin.workspace_blocked", "tenant", tenant_id, tenant_id, ip, reason=reason)


async def unblock_tenant(*, session: AsyncSession, actor: AuthContext, tenant_id: uuid.UUID, ip: str = "") -> None:
    tenant = await _tenant(session, tenant_id, lock=True)
    tenant.blocked_at, tenant.blocked_reason = None, ""
    session.add(tenant)
    _audit(session, actor, "admin.workspace_unblocked", "tenant", tenant_id, tenant_id, ip)


async def set_plan(
    *, session: AsyncSession, actor: AuthContext, tenant_id: uuid.UUID, plan_code: str, ip: str = ""
) -> None:
    """An admin's plan change: no charge (the workspace's own switch on the Billing page pays for it)."""
    tenant = await _tenant(session, tenant_id)
    before = tenant.plan_code
    await plans.assign_plan(session=session, tenant_id=tenant_id, plan_code=plan_code)
    _audit(session, actor, "admin.plan_changed", "tenant", tenant_id, tenant_id, ip, before=before, after=plan_code)


def parse_roubles(text: str) -> int:
    """'150', '-20.5', '1 000,75' -> minor units (kopecks); at most two decimals."""
    cleaned = re.sub(r"[\s\u00a0₽]", "", text or "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed({"amount": "Enter an amount in roubles, like 150 or -20.50"}) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or value == 0 or abs(value) > MAX_ADJUST_RUB:
        raise ValidationFailed({"amount": "Enter an amount in roubles, like 150 or -20.50"})
    return int(value * 100)


async def adjust_balance(
    *, session: AsyncSession, actor: AuthContext, tenant_id: uuid.UUID, amount_rub: str, reason: str, ip: str = ""
) -> int:
    """Credit (positive) or debit (negative) the workspace in roubles, with a reason; returns the new balance."""
    await _tenant(session, tenant_id)
    amount = parse_roubles(amount_rub)
    entry = await billing.adjust_balance(
        session=session, tenant_id=tenant_id, amount=amount, reason=reason, actor=actor.user_id
    )
    _audit(
        session,
        actor,
        "admin.balance_adjusted",
        "tenant",
        tenant_id,
        tenant_id,
        ip,
        amount_minor=amount,
        reason=reason.strip(),
    )
    return entry.balance_after


async def blocked_notice(*, session: AsyncSession, tenant_id: uuid.UUID, language: str) -> str | None:
    """The notice a blocked workspace's channels answer with, or None when it is not blocked."""
    blocked = (await session.exec(select(Tenant.blocked_at).where(Tenant.id == tenant_id))).first()
    return BLOCKED_NOTICE["ru" if language == "ru" else "en"] if blocked is not None else None
