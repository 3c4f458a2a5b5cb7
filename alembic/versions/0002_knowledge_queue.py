"""knowledge ingestion: uploaded file bytes and the procrastinate job queue schema

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from procrastinate.schema import SchemaManager

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_OBJECTS = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_workers,
    procrastinate_jobs CASCADE;
DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status, procrastinate_job_to_defer_v1 CASCADE;
"""


def upgrade() -> None:
    op.create_table(
        "document_files",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    # procrastinate's own schema (jobs table, NOTIFY triggers, defer functions), versioned here.
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    op.get_bind().exec_driver_sql(PROCRASTINATE_OBJECTS)
    op.execute(
        "DO $$ DECLARE f record; BEGIN FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc "
        "WHERE proname LIKE 'procrastinate%' LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE'; "
        "END LOOP; END $$"
    )
    op.drop_table("document_files")
