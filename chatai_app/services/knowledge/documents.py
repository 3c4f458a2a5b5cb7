"""Documents of an assistant: add (screen, store, enqueue in one transaction), list, re-index, delete."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Document, DocumentFile
from chatai_app.models._base import utcnow
from chatai_app.services import plans
from chatai_app.services.assistants import get_assistant
from chatai_app.services.errors import Conflict, NotFound, ValidationFailed
from chatai_app.services.jobs import enqueue_ingestion
from chatai_app.services.knowledge.embeddings import provider_for
from chatai_app.services.knowledge.qa import reembed_all
from chatai_app.services.knowledge.uploads import screen_upload

DEFAULT_MAX_UPLOAD_BYTES = 10 * 2**20


@dataclass(frozen=True)
class DocumentOut:
    id: uuid.UUID
    assistant_id: uuid.UUID
    filename: str
    status: str
    progress: float
    error: str
    size_bytes: int
    page_count: int
    chunk_count: int
    created_at: datetime
    source_url: str = ""  # a website page's address

    @classmethod
    def of(cls, d: Document) -> DocumentOut:
        return cls(
            d.id,
            d.assistant_id,
            d.filename,
            d.status,
            d.progress,
            d.error,
            d.size_bytes,
            d.page_count,
            d.chunk_count,
            d.created_at,
            d.source_url or "",
        )


async def add_document(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    assistant_id: uuid.UUID,
    filename: str,
    data: bytes,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> DocumentOut:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    screened = screen_upload(filename, data, max_bytes=max_bytes)
    content_hash = hashlib.sha256(data).hexdigest()
    await _refuse_duplicate(session, assistant_id, content_hash, screened.display_name)
    await plans.ensure_within(session=session, tenant_id=tenant_id, resource="documents")
    document = Document(
        tenant_id=tenant_id,
        assistant_id=assistant_id,
        filename=screened.display_name,
        mime_type=screened.mime_type,
        size_bytes=len(data),
        content_hash=content_hash,
        storage_key=screened.kind,
    )
    try:
        async with session.begin_nested():
            session.add(document)
            await session.flush()
            session.add(DocumentFile(document_id=document.id, tenant_id=tenant_id, content=data))
            await enqueue_ingestion(session=session, document_id=str(document.id))
    except IntegrityError as exc:  # a concurrent upload of the same bytes won the race
        raise Conflict(f"{screened.display_name} is already in this knowledge base") from exc
    return DocumentOut.of(document)


async def _refuse_duplicate(session: AsyncSession, assistant_id: uuid.UUID, content_hash: str, name: str) -> None:
    stmt = select(Document.filename).where(Document.assistant_id == assistant_id, Document.content_hash == content_hash)
    if existing := (await session.exec(stmt)).first():
        raise Conflict(f"{name} has the same content as {existing}, which is already in this knowledge base")


async def list_documents(*, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> list[DocumentOut]:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    stmt = (
        select(Document)
        .where(Document.tenant_id == tenant_id, Document.assistant_id == assistant_id)
        .order_by(Document.created_at.desc())
    )
    return [DocumentOut.of(d) for d in (await session.exec(stmt)).all()]


async def get_documents(*, session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[DocumentOut]:
    stmt = select(Document).where(Document.tenant_id == tenant_id, Document.id.in_(ids))
    return [DocumentOut.of(d) for d in (await session.exec(stmt)).all()]


async def _owned(session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID) -> Document:
    document = await session.get(Document, document_id)
    if document is None or document.tenant_id != tenant_id:
        raise NotFound("Document not found")
    return document


async def reindex_document(*, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID) -> DocumentOut:
    """Extract, chunk and embed again (after a model change or a failure); old chunks serve until then."""
    document = await _owned(session, tenant_id, document_id)
    if document.status in ("pending", "processing"):
        raise Conflict(f"{document.filename} is already being indexed")
    document.status, document.progress, document.error, document.updated_at = "pending", 0.0, "", utcnow()
    session.add(document)
    await enqueue_ingestion(session=session, document_id=str(document.id))
    return DocumentOut.of(document)


async def delete_document(*, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """The document, its file and its chunks go together (ON DELETE CASCADE)."""
    document = await _owned(session, tenant_id, document_id)
    await session.exec(sa.delete(Document).where(Document.id == document.id))


async def change_embedding_model(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, model: str
) -> int:
    """Switch the assistant's embedding model and re-embed everything; returns the documents queued."""
    try:
        provider_for(model)
    except ValueError as exc:
        raise ValidationFailed({"embedding_model": str(exc)}) from exc
    assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    assistant.embedding_model = model
    session.add(assistant)
    await reembed_all(session=session, tenant_id=tenant_id, assistant_id=assistant_id, embedding_model=model)
    documents = (
        await session.exec(
            select(Document).where(Document.assistant_id == assistant_id, Document.tenant_id == tenant_id)
        )
    ).all()
    for document in documents:
        document.status, document.progress, document.updated_at = "pending", 0.0, utcnow()
        session.add(document)
        await enqueue_ingestion(session=session, document_id=str(document.id))
    return len(documents)
