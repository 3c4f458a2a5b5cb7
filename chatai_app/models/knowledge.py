"""Documents, their chunks (vector + full-text) and Q&A pairs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import JSONB, REGCONFIG, TSVECTOR
from sqlmodel import Field, SQLModel

from chatai_app.models._base import bigint_pk, created_at, fk, tenant_fk, text, timestamp, uuid_pk

# Vectors of any dimension share one column; each model's dimension gets its own
# partial HNSW index on `embedding::vector(dim)` (see the migrations).
DEFAULT_EMBEDDING_DIM = 384


def _embedding_column() -> Any:
    return Field(default=None, sa_column=sa.Column(Vector(), nullable=True))


def _fts_config_column() -> Any:
    return Field(
        default="simple",
        sa_column=sa.Column(REGCONFIG, nullable=False, server_default=sa.text("'simple'::regconfig")),
    )


def _tsv_column(source: str) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(TSVECTOR, sa.Computed(f"to_tsvector(fts_config, {source})", persisted=True)),
    )


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (
        sa.UniqueConstraint("assistant_id", "content_hash", name="uq_documents_assistant_hash"),
        sa.Index("ix_documents_tenant_assistant", "tenant_id", "assistant_id", "created_at"),
        sa.Index("ix_documents_source", "source_id", "source_url"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    filename: str = Field(max_length=255)
    mime_type: str = Field(max_length=120)
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    content_hash: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    progress: float = 0.0
    error: str = text()
    page_count: int = 0
    chunk_count: int = 0
    storage_key: str = Field(default="", max_length=255)
    # a page of an imported website: its source and URL (the source link shown with answers)
    source_id: uuid.UUID | None = fk("knowledge_sources.id", nullable=True)
    source_url: str = text()
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class KnowledgeSource(SQLModel, table=True):
    """A website imported into an assistant's knowledge: crawled by the job worker, its pages become documents."""

    __tablename__ = "knowledge_sources"
    __table_args__ = (
        sa.Index("ix_knowledge_sources_tenant", "tenant_id", "assistant_id"),
        sa.Index("ix_knowledge_sources_due", "next_crawl_at", postgresql_where=sa.text("next_crawl_at IS NOT NULL")),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    kind: str = Field(default="website", sa_column=sa.Column(sa.String(16), nullable=False, server_default="website"))
    start_url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sitemap_url: str = text()
    max_pages: int = Field(default=50, sa_column=sa.Column(sa.Integer, nullable=False, server_default="50"))
    max_depth: int = Field(default=2, sa_column=sa.Column(sa.Integer, nullable=False, server_default="2"))
    recrawl_hours: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False, server_default="pending"))
    progress: float = Field(default=0.0, sa_column=sa.Column(sa.Float, nullable=False, server_default="0"))
    pages_seen: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    pages_added: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    pages_changed: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    pages_removed: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    pages_skipped: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    error: str = text()
    last_crawled_at: datetime | None = timestamp()
    next_crawl_at: datetime | None = timestamp()
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()


class DocumentFile(SQLModel, table=True):
    """The uploaded bytes, stored in the same transaction as the document and its ingestion job."""

    __tablename__ = "document_files"

    document_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    )
    tenant_id: uuid.UUID = tenant_fk()
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class KnowledgeChunk(SQLModel, table=True):
    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        sa.Index("ix_knowledge_chunks_scope", "tenant_id", "assistant_id"),
        sa.Index("ix_knowledge_chunks_document", "document_id", "ordinal"),
        sa.Index("ix_knowledge_chunks_tsv", "tsv", postgresql_using="gin"),
    )

    id: int | None = bigint_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    document_id: uuid.UUID = fk("documents.id")
    ordinal: int
    content: str = text()
    heading: str = text()
    page: int | None = None
    embedding_model: str = Field(default="", max_length=120)
    embedding_dim: int = 0
    embedding: Any = _embedding_column()
    fts_config: str = _fts_config_column()
    tsv: Any = _tsv_column("content")
    created_at: datetime = created_at()


class IngestionBatch(SQLModel, table=True):
    """One embedded batch of a document being ingested, kept until the document's chunks are swapped in: a job
    that dies (worker killed, database lost) resumes after the last stored batch instead of from page 0. The
    live chunks stay untouched meanwhile (a re-index serves the old ones until the swap)."""

    __tablename__ = "ingestion_batches"

    document_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    )
    start: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    embedding_model: str = Field(max_length=120)
    texts_hash: str = Field(max_length=64)  # the batch's chunk texts: a changed chunking never reuses vectors
    vectors: list[list[float]] = Field(sa_column=sa.Column(JSONB, nullable=False))
    created_at: datetime = created_at()


class QAPair(SQLModel, table=True):
    __tablename__ = "qa_knowledge"
    __table_args__ = (
        sa.Index("ix_qa_knowledge_scope", "tenant_id", "assistant_id"),
        sa.Index("ix_qa_knowledge_tsv", "tsv", postgresql_using="gin"),
    )

    id: uuid.UUID = uuid_pk()
    tenant_id: uuid.UUID = tenant_fk()
    assistant_id: uuid.UUID = fk("assistants.id")
    question: str = text()
    answer: str = text()
    embedding_model: str = Field(default="", max_length=120)
    embedding_dim: int = 0
    embedding: Any = _embedding_column()
    fts_config: str = _fts_config_column()
    tsv: Any = _tsv_column("question")
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
