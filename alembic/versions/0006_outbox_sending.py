"""telegram outbox: a message is marked `sending` before the call and keeps Telegram's message id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_messages", sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_messages", "telegram_message_id")
    op.drop_column("outbox_messages", "sending_at")
