"""The workspace's team: members and their roles, invitations by e-mail, removing members.

Rules: the owner manages everyone but themselves; workspace admins manage operators only; nobody changes or
removes the owner. An invitation is a signed link that works once and expires in 7 days; resending makes a new
link (the old one stops working); the invitee sets a password, or joins with their existing account. A removed
member's sessions in the workspace end at once; a changed role takes effect on their next click (roles are read
from the database on every request)."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, AuditLog, Invitation, Membership, Tenant, TenantRole, User
from chatai_app.models._base import utcnow
from chatai_app.services import mail, signed_links, two_factor
from chatai_app.services.account_links import require_verified
from chatai_app.services.accounts import (
    AuthContext,
    _email_error,
    _text_error,
    find_user_by_email,
    load_context,
    normalize_email,
    password_error,
)
from chatai_app.services.auth_sessions import revoke_all
from chatai_app.services.errors import Conflict, InvalidCredentials, NotFound, PermissionDenied, ValidationFailed
from chatai_app.services.passwords import hash_password_async, verify_password_async
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)
MAX_SENDS = 10
INVITABLE_ROLES = (TenantRole.admin, TenantRole.operator)


@dataclass(frozen=True)
class MemberOut:
    user_id: uuid.UUID
    email: str
    full_name: str
    role: str
    joined_at: str
    last_login_at: str
    two_factor: bool
    email_verified: bool
    blocked: bool
    # an operator's assistants (ids as text); None: all of them (owners and admins always see all)
    assistant_ids: list[str] | None = None


@dataclass(frozen=True)
class InviteOut:
    id: uuid.UUID
    email: str
    role: str
    created_at: str
    expires_at: str
    last_sent_at: str
    sent_count: int
    expired: bool


@dataclass(frozen=True)
class InvitePreview:
    email: str
    role: str
    workspace: str
    inviter: str
    has_account: bool


@dataclass(frozen=True)
class Team:
    members: list[MemberOut]
    invites: list[InviteOut]
    assistants: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # the workspace's (id, name)


def _iso(value: object) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""  # type: ignore[attr-defined]


def _may_manage(actor: AuthContext, role: str) -> bool:
    """Whether the actor may grant, change or remove `role`."""
    if role == TenantRole.owner:
        return False
    return actor.role == TenantRole.owner or (actor.role == TenantRole.admin and role == TenantRole.operator)


def _check_role(actor: AuthContext, role: str) -> None:
    if role not in INVITABLE_ROLES:
        raise ValidationFailed({"role": "Choose admin or operator"})
    if not _may_manage(actor, role):
        raise PermissionDenied("Only the workspace owner can grant or change the admin role")


def _audit(
    session: AsyncSession,
    actor: AuthContext,
    action: str,
    target_type: str,
    target_id: object,
    ip: str = "",
    **meta: object,
) -> None:
    session.add(
        AuditLog(
            tenant_id=actor.tenant_id,
            actor_user_id=actor.user_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            ip=ip[:64],
            meta=dict(meta),
        )
    )
    log.info(
        "team: %s %s %s by %s", action, target_type, target_id, actor.user_id, extra={"tenant_id": actor.tenant_id}
    )


async def team(*, session: AsyncSession, tenant_id: uuid.UUID) -> Team:
    members = (
        await session.exec(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant_id)
            .order_by(Membership.created_at)
        )
    ).all()
    invites = (
        await session.exec(
            select(Invitation)
            .where(
                Invitation.tenant_id == tenant_id,
                Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())  # type: ignore[union-attr,attr-defined]
        )
    ).all()
    now = utcnow()
    return Team(
        [
            MemberOut(
                u.id,
                u.email,
                u.full_name,
                m.role,
                _iso(m.created_at),
                _iso(u.last_login_at),
                u.totp_enabled_at is not None,
                u.email_verified_at is not None,
                not u.is_active,
                [str(a) for a in m.assistant_ids] if m.assistant_ids is not None else None,
            )
            for u, m in members
        ],
        [
            InviteOut(
                i.id,
                i.email,
                i.role,
                _iso(i.created_at),
                _iso(i.expires_at),
                _iso(i.last_sent_at),
                i.sent_count,
                i.expires_at <= now,
            )
            for i in invites
        ],
        [(str(a_id), name) for a_id, name in await _assistants_of(session, tenant_id)],
    )


async def _assistants_of(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    stmt = select(Assistant.id, Assistant.name).where(Assistant.tenant_id == tenant_id).order_by(Assistant.name)
    return [(a_id, name) for a_id, name in (await session.exec(stmt)).all()]


async def set_assistants(
    *,
    session: AsyncSession,
    actor: AuthContext,
    user_id: uuid.UUID,
    assistant_ids: list[uuid.UUID] | None,
    ip: str = "",
) -> None:
    """Which assistants' dialogs an operator works on: None is all of them (the default). Only operators are
    restricted (owners and admins always see every assistant); the ids must be this workspace's assistants.
    Takes effect on the operator's next click (the context is read on every request)."""
    membership = await _member(session, actor, user_id)
    if membership.role != TenantRole.operator:
        raise ValidationFailed({"assistants": "Owners and admins always see every assistant"})
    chosen = None if assistant_ids is None else sorted(set(assistant_ids))
    if chosen is not None:
        known = {a_id for a_id, _ in await _assistants_of(session, actor.tenant_id)}
        if not chosen or not set(chosen) <= known:
            raise ValidationFailed({"assistants": "Choose at least one of this workspace's assistants"})
    before = membership.assistant_ids
    membership.assistant_ids = chosen
    session.add(membership)
    _audit(session, actor, "team.assistants_changed", "user", user_id, ip,
           before=[str(a) for a in before] if before is not None else "all",
           after=[str(a) for a in chosen] if chosen is not None else "all")  # fmt: skip


