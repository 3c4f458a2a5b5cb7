"""Full-text term statistics per assistant (issue 16): BM25 reads document frequencies instead of counting them.

Kept by database triggers on `knowledge_chunks` and `qa_knowledge` (migration 0013), so every way rows come and
go (ingestion, deletion, cascades, COPY) keeps them exact. `source` is 'chunk' or 'qa'.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _key(column: sa.Column) -> object:
    return Field(sa_column=column)


class SearchTermStat(SQLModel, table=True):
    """How many of an assistant's chunks (or Q&A questions) contain a lexeme (its document frequency)."""

    __tablename__ = "search_term_stats"

    tenant_id: uuid.UUID = _key(sa.Column(sa.Uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True))
    assistant_id: uuid.UUID = _key(
        sa.Column(sa.Uuid, sa.ForeignKey("assistants.id", ondelete="CASCADE"), primary_key=True)
    )
    source: str = _key(sa.Column(sa.String(8), primary_key=True))
    lexeme: str = _key(sa.Column(sa.Text, primary_key=True))
    df: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class SearchScopeStat(SQLModel, table=True):
    """An assistant's number of chunks (or Q&A questions) and their total length in lexemes (BM25's N, avgdl)."""

    __tablename__ = "search_scope_stats"

    tenant_id: uuid.UUID = _key(sa.Column(sa.Uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True))
    assistant_id: uuid.UUID = _key(
        sa.Column(sa.Uuid, sa.ForeignKey("assistants.id", ondelete="CASCADE"), primary_key=True)
    )
    source: str = _key(sa.Column(sa.String(8), primary_key=True))
    n: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    total_length: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
