"""landing funnel and analytics (issue 14): public page visits and sign-up funnel events

The events table (`start_page_events`) exists since 0001; the funnel counts its events per kind over a period, so
it gets an index on (event, created_at). The analytics dashboard computes from the existing tables.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_start_page_events_event_created", "start_page_events", ["event", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_start_page_events_event_created", table_name="start_page_events")
