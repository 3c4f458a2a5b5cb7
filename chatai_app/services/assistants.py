"""Assistants: creation and tenant-scoped lookup (settings grow with the conversation engine)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant
from chatai_app.services.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class AssistantOut:
    id: uuid.UUID
    name: str
    language: str
    embedding_model: str

    @classmethod
    def of(cls, assistant: Assistant) -> AssistantOut:
        return cls(assistant.id, assistant.name, assistant.language, assistant.embedding_model)


async def create_assistant(
    *, session: AsyncSession, tenant_id: uuid.UUID, name: str, language: str = "auto", system_prompt: str = ""
) -> AssistantOut:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationFailed({"name": "Give the assistant a name of 1 to 120 characters"})
    assistant = Assistant(tenant_id=tenant_id, name=name, language=language, system_prompt=system_prompt)
    session.add(assistant)
    await session.flush()
    return AssistantOut.of(assistant)


async def get_assistant(*, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> Assistant:
    """The assistant if it belongs to the tenant; NotFound otherwise (never reveals other tenants' ids)."""
    assistant = await session.get(Assistant, assistant_id)
    if assistant is None or assistant.tenant_id != tenant_id:
        raise NotFound("Assistant not found")
    return assistant


async def list_assistants(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[AssistantOut]:
    stmt = select(Assistant).where(Assistant.tenant_id == tenant_id).order_by(Assistant.created_at)
    return [AssistantOut.of(a) for a in (await session.exec(stmt)).all()]


async def tenant_of_assistant(*, session: AsyncSession, assistant_id: uuid.UUID) -> uuid.UUID:
    """For operator tools (CLI) that address an assistant by id across the platform."""
    assistant = await session.get(Assistant, assistant_id)
    if assistant is None:
        raise NotFound(f"Assistant {assistant_id} not found")
    return assistant.tenant_id
