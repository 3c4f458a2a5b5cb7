"""answers and websites (issue 15): the assistant's answer strictness; website sources whose pages are documents

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "assistants", sa.Column("strictness", sa.String(length=12), nullable=False, server_default="balanced")
    )
    op.create_table(
        "knowledge_sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="website"),
        sa.Column("start_url", sa.Text(), nullable=False),
        sa.Column("sitemap_url", sa.Text(), nullable=False, server_default=""),
        sa.Column("max_pages", sa.Integer(), nullable=False, server_default="50"),
        sa.Column("max_depth", sa.Integer(), nullable=False, server_default="2"),
        sa.Column("recrawl_hours", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("pages_seen", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pages_added", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pages_changed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pages_removed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pages_skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_crawled_at", TS, nullable=True),
        sa.Column("next_crawl_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assistant_id"], ["assistants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_knowledge_sources_tenant", "knowledge_sources", ["tenant_id", "assistant_id"])
    op.create_index(
        "ix_knowledge_sources_due", "knowledge_sources", ["next_crawl_at"],
        postgresql_where=sa.text("next_crawl_at IS NOT NULL"),
    )  # fmt: skip
    op.add_column("documents", sa.Column("source_id", sa.Uuid(), nullable=True))
    op.add_column("documents", sa.Column("source_url", sa.Text(), nullable=False, server_default=""))
    op.create_foreign_key(
        "documents_source_id_fkey", "documents", "knowledge_sources", ["source_id"], ["id"], ondelete="CASCADE"
    )
    op.create_index("ix_documents_source", "documents", ["source_id", "source_url"])


def downgrade() -> None:
    op.drop_index("ix_documents_source", table_name="documents")
    op.drop_constraint("documents_source_id_fkey", "documents", type_="foreignkey")
    op.drop_column("documents", "source_url")
    op.drop_column("documents", "source_id")
    op.drop_index("ix_knowledge_sources_due", table_name="knowledge_sources")
    op.drop_index("ix_knowledge_sources_tenant", table_name="knowledge_sources")
    op.drop_table("knowledge_sources")
    op.drop_column("assistants", "strictness")
