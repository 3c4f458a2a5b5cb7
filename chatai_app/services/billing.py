"""The prepaid ledger: every balance change is an immutable row; balances never go negative.

Charges are atomic conditional updates (`balance >= amount`), so concurrent charges cannot
overdraw; the idempotency key (unique per tenant) makes a repeated charge a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import BalanceTransaction, Tenant
from chatai_app.services.errors import DomainError, NotFound
from chatai_app.services.settings_store import get_setting

__all__ = ["InsufficientFunds", "LedgerEntry", "authorize_reply", "balance", "charge", "credit", "get_setting"]

CHANNEL_PRICE_KEYS = {"widget": "pricing.widget_message_minor"}


class InsufficientFunds(DomainError):
    code = "insufficient_funds"

    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(f"The balance ({balance / 100:.2f}) is below the price of a reply ({needed / 100:.2f})")
        self.balance, self.needed = balance, needed


@dataclass(frozen=True)
class LedgerEntry:
    transaction_id: int | None
    balance_after: int
    duplicate: bool


async def price_of_reply(*, session: AsyncSession, channel: str) -> int:
    return int(await get_setting(session=session, key=CHANNEL_PRICE_KEYS.get(channel, "pricing.message_minor")))


async def balance(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    value = (await session.exec(sa.select(Tenant.balance_minor).where(Tenant.id == tenant_id))).scalar_one_or_none()
    if value is None:
        raise NotFound("Workspace not found")
    return value


async def authorize_reply(*, session: AsyncSession, tenant_id: uuid.UUID, channel: str) -> int:
    """The price of one reply if the balance covers it; InsufficientFunds otherwise."""
    price = await price_of_reply(session=session, channel=channel)
    current = await balance(session=session, tenant_id=tenant_id)
    if current < price:
        raise InsufficientFunds(current, price)
    return price


async def _existing(session: AsyncSession, tenant_id: uuid.UUID, key: str) -> LedgerEntry | None:
    row = (
        await session.exec(
            sa.select(BalanceTransaction.id, BalanceTransaction.balance_after_minor).where(
                BalanceTransaction.tenant_id == tenant_id, BalanceTransaction.idempotency_key == key
            )
        )
    ).first()
    return LedgerEntry(row[0], row[1], duplicate=True) if row else None


async def _record(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, amount: int, key: str, reference: str, meta: dict[str, Any]
) -> LedgerEntry | None:
    """Insert the ledger row first (the idempotency gate), then move the balance in the same transaction."""
    inserted = (
        await session.exec(
            insert(BalanceTransaction)
            .values(tenant_id=tenant_id, type=kind, amount_minor=amount, idempotency_key=key, reference=reference,
                    meta=meta, balance_after_minor=0)
            .on_conflict_do_nothing(constraint="uq_balance_tx_idempotency")
            .returning(BalanceTransaction.id)
        )
    ).scalar_one_or_none()  # fmt: skip
    if inserted is None:
        return await _existing(session, tenant_id, key)
    condition = Tenant.balance_minor + amount >= 0
    after = (
        await session.exec(
            sa.update(Tenant)
            .where(Tenant.id == tenant_id, condition)
            .values(balance_minor=Tenant.balance_minor + amount)
            .returning(Tenant.balance_minor)
        )
    ).scalar_one_or_none()
    if after is None:
        return None
    await session.exec(
        sa.update(BalanceTransaction).where(BalanceTransaction.id == inserted).values(balance_after_minor=after)
    )
    return LedgerEntry(inserted, after, duplicate=False)


async def charge(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    amount: int,
    idempotency_key: str,
    reference: str = "",
    meta: dict[str, Any] | None = None,
) -> LedgerEntry:
    """Take `amount` (>0) off the balance once per idempotency key; InsufficientFunds if it would go negative."""
    async with session.begin_nested():
        entry = await _record(session, tenant_id, "charge", -amount, idempotency_key, reference, meta or {})
        if entry is None:
            current = await balance(session=session, tenant_id=tenant_id)
            raise InsufficientFunds(current, amount)
    return entry


async def credit(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    amount: int,
    kind: str,
    idempotency_key: str,
    reference: str = "",
    meta: dict[str, Any] | None = None,
) -> LedgerEntry:
    entry = await _record(session, tenant_id, kind, amount, idempotency_key, reference, meta or {})
    assert entry is not None  # a credit cannot make a balance negative
    return entry


async def grant_welcome_bonus(*, session: AsyncSession, tenant_id: uuid.UUID) -> LedgerEntry | None:
    amount = int(await get_setting(session=session, key="billing.welcome_bonus_minor") or 0)
    if amount <= 0:
        return None
    return await credit(
        session=session,
        tenant_id=tenant_id,
        amount=amount,
        kind="welcome_bonus",
        idempotency_key="welcome_bonus",
        reference="Welcome bonus",
    )
