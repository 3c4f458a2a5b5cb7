"""Password reset and e-mail verification by one-time links.

Reset: 30 minutes, single use, and every session of the account ends after it. Verification: sent at sign-up; the
account works at once, but inviting teammates and topping up need a confirmed address (`require_verified`)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AccountToken, AuditLog, User
from chatai_app.models._base import utcnow
from chatai_app.services import mail, signed_links
from chatai_app.services.accounts import find_user_by_email, password_error
from chatai_app.services.auth_sessions import revoke_all
from chatai_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from chatai_app.services.passwords import hash_password_async
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)

RESET_TTL = timedelta(minutes=30)
VERIFY_TTL = timedelta(days=7)
NOT_VERIFIED = "Confirm your e-mail address first: open the link we sent you (you can send it again on your profile)"


async def _issue(session: AsyncSession, user_id: uuid.UUID, purpose: str, ttl: timedelta) -> str:
    expires = utcnow() + ttl
    row = AccountToken(user_id=user_id, purpose=purpose, token_hash="", expires_at=expires)
    session.add(row)
    await session.flush()
    token = signed_links.make(purpose, row.id, expires)
    row.token_hash = signed_links.digest(token)
    session.add(row)
    return token


async def _consume(session: AsyncSession, token: str, purpose: str, *, spend: bool = True) -> User:
    row = await session.get(AccountToken, signed_links.read(token, purpose), with_for_update=spend)
    if (
        row is None
        or row.purpose != purpose
        or not signed_links.matches(token, row.token_hash)
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        raise signed_links.LinkInvalid()
    user = await session.get(User, row.user_id)
    if user is None:
        raise signed_links.LinkInvalid()
    if spend:
        row.used_at = utcnow()
        session.add(row)
    return user


def _link(path: str, token: str) -> str:
    return f"{get_settings().base_url}{path}?token={token}"


async def send_verification(*, session: AsyncSession, user_id: uuid.UUID, lang: str | None = None) -> bool:
    """E-mail a verification link (False when the address is already confirmed)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    if user.email_verified_at is not None:
        return False
    token = await _issue(session, user.id, "verify_email", VERIFY_TTL)
    await mail.queue(
        session=session,
        to=user.email,
        kind="verify_email",
        lang=lang or user.locale,
        link=_link("/verify-email", token),
    )
    return True


async def verify_email(*, session: AsyncSession, token: str) -> uuid.UUID:
    user = await _consume(session, token, "verify_email")
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    return user.id


async def require_verified(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    user = await session.get(User, user_id)
    if user is None or user.email_verified_at is None:
        raise PermissionDenied(NOT_VERIFIED)


async def request_password_reset(*, session: AsyncSession, email: str, lang: str | None = None) -> None:
    """E-mails a reset link when an active account has this address; the caller answers the same either way."""
    user = await find_user_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    token = await _issue(session, user.id, "password_reset", RESET_TTL)
    await mail.queue(
        session=session,
        to=user.email,
        kind="password_reset",
        lang=lang or user.locale,
        link=_link("/reset-password", token),
        minutes=int(RESET_TTL.total_seconds() // 60),
    )


async def reset_link_email(*, session: AsyncSession, token: str) -> str:
    """Whose password a reset link would set (the page shows it); refuses a spent or expired link."""
    return (await _consume(session, token, "password_reset", spend=False)).email


async def reset_password(*, session: AsyncSession, token: str, new_password: str, ip: str = "") -> uuid.UUID:
    user = await _consume(session, token, "password_reset")
    if not user.is_active:
        raise signed_links.LinkInvalid()
    if error := password_error(new_password, user.email, *user.full_name.split()):
        raise ValidationFailed({"password": error})
    user.password_hash = await hash_password_async(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
    session.add(user)
    await session.exec(  # every other reset link of the account is void too
        sa.update(AccountToken)
        .where(
            AccountToken.user_id == user.id, AccountToken.purpose == "password_reset", AccountToken.used_at.is_(None)
        )  # type: ignore[union-attr]
        .values(used_at=utcnow())
    )
    ended = await revoke_all(session=session, user_id=user.id)
    session.add(
        AuditLog(
            actor_user_id=user.id,
            action="security.password_reset",
            target_type="user",
            target_id=str(user.id),
            ip=ip[:64],
            meta={"sessions_ended": ended},
        )
    )
    log.info("password reset for user %s; %s sessions ended", user.id, ended)
    return user.id
