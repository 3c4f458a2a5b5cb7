"""Ingestion job: extract -> chunk -> embed (with progress) -> swap the document's chunks atomically.

Each embedded batch is stored as it is done (`ingestion_batches`), so a job that dies on the way (worker killed,
database lost) and is retried resumes after the last stored batch: extraction and chunking run again (they are
deterministic and cheap), embedding only for what is missing. A stored batch is reused only for the same chunk
texts and the same embedding model. The batches go away in the transaction that swaps the chunks in.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from chatai_app.db import session_scope
from chatai_app.models import Assistant, Document, DocumentFile, IngestionBatch, KnowledgeChunk
from chatai_app.models._base import utcnow
from chatai_app.services.knowledge.chunking import Chunk, chunk_blocks
from chatai_app.services.knowledge.embeddings import EMBED_BATCH, EmbeddingProvider, provider_for
from chatai_app.services.knowledge.extraction import extract_blocks, fts_config_for
from chatai_app.services.knowledge.uploads import UploadRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Source:
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID
    filename: str
    kind: str
    data: bytes
    embedding_model: str


async def ingest_document(document_id: uuid.UUID) -> str:
    """Run one document through the pipeline; returns its final status. Unexpected errors propagate (retry)."""
    source = await _start(document_id)
    if source is None:
        return "gone"
    try:
        blocks = await asyncio.to_thread(extract_blocks, source.kind, source.data, source.filename)
        chunks = chunk_blocks(blocks)
        provider = provider_for(source.embedding_model)
        vectors = await _embed_with_progress(document_id, provider, chunks)
        pages = max((b.page or 0 for b in blocks), default=0)
        return await _store(document_id, source, chunks, vectors, provider, pages)
    except UploadRejected as rejected:  # the file itself is the problem: retrying cannot help
        await _set(document_id, status="failed", error=rejected.message)
        return "failed"
    except Exception as exc:
        await _set(document_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise


async def _start(document_id: uuid.UUID) -> _Source | None:
    async with session_scope() as session:
        row = (
            await session.exec(
                sa.select(Document, DocumentFile.content, Assistant.embedding_model)
                .join(DocumentFile, DocumentFile.document_id == Document.id)
                .join(Assistant, Assistant.id == Document.assistant_id)
                .where(Document.id == document_id)
                .with_for_update(of=Document)
            )
        ).first()
        if row is None:
            return None
        document, content, embedding_model = row
        document.status, document.progress, document.error, document.updated_at = "processing", 0.0, "", utcnow()
        session.add(document)
        return _Source(
            document.tenant_id, document.assistant_id, document.filename, document.storage_key, content, embedding_model
        )


async def _set(document_id: uuid.UUID, **values: object) -> None:
    async with session_scope() as session:
        await session.exec(sa.update(Document).where(Document.id == document_id).values(updated_at=utcnow(), **values))


def texts_hash(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


async def _stored_batches(document_id: uuid.UUID, model: str) -> dict[int, tuple[str, list[list[float]]]]:
    async with session_scope() as session:
        rows = await session.exec(
            sa.select(IngestionBatch.start, IngestionBatch.texts_hash, IngestionBatch.vectors).where(
                IngestionBatch.document_id == document_id, IngestionBatch.embedding_model == model
            )
        )
        return {start: (digest, vectors) for start, digest, vectors in rows.all()}


async def _stage(
    document_id: uuid.UUID, start: int, model: str, digest: str, vectors: list[list[float]], progress: float
) -> None:
    """Keep one embedded batch and the progress in one transaction."""
    values = {"embedding_model": model, "texts_hash": digest, "vectors": vectors, "created_at": utcnow()}
    async with session_scope() as session:
        await session.exec(
            insert(IngestionBatch)
            .values(document_id=document_id, start=start, **values)
            .on_conflict_do_update(index_elements=["document_id", "start"], set_=values)
        )
        await session.exec(
            sa.update(Document).where(Document.id == document_id).values(progress=progress, updated_at=utcnow())
        )


async def _embed_with_progress(
    document_id: uuid.UUID, provider: EmbeddingProvider, chunks: list[Chunk]
) -> list[list[float]]:
    """Embed batch by batch; each batch is stored while the model embeds the next one (the model is the floor)."""
    stored = await _stored_batches(document_id, provider.name)
    vectors: list[list[float]] = []
    reused = 0
    staging: asyncio.Task[None] | None = None
    try:
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = [chunk.embedding_text() for chunk in chunks[start : start + EMBED_BATCH]]
            digest = texts_hash(batch)
            kept = stored.get(start)
            if kept is not None and kept[0] == digest and len(kept[1]) == len(batch):
                vectors.extend(kept[1])
                reused += len(batch)
                continue
            embedded = await provider.embed_passages(batch)
            vectors.extend(embedded)
            progress = round(0.05 + 0.9 * len(vectors) / len(chunks), 3)
            if staging is not None:
                await staging
            staging = asyncio.create_task(_stage(document_id, start, provider.name, digest, embedded, progress))
        if staging is not None:
            await staging
    except BaseException:
        if staging is not None:  # keep what was embedded before the failure (a retry resumes after it)
            with contextlib.suppress(Exception):
                await staging
        raise
    if reused:
        log.info("document %s: resumed, %d of %d chunks were embedded already", document_id, reused, len(chunks))
    return vectors


async def _store(
    document_id: uuid.UUID,
    source: _Source,
    chunks: list[Chunk],
    vectors: list[list[float]],
    provider: EmbeddingProvider,
    pages: int,
) -> str:
    rows = [
        KnowledgeChunk(
            tenant_id=source.tenant_id,
            assistant_id=source.assistant_id,
            document_id=document_id,
            ordinal=ordinal,
            content=chunk.content,
            heading=chunk.heading,
            page=chunk.page,
            embedding_model=provider.name,
            embedding_dim=len(vector),
            embedding=vector,
            fts_config=fts_config_for(chunk.content),
        )
        for ordinal, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True))
    ]
    try:
        async with session_scope() as session:
            await session.exec(sa.delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id))
            await session.exec(sa.delete(IngestionBatch).where(IngestionBatch.document_id == document_id))
            session.add_all(rows)
            await session.exec(
                sa.update(Document)
                .where(Document.id == document_id)
                .values(
                    status="ready", progress=1.0, error="", chunk_count=len(rows), page_count=pages, updated_at=utcnow()
                )
            )
    except IntegrityError:  # the document was deleted while we worked
        log.info("document %s vanished during ingestion", document_id)
        return "gone"
    return "ready"
