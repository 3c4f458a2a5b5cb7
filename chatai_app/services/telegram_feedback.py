"""Answer feedback in Telegram: 👍/👎 inline buttons sent with each answer (part of the sendMessage that carries it,
so no extra Bot API call per answer), and the callback_query a press sends.

The button's callback data names the dialog message and carries an HMAC over the bot, the chat and the message,
so a press counts only in the chat the answer was sent to (a forged or replayed data string from another chat
is refused), and the answer must belong to that chat's dialog of the bot's workspace. A press is answered with
answerCallbackQuery, and the keyboard is redrawn to show the choice (editMessageReplyMarkup) when it changed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.i18n_feedback import FEEDBACK_UI
from chatai_app.models import Assistant, Dialog, DialogMessage
from chatai_app.services import events, feedback
from chatai_app.services.errors import DomainError, NotFound
from chatai_app.settings import get_settings

CALLBACK = re.compile(r"^fb:(\d{1,19}):([ud]):([0-9a-f]{16})$")  # at most 42 bytes (Telegram allows 64)
CODES = {"up": "u", "down": "d"}
ICONS = {"up": "👍", "down": "👎"}
CHANNEL = "telegram"


class BotLike(Protocol):
    id: uuid.UUID
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID


def _signature(bot_id: uuid.UUID, chat_id: int, message_id: int) -> str:
    message = f"tg-feedback:{bot_id}:{chat_id}:{message_id}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()[:16]


def callback_data(bot_id: uuid.UUID, chat_id: int, message_id: int, rating: str) -> str:
    return f"fb:{message_id}:{CODES[rating]}:{_signature(bot_id, chat_id, message_id)}"


def keyboard(bot_id: uuid.UUID, chat_id: int, message_id: int, chosen: str | None = None) -> dict[str, Any]:
    """The InlineKeyboardMarkup under an answer; the chosen button is marked with a tick."""
    buttons = [
        {
            "text": ICONS[r] + (" ✓" if r == chosen else ""),
            "callback_data": callback_data(bot_id, chat_id, message_id, r),
        }
        for r in ("up", "down")
    ]
    return {"inline_keyboard": [buttons]}


@dataclass(frozen=True)
class InboundCallback:
    """A button press (callback_query), as plain fields (no aiogram types cross this line)."""

    update_id: int
    callback_id: str
    chat_id: int | None  # None: the message is not known (an inline-mode message)
    telegram_message_id: int | None
    user_id: int
    data: str
    language_code: str = ""


def callback_from_json(update: dict[str, Any]) -> InboundCallback | None:
    query = update.get("callback_query")
    if not isinstance(query, dict) or not isinstance(query.get("id"), str):
        return None
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    user = query.get("from") if isinstance(query.get("from"), dict) else {}
    return InboundCallback(
        update_id=int(update.get("update_id") or 0), callback_id=query["id"],
        chat_id=int(chat["id"]) if isinstance(chat.get("id"), int) else None,
        telegram_message_id=int(message["message_id"]) if isinstance(message.get("message_id"), int) else None,
        user_id=int(user.get("id") or 0), data=str(query.get("data") or ""),
        language_code=str(user.get("language_code") or ""),
    )  # fmt: skip


@dataclass(frozen=True)
class CallbackAnswer:
    text: str  # for answerCallbackQuery
    markup: dict[str, Any] | None  # the redrawn keyboard for editMessageReplyMarkup; None: leave it as it is
    chat_id: int | None
    telegram_message_id: int | None


def _text(key: str, language: str) -> str:
    return FEEDBACK_UI[key]["ru" if language == "ru" else "en"]


def _parse(bot: BotLike, press: InboundCallback) -> tuple[int, str] | None:
    """(dialog message id, rating) when the data is ours and signed for this bot and chat."""
    found = CALLBACK.match(press.data)
    if found is None or press.chat_id is None:
        return None
    message_id = int(found.group(1))
    if not hmac.compare_digest(found.group(3), _signature(bot.id, press.chat_id, message_id)):
        return None
    return message_id, "up" if found.group(2) == "u" else "down"


async def handle_callback(bot: BotLike, press: InboundCallback) -> CallbackAnswer:
    """Record the vote of a 👍/👎 press (changing an earlier one) and say what to answer Telegram."""
    parsed = _parse(bot, press)
    language = press.language_code[:2]
    if parsed is None:
        return CallbackAnswer(_text("fb.tg_gone", language), None, press.chat_id, press.telegram_message_id)
    message_id, rating = parsed
    try:
        async with session_scope() as session:
            assistant = await session.get(Assistant, bot.assistant_id)
            if assistant is not None and assistant.language in ("en", "ru"):
                language = assistant.language
            dialog_id = await _dialog_of(session, bot, press.chat_id or 0, message_id)
            vote = await feedback.record_feedback(
                session=session, tenant_id=bot.tenant_id, dialog_id=dialog_id, message_id=message_id, rating=rating,
                channel=CHANNEL, voter=f"tg:{press.user_id}",
            )  # fmt: skip
    except DomainError:
        return CallbackAnswer(_text("fb.tg_gone", language), None, press.chat_id, press.telegram_message_id)
    if vote.changed:
        await events.publish("feedback.recorded", bot.tenant_id, dialog_id=str(dialog_id), message_id=message_id,
                             rating=rating)  # fmt: skip
    markup = keyboard(bot.id, press.chat_id or 0, message_id, rating) if vote.changed else None
    return CallbackAnswer(_text(f"fb.tg_thanks_{rating}", language), markup, press.chat_id, press.telegram_message_id)


async def _dialog_of(session: AsyncSession, bot: BotLike, chat_id: int, message_id: int) -> uuid.UUID:
    """The dialog of this bot's chat that holds the message (feedback.record_feedback checks the rest)."""
    message = await session.get(DialogMessage, message_id)
    dialog = await session.get(Dialog, message.dialog_id) if message is not None else None
    if (
        dialog is None
        or dialog.tenant_id != bot.tenant_id
        or dialog.channel != CHANNEL
        or dialog.external_chat_id != str(chat_id)
    ):
        raise NotFound("Answer not found in this conversation")
    return dialog.id
