"""The operators' inbox: the queue, take / reply / release / close, notes, canned replies, typing.

Every function is scoped by the tenant of the acting operator; state changes are audited (handoff
module), committed, then announced on the event bus for live pages, the widget and the bot fleet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import Assistant, CannedReply, Dialog, DialogMessage, DialogStatus, User
from chatai_app.services import delivery, events, handoff
from chatai_app.services.assistant_scope import AssistantScope, check_dialog, dialog_condition
from chatai_app.services.errors import Conflict, NotFound, ValidationFailed

MAX_TEXT = 4000
VIEWS = ("queue", "mine", "active", "all")


@dataclass(frozen=True)
class InboxItem:
    id: uuid.UUID
    assistant_name: str
    channel: str
    user: str
    contact: str
    status: str
    priority: int
    waiting_since: datetime | None
    last_message_at: datetime | None
    unread: int
    operator_name: str
    preview: str
    operator_id: uuid.UUID | None = None
    visitor_no: int = 0  # "Visitor 17": the dialog's number in the workspace, for visitors without a name
    language: str = ""
    page: str = ""


@dataclass(frozen=True)
class CannedOut:
    id: uuid.UUID
    title: str
    content: str


def _checked_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed({field: f"Write 1 to {MAX_TEXT} characters"})
    return text


def _client_id(client_message_id: str) -> str | None:
    value = (client_message_id or "").strip()
    if not value:
        return None
    if len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
        raise ValidationFailed({"message_id": "Use up to 64 letters, digits, - or _"})
    return f"op:{value}"


def _view_condition(view: str, operator_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return {
        "queue": Dialog.status == DialogStatus.waiting,
        "mine": sa.and_(Dialog.status == DialogStatus.operator, Dialog.assigned_operator_id == operator_id),
        "active": Dialog.status.in_((DialogStatus.waiting, DialogStatus.operator)),
        "all": sa.true(),
    }[view]


async def list_inbox(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    operator_id: uuid.UUID,
    view: str = "queue",
    limit: int = 100,
    assistants: AssistantScope = None,
) -> list[InboxItem]:
    """The queue is ordered by priority, then by how long each dialog has waited; other views by recency."""
    if view not in VIEWS:
        raise ValidationFailed({"view": f"one of {', '.join(VIEWS)}"})
    last_visible = (
        select(DialogMessage.content)
        .where(DialogMessage.dialog_id == Dialog.id, DialogMessage.role != "note")
        .order_by(DialogMessage.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(Dialog, Assistant.name, sa.func.coalesce(User.full_name, User.email), last_visible, _visitor_no())
        .join(Assistant, Assistant.id == Dialog.assistant_id)
        .outerjoin(User, User.id == Dialog.assigned_operator_id)
        .where(Dialog.tenant_id == tenant_id, _view_condition(view, operator_id), dialog_condition(assistants))
    )
    if view == "queue":
        stmt = stmt.order_by(Dialog.priority.desc(), Dialog.handoff_requested_at)
    else:
        stmt = stmt.order_by(Dialog.last_message_at.desc().nulls_last())
    return [
        InboxItem(d.id, name, d.channel, _who(d), d.end_user_contact, d.status,
                  d.priority, d.handoff_requested_at, d.last_message_at, d.unread_count, operator or "",
                  (preview or "")[:120], d.assigned_operator_id, int(number or 0), "",
                  str((d.meta or {}).get("page", "")))
        for d, name, operator, preview, number in (await session.exec(stmt.limit(limit))).all()
    ]  # fmt: skip


def _visitor_no() -> sa.ScalarSelect:
    earlier = sa.orm.aliased(Dialog)
    return (
        select(sa.func.count())
        .select_from(earlier)
        .where(earlier.tenant_id == Dialog.tenant_id, earlier.created_at <= Dialog.created_at)
        .scalar_subquery()
    )


def _who(dialog: Dialog) -> str:
    """The end user's name or contact once given; '' for an anonymous visitor (the page shows "Visitor N")."""
    return dialog.end_user_name or dialog.end_user_contact or ""


