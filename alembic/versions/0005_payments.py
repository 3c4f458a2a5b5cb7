"""billing: payments through a provider, webhook events, pricing settings, roomier free plan

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_SETTINGS = {"pricing.per_1k_tokens_minor": {}, "billing.low_balance_thresholds_minor": [10000, 1000]}
FREE_LIMITS = {"assistants": 3, "bots": 3, "documents": 100, "messages_per_month": 1000}


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checkout_url", sa.Text(), nullable=False),
        sa.Column("balance_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "provider_payment_id", name="uq_payments_provider_id"),
    )
    op.create_index("ix_payments_tenant_created", "payments", ["tenant_id", "created_at"])
    op.create_table(
        "payment_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event"),
    )
    settings = sa.table("system_settings", sa.column("key", sa.String), sa.column("value", postgresql.JSONB))
    op.bulk_insert(settings, [{"key": k, "value": v} for k, v in NEW_SETTINGS.items()])
    plans = sa.table("plans", sa.column("code", sa.String), sa.column("limits", postgresql.JSONB))
    op.execute(plans.update().where(plans.c.code == "free").values(limits=FREE_LIMITS))
    op.execute(  # custom contracts: no limits, assigned by an admin, never offered on the plan page
        "INSERT INTO plans (code, name, monthly_price_minor, currency, limits, allows_credit, is_public) "
        "VALUES ('enterprise', 'Enterprise', 0, 'RUB', '{}'::jsonb, false, false)"
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM system_settings WHERE key IN ('pricing.per_1k_tokens_minor', "
                       "'billing.low_balance_thresholds_minor')"))  # fmt: skip
    op.execute("DELETE FROM plans WHERE code = 'enterprise'")
    op.drop_table("payment_events")
    op.drop_index("ix_payments_tenant_created", table_name="payments")
    op.drop_table("payments")
