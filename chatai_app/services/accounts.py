"""Sign-up, sign-in, profiles and platform admins."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from chatai_app.models import Membership, PlatformRole, Tenant, TenantRole, User
from chatai_app.models._base import utcnow
from chatai_app.services.assistant_scope import AssistantScope, of_membership
from chatai_app.services.billing import grant_welcome_bonus
from chatai_app.services.errors import Conflict, InvalidCredentials, NotFound, PermissionDenied, ValidationFailed
from chatai_app.services.passwords import hash_password_async, needs_rehash, verify_password_async
from chatai_app.services.settings_store import get_setting

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
LOCALES = ("en", "ru")


@dataclass(frozen=True)
class AuthContext:
    """Who is acting and in which tenant; built on the backend only."""

    user_id: uuid.UUID
    email: str
    full_name: str
    platform_role: str
    locale: str
    tenant_id: uuid.UUID
    tenant_name: str
    role: str
    email_verified: bool = True
    two_factor: bool = False
    # a platform admin while the platform requires two-factor and they have not turned it on: no admin powers
    admin_needs_two_factor: bool = False
    # the assistants whose dialogs an operator works on; None: every assistant (services/assistant_scope.py)
    assistants: AssistantScope = None

    @property
    def is_admin(self) -> bool:
        return self.platform_role == PlatformRole.admin and not self.admin_needs_two_factor


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_error(email: str) -> str | None:
    if not email:
        return "Enter your email"
    if len(email) > 254 or not EMAIL_RE.match(email) or any(ord(c) < 32 for c in email):
        return "Enter a valid email address, like name@example.com"
    return None


ACCOUNT_BLOCKED = "This account is blocked; contact support"
ADMIN_2FA_POLICY = "security.admin_2fa_required"
SIGN_UP_REFUSED = "We could not create an account with these details; if you have one, sign in or reset your password"
WEAK_PASSWORD = "This password is too easy to guess (a common password, a name or a simple pattern); add a few words"
PASSWORD_MIN_SCORE = 2  # zxcvbn: "somewhat guessable" and up, i.e. more than ~10^6 guesses


def password_error(password: str, *related: str) -> str | None:
    """Length, then a strength estimate (zxcvbn: common passwords, keyboard patterns, repeats, the user's
    own e-mail and name)."""
    if len(password or "") < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters"
    from zxcvbn import zxcvbn  # its word lists take ~13 MB: loaded where passwords are set, not in the bot fleet

    if zxcvbn(password, user_inputs=[r for r in related if r])["score"] < PASSWORD_MIN_SCORE:
        return WEAK_PASSWORD
    return None


def _text_error(value: str, limit: int) -> str | None:
    if len(value or "") > limit:
        return f"Use at most {limit} characters"
    if any(ord(c) < 32 and c not in "\t\n" for c in value or ""):
        return "Remove control characters"
    return None


def validate_sign_up(email: str, password: str, full_name: str, workspace_name: str) -> None:
    errors = {
        "email": _email_error(normalize_email(email)),
        "password": password_error(password, normalize_email(email), *(full_name or "").split()),
        "full_name": _text_error(full_name, 200),
        "workspace_name": _text_error(workspace_name, 200),
    }
    if failed := {k: v for k, v in errors.items() if v}:
        raise ValidationFailed(failed)


async def find_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(sa.func.lower(User.email) == normalize_email(email))
    return (await session.exec(stmt)).first()


async def owned_tenant(*, session: AsyncSession, email: str) -> uuid.UUID:
    """The workspace owned by the account with this email (admins address workspaces by their owner)."""
    user = await find_user_by_email(session=session, email=email)
    stmt = select(Membership.tenant_id).where(Membership.user_id == (user.id if user else None),
                                              Membership.role == TenantRole.owner)  # fmt: skip
    tenant_id = (await session.exec(stmt)).first() if user else None
    if tenant_id is None:
        raise NotFound(f"No workspace is owned by {email}")
    return tenant_id


def _slugify(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "workspace"
    return f"{base}-{secrets.token_hex(3)}"


async def sign_up(
    *,
    session: AsyncSession,
    email: str,
    password: str,
    full_name: str = "",
    workspace_name: str = "",
    locale: str = "en",
) -> AuthContext:
    """Create a user, their workspace (tenant) and make them its owner."""
    validate_sign_up(email, password, full_name, workspace_name)
    email = normalize_email(email)
    if await find_user_by_email(session=session, email=email):
        # Signing up again with one's own password just signs in; otherwise one neutral answer.
        try:
            return await authenticate(session=session, email=email, password=password)
        except InvalidCredentials:
            raise ValidationFailed({"email": SIGN_UP_REFUSED}) from None
    user = User(
        email=email,
        password_hash=await hash_password_async(password),
        full_name=full_name.strip(),
        locale=locale if locale in LOCALES else "en",
    )
    tenant_name = workspace_name.strip() or f"{full_name.strip() or email.split('@')[0]}'s workspace"
    tenant = Tenant(name=tenant_name, slug=_slugify(tenant_name))
    session.add_all([user, tenant])
    await session.flush()
    session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=TenantRole.owner))
    await session.flush()
    await grant_welcome_bonus(session=session, tenant_id=tenant.id)
    return _context(user, tenant, TenantRole.owner)


async def add_operator(
    *, session: AsyncSession, tenant_id: uuid.UUID, email: str, password: str, full_name: str = ""
) -> uuid.UUID:
    """An operator account in the owner's workspace: it sees the inbox and dialogs of this tenant only."""
    validate_sign_up(email, password, full_name, "")
    email = normalize_email(email)
    if await find_user_by_email(session=session, email=email):
        raise ValidationFailed({"email": "An account with this email already exists"})
    user = User(email=email, password_hash=await hash_password_async(password), full_name=full_name.strip())
    session.add(user)
    await session.flush()
    session.add(Membership(tenant_id=tenant_id, user_id=user.id, role=TenantRole.operator))
    await session.flush()
    return user.id