async def earlier_dialogs(*, session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, limit: int = 10,
                          assistants: AssistantScope = None) -> list[InboxItem]:  # fmt: skip
    """The same person's other dialogs (same chat on the channel, or the same contact)."""
    dialog = await session.get(Dialog, dialog_id)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Dialog not found")
    check_dialog(dialog, assistants)
    same = sa.and_(Dialog.channel == dialog.channel, Dialog.external_chat_id == dialog.external_chat_id)
    if dialog.end_user_contact:
        same = sa.or_(same, Dialog.end_user_contact == dialog.end_user_contact)
    stmt = (
        select(Dialog).where(Dialog.tenant_id == tenant_id, Dialog.id != dialog_id, same, dialog_condition(assistants))
        .order_by(Dialog.last_message_at.desc().nulls_last()).limit(limit)
    )  # fmt: skip
    return [
        InboxItem(d.id, "", d.channel, _who(d), d.end_user_contact, d.status, d.priority, d.handoff_requested_at,
                  d.last_message_at, d.unread_count, "", "", d.assigned_operator_id)
        for d in (await session.exec(stmt)).all()
    ]  # fmt: skip


async def counts(
    *, session: AsyncSession, tenant_id: uuid.UUID, operator_id: uuid.UUID, assistants: AssistantScope = None
) -> dict[str, int]:
    """Sizes of the queue and of my dialogs, and unread messages in them (for badges and the title)."""
    mine = sa.and_(Dialog.status == DialogStatus.operator, Dialog.assigned_operator_id == operator_id)
    waiting = Dialog.status == DialogStatus.waiting
    row = (
        await session.exec(
            select(
                sa.func.count().filter(waiting),
                sa.func.count().filter(mine),
                sa.func.coalesce(sa.func.sum(Dialog.unread_count).filter(sa.or_(waiting, mine)), 0),
            ).where(Dialog.tenant_id == tenant_id, dialog_condition(assistants))
        )
    ).one()
    return {"queue": int(row[0]), "mine": int(row[1]), "unread": int(row[2])}


async def _operator_name(session: AsyncSession, operator_id: uuid.UUID) -> str:
    user = await session.get(User, operator_id)
    return (user.full_name or user.email.split("@")[0]) if user else "Operator"


async def take_dialog(
    *, tenant_id: uuid.UUID, operator_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> None:
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id, assistants)
        if dialog.status == DialogStatus.operator and dialog.assigned_operator_id == operator_id:
            return
        handoff.take(session, dialog, operator_id=operator_id)
        dialog.unread_count = 0
        name = await _operator_name(session, operator_id)
        notice = await delivery.notify(session, dialog, "operator_joined", name=name)
    await delivery.announce(dialog, notice.id, "handoff.taken")


async def release_dialog(
    *, tenant_id: uuid.UUID, operator_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> None:
    """Back to the AI, which answers the next message."""
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id, assistants)
        handoff.release(session, dialog, operator_id=operator_id)
        notice = await delivery.notify(session, dialog, "released")
    await delivery.announce(dialog, notice.id, "handoff.released")


async def close_dialog(
    *, tenant_id: uuid.UUID, operator_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> None:
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id, assistants)
        handoff.close(session, dialog, operator_id=operator_id)
        notice = await delivery.notify(session, dialog, "closed")
    await delivery.announce(dialog, notice.id, "dialog.updated")


async def reply(
    *,
    tenant_id: uuid.UUID,
    operator_id: uuid.UUID,
    dialog_id: uuid.UUID,
    text: str,
    client_message_id: str = "",
    assistants: AssistantScope = None,
) -> int:
    """The operator answers on the dialog's own channel; replying to a waiting dialog takes it. With a
    `client_message_id` (the composer's id of this message) a repeated send returns the stored reply and
    delivers nothing again."""
    text = _checked_text(text)
    channel_id = _client_id(client_message_id)
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id, assistants)  # the lock orders repeats
        if channel_id is not None:
            existing = (
                await session.exec(
                    select(DialogMessage.id).where(
                        DialogMessage.dialog_id == dialog_id, DialogMessage.channel_message_id == channel_id
                    )
                )
            ).first()
            if existing is not None:
                return int(existing)
        if dialog.status == DialogStatus.operator and dialog.assigned_operator_id not in (None, operator_id):
            raise Conflict("Another operator is handling this dialog")
        took = dialog.status == DialogStatus.waiting
        if took:
            handoff.take(session, dialog, operator_id=operator_id)
        dialog.unread_count = 0
        message = await delivery.add_message(session, dialog, "operator", text, author=operator_id)
        if channel_id is not None:
            message.channel_message_id = channel_id
            session.add(message)
            await session.flush()
        await delivery.deliver(session, dialog, message)
    await delivery.announce(dialog, message.id, *(("handoff.taken",) if took else ()))
    assert message.id is not None
    return message.id


