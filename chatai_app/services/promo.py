"""Promo codes: a fixed amount credited at once, or a percent bonus on the next top-up; once per account."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import PromoCode, PromoRedemption
from chatai_app.models._base import utcnow
from chatai_app.services import billing
from chatai_app.services.errors import Conflict, DomainError, ValidationFailed

CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


class PromoRejected(DomainError):
    code = "promo_rejected"


@dataclass(frozen=True)
class Redeemed:
    kind: str  # amount | percent
    value: int
    credited_minor: int  # 0 for a percent code until the next top-up


async def create_code(
    *, session: AsyncSession, code: str, kind: str, value: int, expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> PromoCode:  # fmt: skip
    code = (code or "").strip()
    errors = {}
    if not CODE.match(code):
        errors["code"] = "3 to 64 letters, digits, - or _"
    if kind not in ("amount", "percent"):
        errors["kind"] = "amount or percent"
    elif kind == "percent" and not 1 <= value <= 100:
        errors["value"] = "a percent from 1 to 100"
    elif kind == "amount" and value <= 0:
        errors["value"] = "a positive amount in minor units"
    if max_uses is not None and max_uses < 1:
        errors["max_uses"] = "at least 1, or empty for no limit"
    if errors:
        raise ValidationFailed(errors)
    promo = PromoCode(code=code, kind=kind, value=value, expires_at=expires_at, max_uses=max_uses)
    try:
        async with session.begin_nested():
            session.add(promo)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The code {code} already exists") from exc
    return promo


async def _claim(session: AsyncSession, code: str) -> PromoCode:
    """Take one use of the code atomically, or explain why it cannot be used."""
    promo = (await session.exec(select(PromoCode).where(sa.func.lower(PromoCode.code) == code.lower()))).first()
    if promo is None or not promo.is_active:
        raise PromoRejected("This promo code does not exist")
    if promo.expires_at is not None and promo.expires_at <= utcnow():
        raise PromoRejected(f"This promo code expired on {promo.expires_at:%Y-%m-%d}")
    claimed = await session.exec(
        sa.update(PromoCode)
        .where(
            PromoCode.id == promo.id, sa.or_(PromoCode.max_uses.is_(None), PromoCode.used_count < PromoCode.max_uses)
        )
        .values(used_count=PromoCode.used_count + 1)
    )
    if claimed.rowcount == 0:
        raise PromoRejected("This promo code has been used up")
    return promo


async def redeem(*, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, code: str) -> Redeemed:
    code = (code or "").strip()
    if not code:
        raise ValidationFailed({"code": "Enter a promo code"})
    async with session.begin_nested():
        promo = await _claim(session, code)
        redemption = PromoRedemption(promo_code_id=promo.id, tenant_id=tenant_id, user_id=user_id)
        try:
            async with session.begin_nested():
                session.add(redemption)
                await session.flush()
        except IntegrityError as exc:
            raise PromoRejected("You have already used this promo code") from exc
        if promo.kind == "percent":
            return Redeemed("percent", promo.value, 0)
        entry = await billing.credit(
            session=session, tenant_id=tenant_id, amount=promo.value, kind="promo",
            idempotency_key=f"promo:{promo.id}", reference=f"Promo code {promo.code}",
        )  # fmt: skip
        redemption.balance_transaction_id = entry.transaction_id
        session.add(redemption)
    return Redeemed("amount", promo.value, promo.value)


async def apply_percent_bonus(*, session: AsyncSession, tenant_id: uuid.UUID, paid_minor: int, payment_key: str) -> int:
    """After a top-up: the pending percent code (if any) adds its bonus; returns the bonus credited."""
    row = (
        await session.exec(
            select(PromoRedemption, PromoCode)
            .join(PromoCode, PromoCode.id == PromoRedemption.promo_code_id)
            .where(PromoRedemption.tenant_id == tenant_id, PromoCode.kind == "percent",
                   PromoRedemption.balance_transaction_id.is_(None))
            .order_by(PromoRedemption.created_at)
            .limit(1)
            .with_for_update(of=PromoRedemption)
        )
    ).first()  # fmt: skip
    if row is None:
        return 0
    redemption, promo = row
    bonus = paid_minor * promo.value // 100
    entry = await billing.credit(
        session=session, tenant_id=tenant_id, amount=bonus, kind="promo",
        idempotency_key=f"promo:{promo.id}:{payment_key}", reference=f"Promo code {promo.code}: +{promo.value}%",
    )  # fmt: skip
    redemption.balance_transaction_id = entry.transaction_id
    session.add(redemption)
    return bonus


async def list_codes(*, session: AsyncSession) -> list[PromoCode]:
    return list((await session.exec(select(PromoCode).order_by(PromoCode.created_at.desc()))).all())
