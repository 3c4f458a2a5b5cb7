"""system settings and monitoring (issue 14): the per-message trace, dialog ids in log records, a time index

- `dialog_messages.trace` (JSONB, NULL for messages written before): a reply's stage times (received, stored,
  retrieved, LLM, charged), written by the engine in the same statement as the reply (no extra round trip).
- `log_records.dialog_id`: the dialog a log record was written for (with the request and tenant ids).
- a BRIN index on `dialog_messages.created_at`: the monitoring charts read the last hours of every tenant's
  messages; BRIN costs next to nothing to keep on an append-only table.
Settings changes are audited in `audit_log` (action `settings.changed`, the previous and the new value).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dialog_messages", sa.Column("trace", postgresql.JSONB(), nullable=True))
    op.create_index("ix_dialog_messages_created_brin", "dialog_messages", ["created_at"], postgresql_using="brin")
    op.add_column("log_records", sa.Column("dialog_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_log_records_dialog", "log_records", ["dialog_id", "id"], postgresql_where=sa.text("dialog_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_log_records_dialog", table_name="log_records")
    op.drop_column("log_records", "dialog_id")
    op.drop_index("ix_dialog_messages_created_brin", table_name="dialog_messages")
    op.drop_column("dialog_messages", "trace")
