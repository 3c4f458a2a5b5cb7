"""Knowledge gaps (issue 14): what an assistant could not answer or handed to a human, grouped, and one call that
answers a group with a Q&A pair."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chatai_app.api.deps import AssistantsManager, DbSession
from chatai_app.services import knowledge_gaps
from chatai_app.services.assistants import get_assistant

router = APIRouter(prefix="/api/v1", tags=["knowledge gaps"])


class AnswerIn(BaseModel):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=10000)


@router.get("/knowledge-gaps")
async def all_gaps(
    context: AssistantsManager, session: DbSession, limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, Any]]:
    return [
        asdict(g) for g in await knowledge_gaps.list_gaps(session=session, tenant_id=context.tenant_id, limit=limit)
    ]


@router.get("/assistants/{assistant_id}/knowledge-gaps")
async def assistant_gaps(
    assistant_id: uuid.UUID, context: AssistantsManager, session: DbSession, limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, Any]]:
    await get_assistant(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)
    return [
        asdict(g)
        for g in await knowledge_gaps.list_gaps(
            session=session, tenant_id=context.tenant_id, assistant_id=assistant_id, limit=limit
        )
    ]


@router.post("/assistants/{assistant_id}/knowledge-gaps/answer", status_code=201)
async def answer_gap(
    assistant_id: uuid.UUID, body: AnswerIn, context: AssistantsManager, session: DbSession
) -> dict[str, Any]:
    created = await knowledge_gaps.answer_gap(
        session=session,
        tenant_id=context.tenant_id,
        assistant_id=assistant_id,
        question=body.question,
        answer=body.answer,
    )
    return asdict(created)
