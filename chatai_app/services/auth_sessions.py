"""Browser sessions and API refresh tokens, with rotation and reuse detection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuthSession, Tenant, User
from chatai_app.models._base import utcnow
from chatai_app.services.accounts import AuthContext, context_of, context_query, load_context
from chatai_app.services.errors import AuthenticationRequired, NotFound
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


_LIVE_CONTEXT = (  # built once: every API request runs it (issue 16)
    context_query(user_id=sa.bindparam("user_id"), tenant_id=sa.bindparam("tenant_id"))
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.id == sa.bindparam("session_id"), AuthSession.tenant_id == Tenant.id,
           AuthSession.revoked_at.is_(None), AuthSession.expires_at > sa.bindparam("now"))
)  # fmt: skip


async def context_for_access(*, session: AsyncSession, claims: AccessClaims) -> AuthContext:
    """The context behind an access token: its session must be live and belong to the token's user and tenant
    (a token signed for someone else's id over one's own session is refused). One statement for a live session
    and its context (every API request makes it); the two steps again only to tell why a token is refused."""
    params = {"user_id": claims.user_id, "tenant_id": claims.tenant_id, "session_id": claims.session_id,
              "now": utcnow()}  # fmt: skip
    if claims.tenant_id is not None and (found := (await session.exec(_LIVE_CONTEXT, params=params)).first()):
        return await context_of(session=session, row=found)
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


# --- issue 14: a user's session list, "sign out everywhere", and ending sessions on reset/removal/blocking ---


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    kind: str
    created_at: str
    expires_at: str
    user_agent: str
    ip: str
    tenant_id: uuid.UUID
    current: bool


def session_id_of_token(token: str) -> str:
    """The hash a live token is stored under (to mark "this session" in a list)."""
    return hash_opaque_token(token or "")


async def list_sessions(*, session: AsyncSession, user_id: uuid.UUID, current_token: str = "") -> list[SessionInfo]:
    """The user's live sign-ins, newest first; refresh-token rotations count as one (their family)."""
    stmt = (
        select(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow())  # type: ignore[union-attr]
        .order_by(AuthSession.created_at.desc())  # type: ignore[attr-defined]
    )
    current = hash_opaque_token(current_token) if current_token else ""
    rows = (await session.exec(stmt)).all()
    return [_info(row, current) for row in rows]


def _info(row: AuthSession, current: str) -> SessionInfo:
    created, expires = row.created_at.isoformat(timespec="seconds"), row.expires_at.isoformat(timespec="seconds")
    is_current = bool(current) and row.token_hash == current
    return SessionInfo(row.id, row.kind, created, expires, row.user_agent, row.ip, row.tenant_id, is_current)


async def revoke_user_session(*, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    row = await session.get(AuthSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound("Session not found")
    await revoke_family(session=session, family_id=row.family_id)


async def revoke_all(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID | None = None,
    keep_token: str = "",
    keep_session_id: uuid.UUID | None = None,
) -> int:
    """End every live session of a user (in one workspace, when given), except the caller's own (`keep_token` of a
    browser, `keep_session_id` of an API login)."""
    stmt = sa.update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if tenant_id is not None:
        stmt = stmt.where(AuthSession.tenant_id == tenant_id)
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != hash_opaque_token(keep_token))
    if keep_session_id is not None:
        stmt = stmt.where(AuthSession.id != keep_session_id)
    result = await session.exec(stmt.values(revoked_at=utcnow()))  # type: ignore[call-overload]
    return int(result.rowcount or 0)
