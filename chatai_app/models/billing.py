"""The prepaid ledger, plans and promo codes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, jsonb, tenant_fk, timestamp, uuid_pk


def _money(nullable: bool = False) -> Any:
    return Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=nullable, server_default="0"))


class BalanceTransaction(SQLModel, table=True):
    """Immutable ledger row; amounts in minor units (kopecks, cents)."""

    __tablename__ = "balance_transactions"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_balance_tx_idempotency"),
        sa.Index("ix_balance_tx_tenant_created", "tenant_id", "created_at"),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID = tenant_fk()
    type: str = Field(max_length=24)
    amount_minor: int = _money()
    currency: str = Field(default="RUB", max_length=3)
    balance_after_minor: int = _money()
    reference: str = Field(default="", max_length=200)
    idempotency_key: str = Field(max_length=200)
    created_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    meta: dict[str, Any] = jsonb()
    created_at: datetime = created_at()


class Plan(SQLModel, table=True):
    __tablename__ = "plans"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    monthly_price_minor: int = _money()
    currency: str = Field(default="RUB", max_length=3)
    limits: dict[str, Any] = jsonb()
    allows_credit: bool = False
    is_public: bool = True


class PromoCode(SQLModel, table=True):
    __tablename__ = "promo_codes"
    __table_args__ = (sa.Index("uq_promo_codes_code_lower", sa.text("lower(code)"), unique=True),)

    id: uuid.UUID = uuid_pk()
    code: str = Field(max_length=64)
    kind: str = Field(default="amount", max_length=8)
    value: int = _money()
    expires_at: datetime | None = timestamp()
    max_uses: int | None = None
    used_count: int = 0
    is_active: bool = True
    created_at: datetime = created_at()


class PromoRedemption(SQLModel, table=True):
    __tablename__ = "promo_redemptions"
    __table_args__ = (sa.UniqueConstraint("promo_code_id", "tenant_id", name="uq_promo_redemptions_once"),)

    id: uuid.UUID = uuid_pk()
    promo_code_id: uuid.UUID = fk("promo_codes.id")
    tenant_id: uuid.UUID = tenant_fk()
    user_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    balance_transaction_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    created_at: datetime = created_at()


class Payment(SQLModel, table=True):
    """A top-up through a payment provider; credited to the ledger once, when the provider confirms it."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_payment_id", name="uq_payments_provider_id"),
        sa.Index("ix_payments_tenant_created", "tenant_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    provider: str = Field(max_length=24)
    provider_payment_id: str = Field(max_length=255)
    amount_minor: int = _money()
    currency: str = Field(default="RUB", max_length=3)
    status: str = Field(default="pending", max_length=16)
    checkout_url: str = Field(default="", sa_type=sa.Text)
    balance_transaction_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    created_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class PaymentEvent(SQLModel, table=True):
    """Every provider webhook seen, by its event id: a replayed webhook is recognised and ignored."""

    __tablename__ = "payment_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event"),)

    id: int | None = bigint_pk()
    provider: str = Field(max_length=24)
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=80)
    payment_id: uuid.UUID | None = fk("payments.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_at()