async def add_note(
    *, tenant_id: uuid.UUID, operator_id: uuid.UUID, dialog_id: uuid.UUID, text: str, assistants: AssistantScope = None
) -> int:
    """An internal note: colleagues see it, the end user never does."""
    text = _checked_text(text)
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id, assistants)
        message = await delivery.add_message(session, dialog, "note", text, author=operator_id)
    await events.publish("message.created", tenant_id, dialog_id=dialog_id, message_id=message.id, note=True)
    assert message.id is not None
    return message.id


async def mark_read(
    *, session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> None:
    await session.exec(
        sa.update(Dialog)
        .where(Dialog.id == dialog_id, Dialog.tenant_id == tenant_id, dialog_condition(assistants))
        .values(unread_count=0)
    )


async def dialog_header(
    *, session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> InboxItem:
    dialog = await session.get(Dialog, dialog_id)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Dialog not found")
    check_dialog(dialog, assistants)
    assistant = await session.get(Assistant, dialog.assistant_id)
    operator = await _operator_name(session, dialog.assigned_operator_id) if dialog.assigned_operator_id else ""
    earlier = sa.orm.aliased(Dialog)
    number = (
        await session.exec(
            select(sa.func.count()).select_from(earlier)
            .where(earlier.tenant_id == tenant_id, earlier.created_at <= dialog.created_at)
        )
    ).one()  # fmt: skip
    return InboxItem(
        dialog.id, assistant.name if assistant else "", dialog.channel, _who(dialog), dialog.end_user_contact,
        dialog.status, dialog.priority, dialog.handoff_requested_at, dialog.last_message_at, dialog.unread_count,
        operator, "", dialog.assigned_operator_id, int(number), await delivery.dialog_language(session, dialog),
        str((dialog.meta or {}).get("page", "")),
    )  # fmt: skip


async def typing(*, tenant_id: uuid.UUID, dialog_id: uuid.UUID, actor: str) -> None:
    """Not stored: a hint for the other side that someone is writing."""
    await events.publish("typing", tenant_id, dialog_id=dialog_id, actor=actor)


async def canned_replies(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[CannedOut]:
    stmt = select(CannedReply).where(CannedReply.tenant_id == tenant_id).order_by(CannedReply.title)
    return [CannedOut(c.id, c.title, c.content) for c in (await session.exec(stmt)).all()]


async def add_canned_reply(*, session: AsyncSession, tenant_id: uuid.UUID, title: str, content: str) -> CannedOut:
    title = (title or "").strip()
    errors = {} if 1 <= len(title) <= 80 else {"title": "1 to 80 characters"}
    try:
        content = _checked_text(content, "content")
    except ValidationFailed as exc:
        errors |= exc.fields
    if errors:
        raise ValidationFailed(errors)
    canned = CannedReply(tenant_id=tenant_id, title=title, content=content)
    session.add(canned)
    await session.flush()
    return CannedOut(canned.id, canned.title, canned.content)


async def delete_canned_reply(*, session: AsyncSession, tenant_id: uuid.UUID, canned_id: uuid.UUID) -> None:
    result = await session.exec(
        sa.delete(CannedReply).where(CannedReply.id == canned_id, CannedReply.tenant_id == tenant_id)
    )
    if result.rowcount == 0:
        raise NotFound("Canned reply not found")


async def expire_waiting_dialogs() -> int:
    """The periodic sweep: notify end users whose wait timed out (AI resumes or the offline form)."""
    async with session_scope() as session:
        expired = await handoff.expire_waiting(session=session)
        notices: list[tuple[Dialog, int | None]] = []
        for item in expired:
            dialog = await session.get(Dialog, item.dialog_id)
            assert dialog is not None
            notice = await delivery.notify(session, dialog, "timeout_ai" if item.action == "ai" else "timeout_form")
            notices.append((dialog, notice.id))
    for dialog, notice_id in notices:
        await delivery.announce(dialog, notice_id, "handoff.timeout")
    return len(notices)
