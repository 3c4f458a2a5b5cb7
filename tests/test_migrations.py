"""Alembic owns the schema: it reaches head, round-trips, matches the models, and has the indexes we rely on."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chatai_app import models
from chatai_app.db import sqlalchemy_url
from chatai_app.migrations import alembic_config, include_object, is_at_head


def test_database_is_at_head_with_extensions(database_url: str) -> None:
    assert is_at_head(database_url)
    with psycopg.connect(database_url) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
    assert {"vector", "pg_trgm"} <= extensions


def test_models_match_the_migrations(database_url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object, "target_metadata": models.metadata}
        )
        diff = compare_metadata(context, models.metadata)
    engine.dispose()
    assert diff == []


def test_every_tenant_owned_table_has_an_indexed_tenant_id(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant_id' "
                "AND table_schema = 'public'"
            )
        }
        leading = {
            row[0]
            for row in conn.execute(
                "SELECT t.relname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] WHERE a.attname = 'tenant_id'"
            )
        }
    expected = {
        "assistants", "bot_instances", "dialogs", "dialog_messages", "handoff_audit", "operator_presence",
        "documents", "knowledge_chunks", "qa_knowledge", "balance_transactions", "memberships",
    }  # fmt: skip
    assert expected <= tables
    # provider_keys/audit_log/start_page_events have nullable (platform-level) tenant ids.
    assert expected - leading == set()


def test_vector_and_full_text_indexes_exist(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        indexes = {row[0]: row[1] for row in conn.execute("SELECT indexname, indexdef FROM pg_indexes")}
    assert "USING hnsw" in indexes["ix_knowledge_chunks_embedding_384"]
    assert "vector_cosine_ops" in indexes["ix_knowledge_chunks_embedding_384"]
    assert "USING gin (tsv)" in indexes["ix_knowledge_chunks_tsv"]
    assert "USING gin (tsv)" in indexes["ix_qa_knowledge_tsv"]


def test_tsvector_is_language_aware(clean_db: str) -> None:
    with psycopg.connect(clean_db) as conn:
        conn.execute(
            "INSERT INTO tenants (id, name, slug, plan_code, currency) "
            "VALUES (gen_random_uuid(), 't', 't', 'free', 'RUB')"
        )
        tenant = conn.execute("SELECT id FROM tenants").fetchone()[0]
        conn.execute(
            "INSERT INTO assistants (id, tenant_id, name, tone, language, provider, model, temperature, max_tokens, "
            "knowledge_enabled, citations_enabled, embedding_model, is_active) "
            "VALUES (gen_random_uuid(), %s, 'a', 't', 'ru', 'offline', 'm', 0.3, 100, true, true, '', true)",
            (tenant,),
        )
        assistant = conn.execute("SELECT id FROM assistants").fetchone()[0]
        conn.execute(
            "INSERT INTO documents (id, tenant_id, assistant_id, filename, mime_type, size_bytes, content_hash, "
            "status, progress, page_count, chunk_count, storage_key) "
            "VALUES (gen_random_uuid(), %s, %s, 'f', 'text/plain', 1, 'h', 'ready', 1, 1, 1, '')",
            (tenant, assistant),
        )
        document = conn.execute("SELECT id FROM documents").fetchone()[0]
        conn.execute(
            "INSERT INTO knowledge_chunks (tenant_id, assistant_id, document_id, ordinal, content, embedding_model, "
            "embedding_dim, embedding, fts_config) VALUES (%s, %s, %s, 0, 'Кошки спали на тёплых крышах', 'm', 3, "
            "'[1,0,0]', 'russian')",
            (tenant, assistant, document),
        )
        hit = conn.execute(
            "SELECT count(*) FROM knowledge_chunks WHERE tsv @@ plainto_tsquery('russian', 'кошка крыша')"
        ).fetchone()[0]
    assert hit == 1  # stemming: "кошка" matches "Кошки", "крыша" matches "крышах"


def test_downgrade_to_base_and_back(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert not is_at_head(database_url)
    command.upgrade(config, "head")
    assert is_at_head(database_url)
