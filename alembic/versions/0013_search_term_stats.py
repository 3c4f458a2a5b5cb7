"""search at scale (issue 16): per-assistant term statistics for BM25 without counting per query

`search_term_stats` holds each lexeme's document frequency per assistant and source ('chunk': knowledge_chunks,
'qa': qa_knowledge), `search_scope_stats` the number of rows and their total length in lexemes. Statement-level
triggers with transition tables keep both exact for every insert, delete (cascades included) and update; each
statement first updates the assistant's scope row, which serialises writers of one assistant, so the term rows
are never locked in two orders (no deadlocks). Existing rows are counted once here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = {"chunk": "knowledge_chunks", "qa": "qa_knowledge"}

# The changed rows as (tenant_id, assistant_id, tsv, sign): +1 counted in, -1 counted out.
_APPLY = r"""
CREATE FUNCTION search_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    src text := TG_ARGV[0];
    changed text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := 'SELECT tenant_id, assistant_id, tsv, 1 AS sign FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        changed := 'SELECT tenant_id, assistant_id, tsv, -1 AS sign FROM old_rows';
    ELSE
        changed := 'WITH moved AS (
                        SELECT o.tenant_id AS o_tenant, o.assistant_id AS o_assistant, o.tsv AS o_tsv,
                               n.tenant_id AS n_tenant, n.assistant_id AS n_assistant, n.tsv AS n_tsv
                          FROM old_rows o JOIN new_rows n ON n.id = o.id
                         WHERE (o.tenant_id, o.assistant_id, o.tsv)
                               IS DISTINCT FROM (n.tenant_id, n.assistant_id, n.tsv))
                    SELECT n_tenant AS tenant_id, n_assistant AS assistant_id, n_tsv AS tsv, 1 AS sign FROM moved
                    UNION ALL SELECT o_tenant, o_assistant, o_tsv, -1 FROM moved';
    END IF;
    -- 1. the scope rows first (this locks them: one writer per assistant at a time from here on)
    EXECUTE format($q$
        WITH c AS (%s), s AS (
            SELECT tenant_id, assistant_id, sum(sign) AS n, sum(sign * coalesce(length(tsv), 0)) AS len
              FROM c GROUP BY tenant_id, assistant_id
        ), grown AS (
            INSERT INTO search_scope_stats AS t (tenant_id, assistant_id, source, n, total_length)
            SELECT tenant_id, assistant_id, %L, n, len FROM s WHERE n > 0 ORDER BY assistant_id
            ON CONFLICT (tenant_id, assistant_id, source)
            DO UPDATE SET n = t.n + EXCLUDED.n, total_length = t.total_length + EXCLUDED.total_length
        )
        UPDATE search_scope_stats t SET n = greatest(t.n + s.n, 0), total_length = greatest(t.total_length + s.len, 0)
          FROM s WHERE s.n <= 0 AND t.tenant_id = s.tenant_id AND t.assistant_id = s.assistant_id AND t.source = %L
    $q$, changed, src, src);
    -- 2. the lexemes' document frequencies
    EXECUTE format($q$
        WITH c AS (%s), d AS (
            SELECT tenant_id, assistant_id, lexeme, sum(sign) AS d
              FROM c, unnest(tsvector_to_array(c.tsv)) AS lexeme
             GROUP BY tenant_id, assistant_id, lexeme HAVING sum(sign) <> 0
        ), grown AS (
            INSERT INTO search_term_stats AS t (tenant_id, assistant_id, source, lexeme, df)
            SELECT tenant_id, assistant_id, %L, lexeme, d FROM d WHERE d > 0 ORDER BY assistant_id, lexeme
            ON CONFLICT (tenant_id, assistant_id, source, lexeme) DO UPDATE SET df = t.df + EXCLUDED.df
        ), gone AS (
            DELETE FROM search_term_stats t USING d
             WHERE d.d < 0 AND t.df + d.d <= 0 AND t.tenant_id = d.tenant_id AND t.assistant_id = d.assistant_id
               AND t.source = %L AND t.lexeme = d.lexeme
        )
        UPDATE search_term_stats t SET df = t.df + d.d FROM d
         WHERE d.d < 0 AND t.df + d.d > 0 AND t.tenant_id = d.tenant_id AND t.assistant_id = d.assistant_id
           AND t.source = %L AND t.lexeme = d.lexeme
    $q$, changed, src, src, src);
    RETURN NULL;
END
$fn$
"""


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), sa.ForeignKey("assistants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "search_term_stats",
        *_key_columns(),
        sa.Column("lexeme", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "assistant_id", "source", "lexeme"),
    )
    op.create_table(
        "search_scope_stats",
        *_key_columns(),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total_length", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "assistant_id", "source"),
    )
    for source, table in SOURCES.items():
        op.execute(f"""
            INSERT INTO search_scope_stats (tenant_id, assistant_id, source, n, total_length)
            SELECT tenant_id, assistant_id, '{source}', count(*), coalesce(sum(length(tsv)), 0)
              FROM {table} GROUP BY tenant_id, assistant_id
        """)
        op.execute(f"""
            INSERT INTO search_term_stats (tenant_id, assistant_id, source, lexeme, df)
            SELECT tenant_id, assistant_id, '{source}', lexeme, count(*)
              FROM {table}, unnest(tsvector_to_array(tsv)) AS lexeme GROUP BY tenant_id, assistant_id, lexeme
        """)
    op.execute(_APPLY)
    for source, table in SOURCES.items():
        for event, transition in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                                  ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):  # fmt: skip
            op.execute(
                f"CREATE TRIGGER {table}_search_stats_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION search_stats_apply('{source}')"
            )


def downgrade() -> None:
    for table in SOURCES.values():
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_stats_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS search_stats_apply()")
    op.drop_table("search_scope_stats")
    op.drop_table("search_term_stats")
