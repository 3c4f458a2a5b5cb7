"""An operator's reply: stored in the dialog, published, and delivered on the dialog's channel
(Telegram through the same persistent outbox as the AI's replies)."""

from __future__ import annotations

import uuid

from chatai_app.db import session_scope
from chatai_app.models import BotInstance, Dialog, DialogMessage
from chatai_app.models._base import utcnow
from chatai_app.services import events
from chatai_app.services.errors import NotFound, ValidationFailed
from chatai_app.services.telegram import ActiveBot, enqueue_reply


async def reply_as_operator(*, tenant_id: uuid.UUID, operator_id: uuid.UUID, dialog_id: uuid.UUID, text: str) -> int:
    text = (text or "").strip()
    if not text or len(text) > 4000:
        raise ValidationFailed({"text": "Write 1 to 4000 characters"})
    async with session_scope() as session:
        dialog = await session.get(Dialog, dialog_id)
        if dialog is None or dialog.tenant_id != tenant_id:
            raise NotFound("Dialog not found")
        message = DialogMessage(tenant_id=tenant_id, dialog_id=dialog_id, role="operator", content=text,
                                author_user_id=operator_id)  # fmt: skip
        session.add(message)
        dialog.last_message_at, dialog.unread_count = utcnow(), 0
        session.add(dialog)
        await session.flush()
        message_id = message.id
        bot = await session.get(BotInstance, dialog.bot_instance_id) if dialog.bot_instance_id else None
        channel, chat = dialog.channel, dialog.external_chat_id
    assert message_id is not None
    if channel == "telegram" and bot is not None:
        active = ActiveBot(bot.id, bot.tenant_id, bot.assistant_id, bot.username, "", bot.mode, bot.update_offset)
        await enqueue_reply(active, int(chat), message_id, text)
        await events.publish("telegram.outbox", tenant_id, bot_id=bot.id)
    await events.publish("message.created", tenant_id, dialog_id=dialog_id, message_id=message_id)
    return message_id
