"""Rate-limited sign-in and sign-up shared by the web UI and the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import User
from chatai_app.services import account_links, system_settings, two_factor
from chatai_app.services.accounts import (
    AuthContext,
    authenticate,
    find_user_by_email,
    load_context,
    normalize_email,
    sign_up,
)
from chatai_app.services.auth_sessions import OpenedSession, open_session
from chatai_app.services.errors import InvalidCredentials, ValidationFailed
from chatai_app.services.ratelimit import RateLimiter, build_rate_limiter, enforce_each
from chatai_app.settings import get_settings


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from; the adapter fills it from the connection."""

    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class AuthPolicy:
    limiter: RateLimiter
    per_minute: int
    session_ttl_s: int


@lru_cache
def default_policy() -> AuthPolicy:
    """Rate limits and session lifetime from settings: browser sessions last as long as refresh tokens."""
    settings = get_settings()
    return AuthPolicy(
        limiter=build_rate_limiter(settings.redis_url),
        per_minute=settings.auth_rate_limit_per_minute,
        session_ttl_s=settings.refresh_token_ttl_s,
    )


async def _limit(policy: AuthPolicy, action: str, client: ClientInfo, email: str) -> None:
    """Per (IP, account) and, more loosely, per IP: guessing from one place is slowed down, but nobody can
    lock an account's owner out by failing logins from elsewhere (there is no per-account-only limit)."""
    limits = {
        f"{action}:ipacct:{client.ip}:{normalize_email(email)}": policy.per_minute,
        f"{action}:ip:{client.ip}": policy.per_minute * (3 if action == "login" else 1),
    }
    await enforce_each(policy.limiter, limits)


async def _open(
    session: AsyncSession, policy: AuthPolicy, context: AuthContext, client: ClientInfo, kind: str
) -> OpenedSession:
    return await open_session(
        session=session, context=context, kind=kind, ttl_s=policy.session_ttl_s,
        user_agent=client.user_agent, ip=client.ip,
    )  # fmt: skip


async def sign_in(
    *, session: AsyncSession, policy: AuthPolicy, email: str, password: str, client: ClientInfo, kind: str
) -> OpenedSession:
    await _limit(policy, "login", client, email)
    context = await authenticate(session=session, email=email, password=password)
    if context.two_factor:  # the password was right: the second step names the user for a few minutes
        raise two_factor.TwoFactorRequired(two_factor.challenge_for(context.user_id))
    return await _open(session, policy, context, client, kind)


async def complete_sign_in(
    *, session: AsyncSession, policy: AuthPolicy, challenge: str, code: str, client: ClientInfo, kind: str
) -> OpenedSession:
    """The second step: a TOTP code (or a recovery code) for the user the challenge names."""
    user_id = two_factor.user_of_challenge(challenge)
    await _limit(policy, "2fa", client, str(user_id))
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.totp_enabled_at is None:
        raise InvalidCredentials()
    if await two_factor.check_code(session=session, user=user, code=code) is None:
        raise ValidationFailed({"code": two_factor.WRONG_CODE})
    return await _open(session, policy, await load_context(session=session, user_id=user_id), client, kind)


async def register(
    *,
    session: AsyncSession,
    policy: AuthPolicy,
    email: str,
    password: str,
    full_name: str,
    workspace_name: str,
    locale: str,
    client: ClientInfo,
    kind: str,
) -> OpenedSession:
    await _limit(policy, "signup", client, email)
    is_new = await find_user_by_email(session=session, email=email) is None
    if is_new:  # an admin may close public sign-up (System settings)
        await system_settings.require_feature(session=session, name="features.signup_open")
    context = await sign_up(
        session=session, email=email, password=password, full_name=full_name,
        workspace_name=workspace_name, locale=locale,
    )  # fmt: skip
    if is_new:  # the account works at once; the link confirms the address
        await account_links.send_verification(session=session, user_id=context.user_id, lang=locale)
    elif context.two_factor:  # signing up again with one's own password is a sign-in: same second step
        raise two_factor.TwoFactorRequired(two_factor.challenge_for(context.user_id))
    return await _open(session, policy, context, client, kind)


async def request_password_reset(*, session: AsyncSession, policy: AuthPolicy, email: str, client: ClientInfo,
                                 lang: str | None = None) -> None:  # fmt: skip
    """Rate limited like sign-in; the same answer whether or not the address has an account."""
    await _limit(policy, "reset", client, email)
    await account_links.request_password_reset(session=session, email=email, lang=lang)
