"""Two-factor authentication: TOTP (RFC 6238, pyotp) with a QR code drawn locally as SVG (segno), ten one-time
recovery codes, the second step of signing in, and the platform's policy for platform admins."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import AuditLog, PlatformRole, RecoveryCode, SystemSetting, User
from chatai_app.models._base import utcnow
from chatai_app.services import secrets_box, signed_links
from chatai_app.services.accounts import ADMIN_2FA_POLICY
from chatai_app.services.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from chatai_app.services.passwords import verify_password_async
from chatai_app.services.settings_store import get_setting

ISSUER = "ChatAI"
RECOVERY_CODES = 10
CHALLENGE_TTL = timedelta(minutes=5)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WRONG_CODE = "The code is not correct; check the time on your phone or use a recovery code"


class TwoFactorRequired(DomainError):
    """The password was right; the second step needs a code. `challenge` names the user for 5 minutes."""

    code = "two_factor_required"

    def __init__(self, challenge: str) -> None:
        super().__init__("Enter the 6-digit code from your authenticator app")
        self.challenge = challenge


@dataclass(frozen=True)
class Setup:
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_codes_left: int
    required: bool  # the platform requires it of this user (platform admin under the policy)


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _hash_code(code: str) -> str:
    return hashlib.sha256(("recovery:" + _normalise(code)).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def admin_policy(*, session: AsyncSession) -> bool:
    return bool(await get_setting(session=session, key=ADMIN_2FA_POLICY))


async def status(*, session: AsyncSession, user_id: uuid.UUID) -> Status:
    user = await _user(session, user_id)
    left = (
        await session.exec(
            select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
    ).one()  # type: ignore[union-attr]
    required = user.platform_role == PlatformRole.admin and await admin_policy(session=session)
    return Status(user.totp_enabled_at is not None, int(left), required)


async def begin_setup(*, session: AsyncSession, user_id: uuid.UUID) -> Setup:
    """A new secret (kept encrypted, not in force until a code confirms it) and its QR code."""
    user = await _user(session, user_id)
    if user.totp_enabled_at is not None:
        raise Conflict("Two-factor authentication is already on; turn it off first to set up a new phone")
    secret = pyotp.random_base32()
    user.totp_secret = secrets_box.encrypt(secret)
    session.add(user)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Setup(secret, uri, segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _check_totp(user: User, code: str) -> bool:
    """A current code (one step of clock drift either way) that was not used before (no replay)."""
    digits = "".join(ch for ch in code or "" if ch.isdigit())
    if not user.totp_secret or len(digits) != 6:
        return False
    totp = pyotp.TOTP(secrets_box.decrypt(user.totp_secret))
    now = time.time()
    for drift in (0, -1, 1):
        step = int(now // totp.interval) + drift
        if secrets.compare_digest(totp.at(step * totp.interval), digits):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


async def _use_recovery_code(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    if len(_normalise(code)) != 10:
        return False
    used = await session.exec(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _hash_code(code), RecoveryCode.used_at.is_(None)
        )  # type: ignore[union-attr]
        .values(used_at=utcnow())
        .returning(RecoveryCode.id)
    )
    return used.first() is not None


async def check_code(*, session: AsyncSession, user: User, code: str) -> str | None:
    """'totp' or 'recovery' when the code is good (a recovery code is spent), None otherwise."""
    if _check_totp(user, code):
        session.add(user)
        return "totp"
    if await _use_recovery_code(session, user.id, code):
        return "recovery"
    return None


async def _new_codes(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    await session.exec(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))  # type: ignore[arg-type]
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash_code(code)) for code in codes)
    await session.flush()
    return codes


async def enable(*, session: AsyncSession, user_id: uuid.UUID, code: str, ip: str = "") -> list[str]:
    """Confirm the pending secret with a code from the app; returns the ten recovery codes (shown once)."""
    user = await _user(session, user_id)
    if user.totp_enabled_at is not None:
        raise Conflict("Two-factor authentication is already on")
    if not user.totp_secret:
        raise ValidationFailed({"code": "Start the set-up first"})
    if not _check_totp(user, code):
        raise ValidationFailed({"code": WRONG_CODE})
    user.totp_enabled_at = utcnow()
    session.add(user)
    session.add(
        AuditLog(
            actor_user_id=user_id, action="security.2fa_enabled", target_type="user", target_id=str(user_id), ip=ip[:64]
        )
    )
    return await _new_codes(session, user_id)


async def regenerate_codes(*, session: AsyncSession, user_id: uuid.UUID, code: str) -> list[str]:
    user = await _user(session, user_id)
    if user.totp_enabled_at is None:
        raise Conflict("Turn two-factor authentication on first")
    if await check_code(session=session, user=user, code=code) is None:
        raise ValidationFailed({"code": WRONG_CODE})
    return await _new_codes(session, user_id)


async def disable(*, session: AsyncSession, user_id: uuid.UUID, password: str, code: str, ip: str = "") -> None:
    """Needs the password and a current code (or a recovery code); refused while the platform requires it."""
    user = await _user(session, user_id)
    if user.totp_enabled_at is None:
        return
    if user.platform_role == PlatformRole.admin and await admin_policy(session=session):
        raise PermissionDenied("Platform admins must keep two-factor authentication on (platform policy)")
    if not await verify_password_async(user.password_hash, password or ""):
        raise ValidationFailed({"password": "The current password is not correct"})
    if await check_code(session=session, user=user, code=code) is None:
        raise ValidationFailed({"code": WRONG_CODE})
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    session.add(user)
    await session.exec(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))  # type: ignore[arg-type]
    session.add(
        AuditLog(
            actor_user_id=user_id,
            action="security.2fa_disabled",
            target_type="user",
            target_id=str(user_id),
            ip=ip[:64],
        )
    )


def challenge_for(user_id: uuid.UUID) -> str:
    return signed_links.make("2fa-login", user_id, utcnow() + CHALLENGE_TTL)


def user_of_challenge(challenge: str) -> uuid.UUID:
    try:
        return signed_links.read(challenge, "2fa-login")
    except signed_links.LinkInvalid:
        raise signed_links.LinkInvalid("The sign-in took too long; enter your e-mail and password again") from None


async def set_admin_policy(*, session: AsyncSession, required: bool, actor: uuid.UUID) -> None:
    """Require two-factor of every platform admin. The admin who turns it on must have it on already
    (nobody locks the platform out of its own console)."""
    if required:
        me = await _user(session, actor)
        if me.totp_enabled_at is None:
            raise PermissionDenied("Turn on two-factor authentication for your own account first")
    row = await session.get(SystemSetting, ADMIN_2FA_POLICY)
    if row is None:
        row = SystemSetting(key=ADMIN_2FA_POLICY, value=required)
    row.value, row.updated_at, row.updated_by_id = required, utcnow(), actor
    session.add(row)
    session.add(
        AuditLog(
            actor_user_id=actor, action="security.admin_2fa_policy", target_type="platform", meta={"required": required}
        )
    )
