"""Messages from the platform side (operators, notices) stored in the dialog and delivered on its channel:
Telegram through the persistent outbox; the widget and the inbox follow `message.created` events."""

from __future__ import annotations

import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, BotInstance, Dialog, DialogMessage
from chatai_app.models._base import utcnow
from chatai_app.services import events
from chatai_app.services.prompting import question_language
from chatai_app.services.telegram import ActiveBot, enqueue_reply

NOTICES = {
    "operator_joined": {"en": "{name} joined the conversation.", "ru": "{name} подключился к разговору."},
    "released": {
        "en": "The operator has left the conversation; the assistant will keep helping you.",
        "ru": "Оператор завершил разговор, дальше вам поможет ассистент.",
    },
    "timeout_ai": {
        "en": "All operators are busy right now, so the assistant will keep helping you.",
        "ru": "Сейчас все операторы заняты, поэтому вам продолжит помогать ассистент.",
    },
    "timeout_form": {
        "en": "All operators are busy right now. Leave your name and a contact, and we will get back to you.",
        "ru": "Сейчас все операторы заняты. Оставьте имя и контакт, и мы с вами свяжемся.",
    },
    "contact_left": {
        "en": "Thank you! An operator will contact you at {contact}.",
        "ru": "Спасибо! Оператор свяжется с вами: {contact}.",
    },
    "closed": {
        "en": "The conversation is closed. Write again any time.",
        "ru": "Разговор завершён. Пишите в любое время.",
    },
}


async def dialog_language(session: AsyncSession, dialog: Dialog) -> str:
    assistant = await session.get(Assistant, dialog.assistant_id)
    last_user_text = (
        await session.exec(
            select(DialogMessage.content)
            .where(DialogMessage.dialog_id == dialog.id, DialogMessage.role == "user")
            .order_by(DialogMessage.id.desc())
            .limit(1)
        )
    ).first()
    return question_language(last_user_text or "", assistant.language if assistant else "auto")


def notice_text(key: str, language: str, **values: str) -> str:
    return NOTICES[key][language if language in ("en", "ru") else "en"].format(**values)


async def add_message(
    session: AsyncSession, dialog: Dialog, role: str, text: str, *, author: uuid.UUID | None = None
) -> DialogMessage:
    message = DialogMessage(tenant_id=dialog.tenant_id, dialog_id=dialog.id, role=role, content=text,
                            author_user_id=author)  # fmt: skip
    session.add(message)
    dialog.last_message_at = utcnow()
    session.add(dialog)
    await session.flush()
    return message


async def deliver(session: AsyncSession, dialog: Dialog, message: DialogMessage) -> None:
    """Queue an end-user-visible message for the dialog's channel (in the caller's transaction)."""
    if dialog.channel != "telegram" or dialog.bot_instance_id is None:
        return
    bot = await session.get(BotInstance, dialog.bot_instance_id)
    if bot is None:
        return
    active = ActiveBot(bot.id, bot.tenant_id, bot.assistant_id, bot.username, "", bot.mode, bot.update_offset)
    assert message.id is not None
    await enqueue_reply(active, int(dialog.external_chat_id), message.id, message.content, session=session)


async def announce(dialog: Dialog, message_id: int | None, *event_types: str) -> None:
    """After commit: wake the bot fleet (Telegram) and every live page following this dialog."""
    if dialog.channel == "telegram" and dialog.bot_instance_id is not None and message_id is not None:
        await events.publish("telegram.outbox", dialog.tenant_id, bot_id=dialog.bot_instance_id)
    if message_id is not None:
        await events.publish("message.created", dialog.tenant_id, dialog_id=dialog.id, message_id=message_id)
    for event_type in event_types:
        await events.publish(event_type, dialog.tenant_id, dialog_id=dialog.id, status=dialog.status)


async def notify(session: AsyncSession, dialog: Dialog, key: str, **values: str) -> DialogMessage:
    """A system notice in the end user's language, stored and queued for the dialog's channel."""
    language = await dialog_language(session, dialog)
    notice = await add_message(session, dialog, "system", notice_text(key, language, **values))
    await deliver(session, dialog, notice)
    return notice
