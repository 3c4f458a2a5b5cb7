"""provider key pool (issue 14): per-key daily usage, health and parking

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("priority", sa.Integer(), nullable=False, server_default="100"),
        sa.Column("daily_request_limit", sa.Integer(), nullable=True),
        sa.Column("daily_token_limit", sa.BigInteger(), nullable=True),
        sa.Column("cooldown_until", TS, nullable=True),
        sa.Column("parked_at", TS, nullable=True),
        sa.Column("parked_reason", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("auth_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("last_error_at", TS, nullable=True),
        sa.Column("last_used_at", TS, nullable=True),
    ]


def upgrade() -> None:
    for column in _key_columns():
        op.add_column("provider_keys", column)
    op.create_table(
        "provider_key_usage",
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rate_limited", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["key_id"], ["provider_keys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("provider_key_usage")
    for column in reversed(_key_columns()):
        op.drop_column("provider_keys", column.name)