async def authenticate(*, session: AsyncSession, email: str, password: str) -> AuthContext:
    """Same error, and the same argon2 cost, for an unknown email and a wrong password."""
    if "\x00" in (email or "") + (password or ""):
        raise InvalidCredentials()
    user = await find_user_by_email(session=session, email=email)
    if not await verify_password_async(user.password_hash if user else None, password or "") or not user:
        raise InvalidCredentials()
    if not user.is_active:  # only someone who knows the password learns that the account is blocked
        raise PermissionDenied(ACCOUNT_BLOCKED)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
    user.last_login_at = utcnow()
    session.add(user)
    return await load_context(session=session, user_id=user.id)


def context_query(
    *, user_id: uuid.UUID | sa.BindParameter[Any], tenant_id: uuid.UUID | sa.BindParameter[Any] | None = None
) -> Select[tuple[User, Tenant, Membership]]:
    """User, workspace and membership of an active user in `tenant_id` (or their first workspace)."""
    stmt = (
        select(User, Tenant, Membership)
        .join(Membership, Membership.user_id == User.id)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(User.id == user_id, User.is_active)
        .order_by(Membership.created_at)
    )
    return stmt if tenant_id is None else stmt.where(Tenant.id == tenant_id)


async def context_of(*, session: AsyncSession, row: tuple[User, Tenant, Membership]) -> AuthContext:
    """The context of a row of `context_query`."""
    user, tenant, membership = row
    pending = False
    if user.platform_role == PlatformRole.admin and user.totp_enabled_at is None:
        pending = bool(await get_setting(session=session, key=ADMIN_2FA_POLICY))
    scope = of_membership(membership.role, membership.assistant_ids)
    return _context(user, tenant, membership.role, admin_needs_two_factor=pending, assistants=scope)


async def load_context(*, session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID | None = None) -> AuthContext:
    """The user's context in `tenant_id` (or their first workspace); checks membership."""
    row = (await session.exec(context_query(user_id=user_id, tenant_id=tenant_id))).first()
    if row is None:
        raise PermissionDenied("No access to this workspace")
    return await context_of(session=session, row=row)


def _context(
    user: User, tenant: Tenant, role: str, *, admin_needs_two_factor: bool = False, assistants: AssistantScope = None
) -> AuthContext:
    return AuthContext(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        platform_role=user.platform_role,
        locale=user.locale,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        role=role,
        email_verified=user.email_verified_at is not None,
        two_factor=user.totp_enabled_at is not None,
        admin_needs_two_factor=admin_needs_two_factor,
        assistants=assistants,
    )


async def update_profile(*, session: AsyncSession, user_id: uuid.UUID, full_name: str, locale: str) -> None:
    if len(full_name or "") > 200:
        raise ValidationFailed({"full_name": "Use at most 200 characters"})
    if locale not in LOCALES:
        raise ValidationFailed({"locale": "Choose English or Russian"})
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    user.full_name, user.locale = full_name.strip(), locale
    session.add(user)


async def change_password(*, session: AsyncSession, user_id: uuid.UUID, current: str, new: str) -> None:
    user = await session.get(User, user_id)
    if user is None or not await verify_password_async(user.password_hash, current or ""):
        raise ValidationFailed({"current_password": "The current password is not correct"})
    if error := password_error(new, user.email, *user.full_name.split()):
        raise ValidationFailed({"new_password": error})
    user.password_hash = await hash_password_async(new)
    session.add(user)


async def admin_exists(*, session: AsyncSession) -> bool:
    stmt = select(User.id).where(User.platform_role == PlatformRole.admin).limit(1)
    return (await session.exec(stmt)).first() is not None


async def create_admin(*, session: AsyncSession, email: str, password: str, full_name: str = "Admin") -> AuthContext:
    """A platform admin with a workspace of their own; promotes an existing user with that email."""
    existing = await find_user_by_email(session=session, email=email)
    if existing is not None:
        if existing.platform_role == PlatformRole.admin:
            raise Conflict(f"{existing.email} is already an admin")
        existing.platform_role = PlatformRole.admin
        existing.email_verified_at = existing.email_verified_at or utcnow()
        session.add(existing)
        return await load_context(session=session, user_id=existing.id)
    ctx = await sign_up(session=session, email=email, password=password, full_name=full_name, workspace_name="Platform")
    user = await session.get(User, ctx.user_id)
    assert user is not None
    user.platform_role = PlatformRole.admin
    user.email_verified_at = utcnow()  # set up by whoever runs the install
    session.add(user)
    return await load_context(session=session, user_id=user.id)
