"""JSON API: assistants, their documents (upload, status, re-index, delete), websites, Q&A pairs and search."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as StarletteUploadFile

from chatai_app.api.deps import AssistantsManager, AssistantsReader, DbSession
from chatai_app.api.web_security import BodyTooLarge
from chatai_app.services import assistants
from chatai_app.services.errors import ValidationFailed
from chatai_app.services.knowledge import documents, qa, retrieval, websites
from chatai_app.settings import get_settings

router = APIRouter(prefix="/api/v1/assistants", tags=["knowledge"])


class AssistantIn(BaseModel):
    name: str = Field(max_length=1000)
    language: Literal["auto", "en", "ru"] = "auto"
    system_prompt: str = Field(default="", max_length=20000)


class EmbeddingModelIn(BaseModel):
    embedding_model: str = Field(
        max_length=120, description="'' for the offline default, or 'openai:<model>' for OPENAI_BASE_URL"
    )


class WebsiteIn(BaseModel):
    url: str = Field(max_length=2000, description="the start page; the crawl stays on its host")
    sitemap_url: str = Field(default="", max_length=2000, description="optional; else robots.txt's or /sitemap.xml")
    max_pages: int = Field(default=50, ge=1, le=websites.MAX_PAGES_LIMIT)
    max_depth: int = Field(default=2, ge=0, le=websites.MAX_DEPTH_LIMIT)
    recrawl_hours: int = Field(default=0, ge=0, le=24 * 90, description="re-crawl every N hours; 0 = on demand")


class QAIn(BaseModel):
    question: str = Field(max_length=5000)
    answer: str = Field(max_length=20000)


@router.post("", status_code=201)
async def create_assistant(
    body: AssistantIn, context: AssistantsManager, session: DbSession
) -> assistants.AssistantOut:
    return await assistants.create_assistant(session=session, tenant_id=context.tenant_id, **body.model_dump())


@router.get("")
async def list_assistants(context: AssistantsReader, session: DbSession) -> list[assistants.AssistantOut]:
    return await assistants.list_assistants(session=session, tenant_id=context.tenant_id)


@router.get("/{assistant_id}/footprint")
async def assistant_footprint(
    assistant_id: uuid.UUID, context: AssistantsReader, session: DbSession
) -> assistants.Footprint:
    """What deleting the assistant would remove: documents, Q&A pairs, Telegram bots, dialogs."""
    return await assistants.footprint(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)


@router.delete("/{assistant_id}")
async def delete_assistant(assistant_id: uuid.UUID, context: AssistantsManager) -> assistants.Footprint:
    """Delete the assistant with its documents, Q&A pairs, Telegram bots and dialogs (transcripts included);
    the ledger keeps its charges. Frees a slot of the plan. Archive instead to keep the dialogs."""
    return await assistants.delete_assistant(tenant_id=context.tenant_id, assistant_id=assistant_id)


@router.post("/{assistant_id}/archive", status_code=204)
async def archive_assistant(assistant_id: uuid.UUID, context: AssistantsManager) -> None:
    """Stop answering on the widget and Telegram (bots switched off); knowledge and dialogs are kept."""
    await assistants.set_archived(tenant_id=context.tenant_id, assistant_id=assistant_id, archived=True)


@router.post("/{assistant_id}/restore", status_code=204)
async def restore_assistant(assistant_id: uuid.UUID, context: AssistantsManager) -> None:
    await assistants.set_archived(tenant_id=context.tenant_id, assistant_id=assistant_id, archived=False)


@router.put("/{assistant_id}/embedding-model", status_code=202)
async def change_embedding_model(
    assistant_id: uuid.UUID, body: EmbeddingModelIn, context: AssistantsManager, session: DbSession
) -> dict[str, int]:
    """Switch the model; every document and Q&A pair is re-embedded (documents through the job queue)."""
    queued = await documents.change_embedding_model(
        session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, model=body.embedding_model
    )
    return {"documents_queued": queued}


FILE_FORM = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}}}}},
    }
}  # fmt: skip


async def _uploaded_file(request: Request, limit: int) -> tuple[str, bytes]:
    """The multipart field `file`, read only after the caller is authenticated (the route's dependencies run
    first because it declares no form parameters); at most limit+1 bytes are read."""
    try:
        form = await request.form(max_files=1, max_fields=4)
    except BodyTooLarge:
        raise
    except Exception as exc:  # a malformed multipart body
        raise ValidationFailed({"file": "Send the file as multipart/form-data in the field `file`"}) from exc
    upload = form.get("file")
    if not isinstance(upload, StarletteUploadFile):
        raise ValidationFailed({"file": "Send the file as multipart/form-data in the field `file`"})
    return upload.filename or "", await upload.read(limit + 1)


@router.post("/{assistant_id}/documents", status_code=201, openapi_extra=FILE_FORM)
async def upload_document(
    assistant_id: uuid.UUID, request: Request, context: AssistantsManager, session: DbSession
) -> documents.DocumentOut:
    limit = get_settings().max_upload_bytes
    filename, data = await _uploaded_file(request, limit)
    return await documents.add_document(
        session=session,
        tenant_id=context.tenant_id,
        assistant_id=assistant_id,
        filename=filename,
        data=data,
        max_bytes=limit,
    )


@router.get("/{assistant_id}/documents")
async def list_documents(
    assistant_id: uuid.UUID, context: AssistantsReader, session: DbSession
) -> list[documents.DocumentOut]:
    return await documents.list_documents(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)


@router.post("/{assistant_id}/documents/{document_id}/reindex", status_code=202)
async def reindex_document(
    assistant_id: uuid.UUID, document_id: uuid.UUID, context: AssistantsManager, session: DbSession
) -> documents.DocumentOut:
    return await documents.reindex_document(session=session, tenant_id=context.tenant_id, document_id=document_id)


@router.delete("/{assistant_id}/documents/{document_id}", status_code=204)
async def delete_document(
    assistant_id: uuid.UUID, document_id: uuid.UUID, context: AssistantsManager, session: DbSession
) -> None:
    await documents.delete_document(session=session, tenant_id=context.tenant_id, document_id=document_id)


@router.get("/{assistant_id}/search")
async def search(
    assistant_id: uuid.UUID,
    context: AssistantsReader,
    session: DbSession,
    q: str = Query(min_length=1, max_length=2000),
    k: int = Query(default=5, ge=1, le=50),
    mode: Literal["hybrid", "fts", "vector"] = "hybrid",
) -> list[dict[str, object]]:
    hits = await retrieval.search(
        session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, query=q, k=k, mode=mode
    )
    return [hit.as_dict() for hit in hits]


@router.get("/{assistant_id}/qa")
async def list_qa(assistant_id: uuid.UUID, context: AssistantsReader, session: DbSession) -> list[qa.QAOut]:
    return await qa.list_qa(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)


@router.post("/{assistant_id}/qa", status_code=201)
async def create_qa(assistant_id: uuid.UUID, body: QAIn, context: AssistantsManager, session: DbSession) -> qa.QAOut:
    return await qa.create_qa(
        session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, **body.model_dump()
    )


@router.put("/{assistant_id}/qa/{qa_id}")
async def update_qa(
    assistant_id: uuid.UUID, qa_id: uuid.UUID, body: QAIn, context: AssistantsManager, session: DbSession
) -> qa.QAOut:
    return await qa.update_qa(session=session, tenant_id=context.tenant_id, qa_id=qa_id, **body.model_dump())


@router.delete("/{assistant_id}/qa/{qa_id}", status_code=204)
async def delete_qa(assistant_id: uuid.UUID, qa_id: uuid.UUID, context: AssistantsManager, session: DbSession) -> None:
    await qa.delete_qa(session=session, tenant_id=context.tenant_id, qa_id=qa_id)


@router.post("/{assistant_id}/qa/import", openapi_extra=FILE_FORM)
async def import_qa(
    assistant_id: uuid.UUID, request: Request, context: AssistantsManager, session: DbSession
) -> qa.ImportReport:
    _, data = await _uploaded_file(request, 2 * 2**20)
    if len(data) > 2 * 2**20:
        raise ValidationFailed({"file": "a Q&A CSV may be at most 2 MB"})
    return await qa.import_qa_csv(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, data=data)


@router.post("/{assistant_id}/websites", status_code=202)
async def add_website(
    assistant_id: uuid.UUID, body: WebsiteIn, context: AssistantsManager, session: DbSession
) -> dict[str, object]:
    """Import a website: the job worker crawls it (robots.txt, one request per second, same host) and indexes each
    page as a document whose source link is its URL. Follow the progress with GET .../websites/{source_id}."""
    source = await websites.add_website(
        session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, **body.model_dump()
    )
    return source.as_dict()


@router.get("/{assistant_id}/websites")
async def list_websites(
    assistant_id: uuid.UUID, context: AssistantsReader, session: DbSession
) -> list[dict[str, object]]:
    listed = await websites.list_sources(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)
    return [s.as_dict() for s in listed]


@router.get("/{assistant_id}/websites/{source_id}")
async def get_website(
    assistant_id: uuid.UUID, source_id: uuid.UUID, context: AssistantsReader, session: DbSession
) -> dict[str, object]:
    return (await websites.get_source(session=session, tenant_id=context.tenant_id, source_id=source_id)).as_dict()


@router.post("/{assistant_id}/websites/{source_id}/recrawl", status_code=202)
async def recrawl_website(
    assistant_id: uuid.UUID, source_id: uuid.UUID, context: AssistantsManager, session: DbSession
) -> dict[str, object]:
    """Crawl again: changed pages are re-indexed, new ones added, removed ones dropped."""
    return (await websites.recrawl(session=session, tenant_id=context.tenant_id, source_id=source_id)).as_dict()


@router.delete("/{assistant_id}/websites/{source_id}", status_code=204)
async def delete_website(
    assistant_id: uuid.UUID, source_id: uuid.UUID, context: AssistantsManager, session: DbSession
) -> None:
    """The website and every page imported from it leave the knowledge."""
    await websites.delete_source(session=session, tenant_id=context.tenant_id, source_id=source_id)
