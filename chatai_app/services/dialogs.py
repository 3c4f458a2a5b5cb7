"""Dialogs for the web UI and API: filtered lists, transcripts, text search (tenant-scoped)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, Dialog, DialogMessage
from chatai_app.services.assistant_scope import AssistantScope, check_dialog, dialog_condition
from chatai_app.services.errors import NotFound


@dataclass(frozen=True)
class DialogFilter:
    channel: str | None = None
    status: str | None = None
    assistant_id: uuid.UUID | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class DialogOut:
    id: uuid.UUID
    assistant_id: uuid.UUID
    assistant_name: str
    channel: str
    external_chat_id: str
    end_user_name: str
    status: str
    last_message_at: datetime | None
    last_error: str
    preview: str


@dataclass(frozen=True)
class MessageOut:
    id: int
    role: str
    content: str
    status: str
    sources: list[dict[str, Any]]
    prompt_tokens: int
    completion_tokens: int
    cost_minor: int
    created_at: datetime
    trace: dict[str, Any] | None = None  # a reply's stage times (services/tracing.py)


def _filtered(tenant_id: uuid.UUID, filters: DialogFilter, assistants: AssistantScope = None) -> sa.Select:
    last_message = (
        select(DialogMessage.content)
        .where(DialogMessage.dialog_id == Dialog.id)
        .order_by(DialogMessage.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(Dialog, Assistant.name, last_message)
        .join(Assistant, Assistant.id == Dialog.assistant_id)
        .where(Dialog.tenant_id == tenant_id, dialog_condition(assistants))
    )
    conditions = {
        "channel": lambda v: Dialog.channel == v,
        "status": lambda v: Dialog.status == v,
        "assistant_id": lambda v: Dialog.assistant_id == v,
        "since": lambda v: Dialog.last_message_at >= v,
        "until": lambda v: Dialog.last_message_at < v,
    }
    for name, condition in conditions.items():
        if (value := getattr(filters, name)) is not None:
            stmt = stmt.where(condition(value))
    if filters.text:  # trigram index on dialog_messages.content makes this fast
        escaped = filters.text.replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        matching = select(DialogMessage.dialog_id).where(
            DialogMessage.tenant_id == tenant_id, DialogMessage.content.ilike(pattern)
        )
        stmt = stmt.where(Dialog.id.in_(matching))
    return stmt


async def list_dialogs(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    filters: DialogFilter = DialogFilter(),
    limit: int = 50,
    assistants: AssistantScope = None,
) -> list[DialogOut]:
    stmt = _filtered(tenant_id, filters, assistants).order_by(Dialog.last_message_at.desc().nulls_last()).limit(limit)
    return [
        DialogOut(d.id, d.assistant_id, name, d.channel, d.external_chat_id, d.end_user_name, d.status,
                  d.last_message_at, d.last_error, (preview or "")[:140])
        for d, name, preview in (await session.exec(stmt)).all()
    ]  # fmt: skip


async def transcript(
    *, session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> list[MessageOut]:
    dialog = await session.get(Dialog, dialog_id)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Dialog not found")
    check_dialog(dialog, assistants)
    stmt = select(DialogMessage).where(DialogMessage.dialog_id == dialog_id).order_by(DialogMessage.id)
    return [
        MessageOut(m.id or 0, m.role, m.content, m.status, m.sources, m.prompt_tokens, m.completion_tokens,
                   m.cost_minor, m.created_at, m.trace)
        for m in (await session.exec(stmt)).all()
    ]  # fmt: skip