def _link(token: str) -> str:
    return f"{get_settings().base_url}/accept-invite?token={token}"


async def _send(session: AsyncSession, invite: Invitation, actor: AuthContext, lang: str) -> str:
    """A fresh signed link for the invitation (any earlier link stops working) and the e-mail carrying it."""
    invite.expires_at = utcnow() + INVITE_TTL
    token = signed_links.make("invite", invite.id, invite.expires_at)
    invite.token_hash, invite.last_sent_at = signed_links.digest(token), utcnow()
    session.add(invite)
    tenant = await session.get(Tenant, invite.tenant_id)
    await mail.queue(
        session=session,
        to=invite.email,
        kind="invite",
        lang=lang,
        tenant_id=invite.tenant_id,
        inviter=actor.full_name or actor.email,
        workspace=tenant.name if tenant else "",
        role=invite.role,
        link=_link(token),
        hours=int(INVITE_TTL.total_seconds() // 3600),
    )
    return token


async def invite(
    *, session: AsyncSession, actor: AuthContext, email: str, role: str, lang: str = "en", ip: str = ""
) -> InviteOut:
    await require_verified(session=session, user_id=actor.user_id)
    email = normalize_email(email)
    if error := _email_error(email):
        raise ValidationFailed({"email": error})
    _check_role(actor, role)
    existing = await find_user_by_email(session=session, email=email)
    if (
        existing is not None
        and (
            await session.exec(
                select(Membership.id).where(Membership.tenant_id == actor.tenant_id, Membership.user_id == existing.id)
            )
        ).first()
    ):
        raise Conflict("This person is already in the workspace")
    waiting = (
        await session.exec(
            select(Invitation.id).where(
                Invitation.tenant_id == actor.tenant_id,
                sa.func.lower(Invitation.email) == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )
    ).first()  # type: ignore[union-attr]
    if waiting is not None:
        raise Conflict("An invitation to this address is already waiting; resend it instead")
    row = Invitation(
        tenant_id=actor.tenant_id,
        email=email,
        role=role,
        token_hash="",
        invited_by_id=actor.user_id,
        expires_at=utcnow() + INVITE_TTL,
    )
    session.add(row)
    await session.flush()
    await _send(session, row, actor, lang)
    _audit(session, actor, "team.invited", "invitation", row.id, ip, email=email, role=role)
    await session.flush()
    return await _invite_out(session, actor.tenant_id, row.id)


async def _invite_out(session: AsyncSession, tenant_id: uuid.UUID, invite_id: uuid.UUID) -> InviteOut:
    for item in (await team(session=session, tenant_id=tenant_id)).invites:
        if item.id == invite_id:
            return item
    raise NotFound("Invitation not found")


async def _pending(session: AsyncSession, actor: AuthContext, invite_id: uuid.UUID) -> Invitation:
    row = await session.get(Invitation, invite_id, with_for_update=True)
    if row is None or row.tenant_id != actor.tenant_id or row.accepted_at or row.revoked_at:
        raise NotFound("Invitation not found")
    if not _may_manage(actor, row.role):
        raise PermissionDenied("Only the workspace owner can grant or change the admin role")
    return row


async def resend(
    *, session: AsyncSession, actor: AuthContext, invite_id: uuid.UUID, lang: str = "en", ip: str = ""
) -> InviteOut:
    row = await _pending(session, actor, invite_id)
    await require_verified(session=session, user_id=actor.user_id)
    if row.sent_count >= MAX_SENDS:
        raise Conflict(f"This invitation was sent {MAX_SENDS} times; revoke it and invite again")
    row.sent_count += 1
    await _send(session, row, actor, lang)
    _audit(session, actor, "team.invite_resent", "invitation", row.id, ip, email=row.email)
    await session.flush()
    return await _invite_out(session, actor.tenant_id, row.id)


async def revoke(*, session: AsyncSession, actor: AuthContext, invite_id: uuid.UUID, ip: str = "") -> None:
    row = await _pending(session, actor, invite_id)
    row.revoked_at = utcnow()
    session.add(row)
    _audit(session, actor, "team.invite_revoked", "invitation", row.id, ip, email=row.email)


async def _member(session: AsyncSession, actor: AuthContext, user_id: uuid.UUID) -> Membership:
    membership = (
        await session.exec(
            select(Membership)
            .where(Membership.tenant_id == actor.tenant_id, Membership.user_id == user_id)
            .with_for_update()
        )
    ).first()
    if membership is None:
        raise NotFound("Member not found")
    if user_id == actor.user_id:
        raise PermissionDenied("You cannot change your own role or remove yourself")
    if not _may_manage(actor, membership.role):
        raise PermissionDenied(
            "Nobody can change or remove the workspace owner"
            if membership.role == TenantRole.owner
            else "Only the workspace owner can grant or change the admin role"
        )
    return membership


async def change_role(
    *, session: AsyncSession, actor: AuthContext, user_id: uuid.UUID, role: str, ip: str = ""
) -> None:
    membership = await _member(session, actor, user_id)
    _check_role(actor, role)
    before, membership.role = membership.role, role
    if role != TenantRole.operator:
        membership.assistant_ids = None  # admins see every assistant; a later demotion starts from "all"
    session.add(membership)
    _audit(session, actor, "team.role_changed", "user", user_id, ip, before=before, after=role)


async def remove(*, session: AsyncSession, actor: AuthContext, user_id: uuid.UUID, ip: str = "") -> int:
    """Remove a member; their sessions in this workspace end at once. Returns how many sessions ended."""
    membership = await _member(session, actor, user_id)
    await session.delete(membership)
    ended = await revoke_all(session=session, user_id=user_id, tenant_id=actor.tenant_id)
    _audit(session, actor, "team.member_removed", "user", user_id, ip, role=membership.role, sessions_ended=ended)
    return ended


async def _invitation_of(session: AsyncSession, token: str, *, lock: bool) -> Invitation:
    row = await session.get(Invitation, signed_links.read(token, "invite"), with_for_update=lock)
    if (
        row is None
        or not signed_links.matches(token, row.token_hash)
        or row.accepted_at
        or row.revoked_at
        or row.expires_at <= utcnow()
    ):
        raise signed_links.LinkInvalid("This invitation link is invalid, expired or already used; ask for a new one")
    return row


async def preview(*, session: AsyncSession, token: str) -> InvitePreview:
    """What the invitation page shows before accepting (nothing is spent)."""
    row = await _invitation_of(session, token, lock=False)
    tenant = await session.get(Tenant, row.tenant_id)
    inviter = await session.get(User, row.invited_by_id) if row.invited_by_id else None
    return InvitePreview(
        row.email,
        row.role,
        tenant.name if tenant else "",
        (inviter.full_name or inviter.email) if inviter else "",
        await find_user_by_email(session=session, email=row.email) is not None,
    )


async def accept(
    *, session: AsyncSession, token: str, password: str, full_name: str = "", code: str = "", locale: str = "en"
) -> AuthContext:
    """Join the workspace: a new account with this password, or the invitee's existing account (its password,
    and its two-factor code when on). The link is spent; the new account's address counts as confirmed."""
    row = await _invitation_of(session, token, lock=True)
    user = await find_user_by_email(session=session, email=row.email)
    if user is None:
        errors = {
            "password": password_error(password, row.email, *(full_name or "").split()),
            "full_name": _text_error(full_name, 200),
        }
        if failed := {k: v for k, v in errors.items() if v}:
            raise ValidationFailed(failed)
        user = User(
            email=row.email,
            password_hash=await hash_password_async(password),
            full_name=full_name.strip(),
            locale=locale if locale in ("en", "ru") else "en",
            email_verified_at=utcnow(),
        )
        session.add(user)
        await session.flush()
    else:
        if not await verify_password_async(user.password_hash, password or ""):
            raise InvalidCredentials()
        if not user.is_active:
            raise PermissionDenied("This account is blocked; contact support")
        if (
            user.totp_enabled_at is not None
            and await two_factor.check_code(session=session, user=user, code=code) is None
        ):
            raise ValidationFailed({"code": "Enter the 6-digit code from your authenticator app"})
        user.email_verified_at = user.email_verified_at or utcnow()
        session.add(user)
    already = (
        await session.exec(
            select(Membership).where(Membership.tenant_id == row.tenant_id, Membership.user_id == user.id)
        )
    ).first()
    if already is None:
        session.add(Membership(tenant_id=row.tenant_id, user_id=user.id, role=row.role))
    row.accepted_at, row.accepted_user_id = utcnow(), user.id
    session.add(row)
    session.add(
        AuditLog(
            tenant_id=row.tenant_id,
            actor_user_id=user.id,
            action="team.invite_accepted",
            target_type="invitation",
            target_id=str(row.id),
            meta={"role": row.role},
        )
    )
    await session.flush()
    return await load_context(session=session, user_id=user.id, tenant_id=row.tenant_id)
