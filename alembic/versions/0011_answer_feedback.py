"""answer feedback (issue 14): thumbs up/down per assistant answer

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=False),
        sa.Column("dialog_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("voter", sa.String(length=128), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.CheckConstraint("rating IN (-1, 1)", name="ck_answer_feedback_rating"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assistant_id"], ["assistants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dialog_id"], ["dialogs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["dialog_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", name="uq_answer_feedback_message"),
    )
    op.create_index("ix_answer_feedback_tenant_created", "answer_feedback", ["tenant_id", "created_at"])
    op.create_index("ix_answer_feedback_dialog", "answer_feedback", ["dialog_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_dialog", table_name="answer_feedback")
    op.drop_index("ix_answer_feedback_tenant_created", table_name="answer_feedback")
    op.drop_table("answer_feedback")
