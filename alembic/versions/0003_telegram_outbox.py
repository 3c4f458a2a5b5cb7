"""telegram outbox: parts of long replies, failure marker, exactly-once enqueue per reply part

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("part", sa.Integer(), server_default="0", nullable=False))
    op.add_column("outbox_messages", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_outbox_message_part",
        "outbox_messages",
        ["bot_instance_id", "dialog_message_id", "part"],
        unique=True,
        postgresql_where=sa.text("dialog_message_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_outbox_message_part", table_name="outbox_messages")
    op.drop_column("outbox_messages", "failed_at")
    op.drop_column("outbox_messages", "part")
