"""operators assigned to assistants (issue 14)

- `memberships.assistant_ids` (uuid[], NULL): the assistants an operator works for; NULL (the default) is every
  assistant of the workspace. An id of an assistant deleted later stays and matches nothing, so a restricted
  operator never widens to "all" by a deletion. Owners and workspace admins always see every assistant.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("memberships", sa.Column("assistant_ids", postgresql.ARRAY(sa.Uuid()), nullable=True))


def downgrade() -> None:
    op.drop_column("memberships", "assistant_ids")
