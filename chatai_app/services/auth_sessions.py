"""Browser sessions and API refresh tokens, with rotation and reuse detection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuthSession
from chatai_app.models._base import utcnow
from chatai_app.services.accounts import AuthContext, load_context
from chatai_app.services.errors import AuthenticationRequired
from chatai_app.services.tokens import AccessClaims, hash_opaque_token, issue_access_token, new_opaque_token


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class OpenedSession:
    token: str
    session_id: uuid.UUID
    context: AuthContext


async def open_session(
    *,
    session: AsyncSession,
    context: AuthContext,
    kind: str,
    ttl_s: int,
    user_agent: str = "",
    ip: str = "",
    family_id: uuid.UUID | None = None,
) -> OpenedSession:
    token = new_opaque_token()
    row = AuthSession(
        user_id=context.user_id,
        tenant_id=context.tenant_id,
        token_hash=hash_opaque_token(token),
        family_id=family_id or uuid.uuid4(),
        kind=kind,
        expires_at=utcnow() + timedelta(seconds=ttl_s),
        user_agent=user_agent[:400],
        ip=ip[:64],
    )
    session.add(row)
    await session.flush()
    return OpenedSession(token=token, session_id=row.id, context=context)


async def _find(session: AsyncSession, token: str, kind: str) -> AuthSession | None:
    stmt = select(AuthSession).where(AuthSession.token_hash == hash_opaque_token(token or ""), AuthSession.kind == kind)
    return (await session.exec(stmt)).first()


def _is_live(row: AuthSession) -> bool:
    return row.revoked_at is None and row.expires_at > utcnow()


async def resolve_session(*, session: AsyncSession, token: str, kind: str = "web") -> AuthContext:
    """The context behind a live session token; raises AuthenticationRequired otherwise."""
    row = await _find(session, token, kind)
    if row is None or not _is_live(row):
        raise AuthenticationRequired("Your session has ended; please sign in again")
    return await load_context(session=session, user_id=row.user_id, tenant_id=row.tenant_id)


async def context_for_access(*, session: AsyncSession, claims: AccessClaims) -> AuthContext:
    """The context behind an access token: its session must be live and belong to the token's user and tenant
    (a token signed for someone else's id over one's own session is refused)."""
    row = await session.get(AuthSession, claims.session_id)
    if row is None or not _is_live(row) or (row.user_id, row.tenant_id) != (claims.user_id, claims.tenant_id):
        raise AuthenticationRequired("This login was signed out")
    return await load_context(session=session, user_id=row.user_id, tenant_id=row.tenant_id)


async def revoke_session(*, session: AsyncSession, token: str, kind: str) -> None:
    row = await _find(session, token, kind)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)


async def revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.exec(
        sa.update(AuthSession)
        .where(AuthSession.family_id == family_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def issue_tokens(opened: OpenedSession, *, secret_key: str, access_ttl_s: int) -> TokenPair:
    claims = AccessClaims(opened.context.user_id, opened.context.tenant_id, opened.session_id)
    access = issue_access_token(claims, secret_key=secret_key, ttl_s=access_ttl_s)
    return TokenPair(access_token=access, refresh_token=opened.token, expires_in=access_ttl_s)


async def rotate_refresh_token(*, session: AsyncSession, token: str, ttl_s: int) -> OpenedSession:
    """Swap a refresh token for a new one. Presenting a spent token revokes its whole family."""
    row = await _find(session, token, "api")
    if row is None:
        raise AuthenticationRequired("Refresh token is not valid")
    if row.revoked_at is not None:
        await revoke_family(session=session, family_id=row.family_id)
        await session.commit()  # the revocation must outlive the error we raise next
        raise AuthenticationRequired("Refresh token was already used; all sessions of this login are revoked")
    if row.expires_at <= utcnow():
        raise AuthenticationRequired("Refresh token has expired")
    context = await load_context(session=session, user_id=row.user_id, tenant_id=row.tenant_id)
    opened = await open_session(session=session, context=context, kind="api", ttl_s=ttl_s, family_id=row.family_id)
    row.revoked_at, row.replaced_by_id = utcnow(), opened.session_id
    session.add(row)
    return opened
