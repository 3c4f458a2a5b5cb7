"""Assistants: creation and tenant-scoped lookup (settings grow with the conversation engine)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, BotInstance, Dialog, Document, QAPair
from chatai_app.models._base import utcnow
from chatai_app.services import handoff, plans, system_settings, widget
from chatai_app.services.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class AssistantOut:
    id: uuid.UUID
    name: str
    language: str
    embedding_model: str
    archived: bool = False

    @classmethod
    def of(cls, assistant: Assistant) -> AssistantOut:
        return cls(assistant.id, assistant.name, assistant.language, assistant.embedding_model, not assistant.is_active)


async def create_assistant(
    *, session: AsyncSession, tenant_id: uuid.UUID, name: str, language: str = "auto", system_prompt: str = ""
) -> AssistantOut:
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= 120 or "\x00" in name:
        errors["name"] = "Give the assistant a name of 1 to 120 characters"
    if language not in LANGUAGES:
        errors["language"] = "auto, en or ru"
    if len(system_prompt or "") > 20000 or "\x00" in (system_prompt or ""):
        errors["system_prompt"] = "Use at most 20,000 characters, no NUL characters"
    if errors:
        raise ValidationFailed(errors)
    await plans.ensure_within(session=session, tenant_id=tenant_id, resource="assistants")
    assistant = Assistant(tenant_id=tenant_id, name=name, language=language, system_prompt=system_prompt,
                          handoff_settings=await system_settings.handoff_defaults(session=session))  # fmt: skip
    session.add(assistant)
    await session.flush()
    return AssistantOut.of(assistant)


PROVIDERS = ("offline", "openai")
TONES = ("friendly", "formal", "concise", "playful", "neutral")
LANGUAGES = ("auto", "en", "ru")
EDITABLE = (
    "name", "system_prompt", "tone", "language", "provider", "model", "temperature", "max_tokens",
    "knowledge_enabled", "citations_enabled", "greeting", "handoff_keywords", "handoff_settings", "widget_settings",
    "strictness",
)  # fmt: skip
STRICTNESS = ("strict", "balanced", "lenient")


def _settings_errors(changes: dict[str, Any]) -> dict[str, str]:
    checks = {
        "name": lambda v: isinstance(v, str) and 1 <= len(v.strip()) <= 120,
        "system_prompt": lambda v: isinstance(v, str) and len(v) <= 20000,
        "tone": lambda v: v in TONES,
        "language": lambda v: v in LANGUAGES,
        "provider": lambda v: v in PROVIDERS,
        "model": lambda v: isinstance(v, str) and 1 <= len(v) <= 120,
        "temperature": lambda v: isinstance(v, int | float | Decimal) and 0 <= float(v) <= 2,
        "max_tokens": lambda v: isinstance(v, int) and 16 <= v <= 16000,
        "knowledge_enabled": lambda v: isinstance(v, bool),
        "citations_enabled": lambda v: isinstance(v, bool),
        "greeting": lambda v: isinstance(v, str) and len(v) <= 2000,
        "handoff_keywords": lambda v: isinstance(v, list) and all(isinstance(k, str) and 0 < len(k) <= 60 for k in v),
        "handoff_settings": lambda v: handoff.validate_settings(v) is None,
        "widget_settings": lambda v: widget.validate_settings(v) is None,
        "strictness": lambda v: v in STRICTNESS,
    }
    messages = {
        "name": "1 to 120 characters", "tone": f"one of {', '.join(TONES)}", "language": "auto, en or ru",
        "provider": "offline or openai", "temperature": "a number from 0 to 2", "max_tokens": "16 to 16000",
        "handoff_keywords": "a list of words or phrases (up to 60 characters each)",
        "strictness": "strict, balanced or lenient",
    }  # fmt: skip
    unknown = {k: "not a setting of an assistant" for k in changes if k not in checks}
    bad = {k: messages.get(k, "invalid value") for k, v in changes.items() if k in checks and not checks[k](v)}
    validators = {"handoff_settings": handoff.validate_settings, "widget_settings": widget.validate_settings}
    for key, validate in validators.items():
        if key in bad:
            bad[key] = validate(changes[key]) or bad[key]
    return unknown | bad


async def update_assistant(
    *, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID, changes: dict[str, Any]
) -> Assistant:
    """Apply settings; running channels pick them up from the `assistant.updated` event."""
    if errors := _settings_errors(changes):
        raise ValidationFailed(errors)
    assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    if changes.get("provider") == "offline" and "model" not in changes:
        changes = {**changes, "model": "offline-extractive"}
    for key, value in changes.items():
        setattr(assistant, key, value.strip() if key == "name" else value)
    assistant.updated_at = utcnow()
    session.add(assistant)
    await session.flush()
    return assistant


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


async def apply_settings(*, tenant_id: uuid.UUID, assistant_id: uuid.UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """Update and commit, then announce `assistant.updated` so channels reload without a restart."""
    from chatai_app.db import session_scope
    from chatai_app.services import events

    async with session_scope() as session:
        assistant = await update_assistant(
            session=session, tenant_id=tenant_id, assistant_id=assistant_id, changes=changes
        )
        out = settings_of(assistant)
    await events.publish("assistant.updated", tenant_id, assistant_id=assistant_id, fields=sorted(changes))
    return out


def settings_of(assistant: Assistant) -> dict[str, Any]:
    values = {key: getattr(assistant, key) for key in EDITABLE}
    values["temperature"] = float(values["temperature"])
    return {"id": str(assistant.id), **values}


@dataclass(frozen=True)
class Footprint:
    """What goes with an assistant when it is deleted (shown in the confirmation)."""

    documents: int
    qa_pairs: int
    bots: int
    dialogs: int


async def footprint(*, session: AsyncSession, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> Footprint:
    await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    counts = []
    for table in (Document, QAPair, BotInstance, Dialog):
        stmt = sa.select(sa.func.count()).select_from(table).where(
            table.tenant_id == tenant_id, table.assistant_id == assistant_id
        )
        counts.append(int((await session.exec(stmt)).one()[0]))
    return Footprint(*counts)


async def set_archived(*, tenant_id: uuid.UUID, assistant_id: uuid.UUID, archived: bool) -> None:
    """Archive: the assistant stops answering on the widget and Telegram (its bots are switched off), keeps its
    knowledge and dialogs, and still counts toward the plan. Restore switches it back on (bots stay off until
    the owner enables them)."""
    from chatai_app.db import session_scope
    from chatai_app.services import events

    async with session_scope() as session:
        assistant = await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        assistant.is_active, assistant.updated_at = not archived, utcnow()
        session.add(assistant)
        bots = []
        if archived:
            bots = list(
                (
                    await session.exec(
                        sa.update(BotInstance)
                        .where(BotInstance.tenant_id == tenant_id, BotInstance.assistant_id == assistant_id)
                        .values(enabled=False)
                        .returning(BotInstance.id)
                    )
                ).scalars()
            )
    await events.publish("assistant.updated", tenant_id, assistant_id=assistant_id, fields=["is_active"])
    for bot_id in bots:
        await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="disabled")


async def delete_assistant(*, tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> Footprint:
    """Delete the assistant with everything that belongs to it: documents and their chunks, Q&A pairs, its
    Telegram bots (disconnected) and its dialogs with their transcripts. Ledger rows stay (money history is
    never deleted). Frees a slot of the plan. Returns what was removed."""
    from chatai_app.db import session_scope
    from chatai_app.services import events

    async with session_scope() as session:
        removed = await footprint(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        bots = list(
            (
                await session.exec(
                    sa.select(BotInstance.id).where(
                        BotInstance.tenant_id == tenant_id, BotInstance.assistant_id == assistant_id
                    )
                )
            ).scalars()
        )
        await session.exec(sa.delete(Assistant).where(Assistant.id == assistant_id, Assistant.tenant_id == tenant_id))
    for bot_id in bots:
        await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="removed")
    await events.publish("assistant.deleted", tenant_id, assistant_id=assistant_id)
    return removed
