"""Telegram as a channel: connecting bots, turning updates into engine calls, the persistent outbox.

Framework-free: the Bot API is reached with httpx here (token checks, webhooks); the bot fleet
(aiogram) receives updates and sends the outbox. Tokens are encrypted at rest and never logged.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import get_async_engine, session_scope
from chatai_app.models import Assistant, BotInstance, DialogMessage, OutboxMessage, TelegramUpdate
from chatai_app.models._base import utcnow
from chatai_app.services import events, plans, telegram_feedback
from chatai_app.services.assistants import get_assistant
from chatai_app.services.conversation import Incoming, handle_incoming
from chatai_app.services.errors import Conflict, DomainError, NotFound, ValidationFailed

__all__ = ["ValidationFailed"]
from chatai_app.services.secrets_box import decrypt, encrypt, hint
from chatai_app.settings import get_settings

TOKEN_RE = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,60}$")
TELEGRAM_LIMIT = 4096
# A message marked `sending` whose sender died before recording the result is sent again only after this:
# Telegram has no idempotency key, so this is the at-least-once window (see README, Telegram).
SENDING_GRACE_S = 45
HTTPS_NEEDED = (
    "Webhook mode needs the app on HTTPS: Telegram refuses http:// webhook URLs. Set PUBLIC_URL to the "
    "https:// address of this app, or use polling"
)
MODES = ("polling", "webhook")
TELEGRAM_UPDATE_TASK = "chatai:telegram_update"
ALLOWED_UPDATES = ["message", "callback_query"]  # callback_query: the 👍/👎 buttons under answers
GREETING = {"en": "Hello! Ask me anything.", "ru": "Здравствуйте! Задайте ваш вопрос."}
NON_TEXT = {
    "en": "Sorry, I can only read text messages for now. Please write your question.",
    "ru": "Извините, пока я понимаю только текстовые сообщения. Напишите, пожалуйста, ваш вопрос.",
}


class TelegramError(DomainError):
    code = "telegram_error"


@dataclass(frozen=True)
class BotOut:
    id: uuid.UUID
    assistant_id: uuid.UUID
    username: str
    token_hint: str
    mode: str
    enabled: bool
    status: str
    last_error: str
    last_update_at: datetime | None = None


def _out(bot: BotInstance) -> BotOut:
    return BotOut(
        bot.id, bot.assistant_id, bot.username, bot.token_hint, bot.mode, bot.enabled, bot.status, bot.last_error,
        bot.last_update_at,
    )  # fmt: skip


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def call_bot_api(token: str, method: str, **params: Any) -> Any:
    """One Bot API call; errors carry Telegram's description, never the token."""
    url = f"{get_settings().telegram_api_url.rstrip('/')}/bot{token}/{method}"
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            response = await client.post(url, json=params)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TelegramError(f"Telegram is unreachable ({type(exc).__name__})") from exc
    if not body.get("ok"):
        raise TelegramError(f"Telegram refused {method}: {body.get('description', response.status_code)}")
    return body["result"]


def webhook_url(bot_id: uuid.UUID) -> str:
    return f"{get_settings().base_url}/telegram/webhook/{bot_id}"


def _require_webhook_allowed() -> None:
    """Telegram only calls https:// webhooks; refuse before asking it (TELEGRAM_ALLOW_HTTP_WEBHOOK: local fakes)."""
    settings = get_settings()
    if not settings.base_url.startswith("https://") and not settings.telegram_allow_http_webhook:
        raise ValidationFailed({"mode": HTTPS_NEEDED})


async def _apply_mode(token: str, bot_id: uuid.UUID, mode: str) -> str:
    """Tell Telegram how the bot receives updates; the webhook secret's hash to store ("" for polling)."""
    if mode == "webhook":
        secret = secrets.token_urlsafe(32)
        await call_bot_api(
            token, "setWebhook", url=webhook_url(bot_id), secret_token=secret, allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )  # fmt: skip
        return _secret_hash(secret)
    await call_bot_api(token, "deleteWebhook")  # while a webhook is set, every getUpdates gets 409
    return ""


async def _release_webhook(bot: BotInstance) -> None:
    """Stop Telegram calling a webhook we no longer serve (pending updates stay with Telegram)."""
    try:
        await call_bot_api(decrypt(bot.token_encrypted), "deleteWebhook")
        bot.last_error = ""
    except TelegramError as exc:  # a revoked token or Telegram down must not keep a bot from being switched off
        bot.last_error = f"The webhook was not released: {exc.message}"[:500]


async def _owned_bot(session: AsyncSession, tenant_id: uuid.UUID, bot_id: uuid.UUID) -> BotInstance:
    bot = await session.get(BotInstance, bot_id, with_for_update=True)
    if bot is None or bot.tenant_id != tenant_id:
        raise NotFound("Bot not found")
    return bot


async def connect_bot(*, tenant_id: uuid.UUID, assistant_id: uuid.UUID, token: str, mode: str = "polling") -> BotOut:
    """Check the token with getMe, store it encrypted, set up the webhook if asked, announce `bot.changed`.

    Everything that can refuse the bot is checked before Telegram is told anything: a refused connect
    (a bot already connected, a plan limit, no HTTPS) must never change how a running bot gets its updates."""
    token = (token or "").strip()
    if not TOKEN_RE.match(token):
        raise ValidationFailed({"token": "This does not look like a bot token from @BotFather (123456:ABC...)"})
    if mode not in MODES:
        raise ValidationFailed({"mode": "Choose polling or webhook"})
    if mode == "webhook":
        _require_webhook_allowed()
    async with session_scope() as session:
        await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        await plans.ensure_within(session=session, tenant_id=tenant_id, resource="bots")
    me = await call_bot_api(token, "getMe")  # read-only: tells us which bot the token belongs to
    bot_id = uuid.uuid4()
    async with session_scope() as session:
        exists = (await session.exec(select(BotInstance.id).where(BotInstance.telegram_bot_id == me["id"]))).first()
        if exists:
            raise Conflict(f"@{me.get('username')} is already connected")
        bot = BotInstance(
            id=bot_id, tenant_id=tenant_id, assistant_id=assistant_id, telegram_bot_id=me["id"],
            username=me.get("username", ""), token_encrypted=encrypt(token), token_hint=hint(token), mode=mode,
            status="starting",
        )  # fmt: skip
        session.add(bot)
        try:
            await session.flush()  # claims the Telegram bot id: a concurrent connect of it waits here, then conflicts
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"@{me.get('username')} is already connected") from exc
        bot.webhook_secret_hash = await _apply_mode(token, bot_id, mode)  # fails: nothing is stored
        session.add(bot)
        out = _out(bot)
    await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="added")
    return out


async def set_enabled(*, tenant_id: uuid.UUID, bot_id: uuid.UUID, enabled: bool) -> BotOut:
    """Enabling re-applies the bot's mode with Telegram (a bot in error recovers); disabling releases its webhook."""
    async with session_scope() as session:
        bot = await _owned_bot(session, tenant_id, bot_id)
        if enabled:
            if bot.mode == "webhook":
                _require_webhook_allowed()
            if not bot.enabled:  # disabled bots do not count toward the plan: coming back must fit it
                await plans.ensure_within(session=session, tenant_id=tenant_id, resource="bots")
            bot.webhook_secret_hash = await _apply_mode(decrypt(bot.token_encrypted), bot.id, bot.mode)
            bot.status, bot.last_error = "starting", ""
        else:
            if bot.mode == "webhook":
                await _release_webhook(bot)
            bot.status = "stopped"
        bot.enabled = enabled
        session.add(bot)
        out = _out(bot)
    await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="enabled" if enabled else "disabled")
    return out


async def set_mode(*, tenant_id: uuid.UUID, bot_id: uuid.UUID, mode: str) -> BotOut:
    """Switch between polling and webhook; Telegram is told at once for an enabled bot, else on enable."""
    if mode not in MODES:
        raise ValidationFailed({"mode": "Choose polling or webhook"})
    if mode == "webhook":
        _require_webhook_allowed()
    async with session_scope() as session:
        bot = await _owned_bot(session, tenant_id, bot_id)
        if bot.mode == mode:
            return _out(bot)
        if bot.enabled:
            bot.webhook_secret_hash = await _apply_mode(decrypt(bot.token_encrypted), bot.id, mode)
            bot.status, bot.last_error = "starting", ""
        else:
            bot.webhook_secret_hash = ""
        bot.mode = mode
        session.add(bot)
        out = _out(bot)
    await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="mode")
    return out


async def remove_bot(*, tenant_id: uuid.UUID, bot_id: uuid.UUID) -> None:
    """Forget a bot: its webhook is released, its outbox and update log go with it, its dialogs stay."""
    async with session_scope() as session:
        bot = await _owned_bot(session, tenant_id, bot_id)
        if bot.mode == "webhook" and bot.enabled:
            await _release_webhook(bot)
        await session.delete(bot)  # the database cascades to its outbox and update log; dialogs keep their history
    await events.publish("bot.changed", tenant_id, bot_id=bot_id, action="removed")


async def list_bots(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[BotOut]:
    stmt = select(BotInstance).where(BotInstance.tenant_id == tenant_id).order_by(BotInstance.created_at)
    return [_out(b) for b in (await session.exec(stmt)).all()]


@dataclass(frozen=True)
class ActiveBot:
    id: uuid.UUID
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID
    username: str
    token: str
    mode: str
    offset: int
    processed_upto: int = -1  # the highest update id on record for the bot when read (-1: none; active_bots)

    def identity(self) -> tuple[object, ...]:
        """What a running bot depends on; a change of it means a restart (the offset is not part of it)."""
        return (self.tenant_id, self.assistant_id, self.username, self.token, self.mode)


@lru_cache(maxsize=16384)
def _token(token_encrypted: str) -> str:
    """The fleet re-reads every bot every few seconds: decrypt each stored token once, not 1,000 times a round."""
    return decrypt(token_encrypted)


async def enabled_bots_fingerprint() -> str:
    """Changes whenever an enabled bot is added, removed or changes what its runner depends on (identity);
    the fleet re-reads (and decrypts) the bots only then, not every few seconds."""
    rows = await _core(
        sa.text(
            "SELECT md5(coalesce(string_agg(concat_ws(':', id, tenant_id, assistant_id, username, mode, "
            "token_encrypted), ',' ORDER BY id), '')) FROM bot_instances WHERE enabled"
        )
    )
    return str(rows[0][0])


async def active_bots() -> list[ActiveBot]:
    """Every enabled bot with its decrypted token (for the fleet process only)."""
    recorded = (
        sa.select(sa.func.coalesce(sa.func.max(TelegramUpdate.update_id), -1))
        .where(TelegramUpdate.bot_instance_id == BotInstance.id)
        .scalar_subquery()
    )
    columns = (BotInstance.id, BotInstance.tenant_id, BotInstance.assistant_id, BotInstance.username,
               BotInstance.token_encrypted, BotInstance.mode, BotInstance.update_offset, recorded)  # fmt: skip
    async with session_scope() as session:
        rows = (await session.exec(select(*columns).where(BotInstance.enabled))).all()
    return [ActiveBot(row[0], row[1], row[2], row[3], _token(row[4]), row[5], row[6], row[7]) for row in rows]


async def record_status(bot_id: uuid.UUID, *, status: str, error: str = "", offset: int | None = None) -> None:
    """A runner's status; a bot switched off meanwhile keeps "stopped" (its offset is still recorded)."""
    values: dict[str, Any] = {
        "status": sa.case((BotInstance.enabled, status), else_=BotInstance.status),
        "last_error": sa.case((BotInstance.enabled, error[:500]), else_=BotInstance.last_error),
    }
    if offset is not None:
        values |= {"update_offset": offset, "last_update_at": utcnow()}
    async with session_scope() as session:
        await session.exec(sa.update(BotInstance).where(BotInstance.id == bot_id).values(**values))


async def _core(*statements: Any) -> Any:
    """Run statements in one transaction on a plain connection (no ORM session: the fleet's hot path runs
    these for every message); the last one's rows, fetched."""
    async with get_async_engine().begin() as conn:
        result = None
        for statement in statements:
            result = await conn.execute(statement)
        return result.all() if result is not None and result.returns_rows else None


async def record_offsets(offsets: dict[uuid.UUID, int]) -> None:
    """Handled-update offsets of many bots in one statement (never moved backwards)."""
    if not offsets:
        return
    values = sa.values(sa.column("id", sa.Uuid), sa.column("offset", sa.BigInteger), name="handled").data(
        sorted(offsets.items())
    )
    await _core(
        sa.update(BotInstance)
        .where(BotInstance.id == values.c.id)
        .values(update_offset=sa.func.greatest(BotInstance.update_offset, values.c.offset), last_update_at=utcnow())
    )


async def bots_with_pending_outbox() -> set[uuid.UUID]:
    """Bots with messages not yet sent or given up (the fleet's sweep; the partial index ix_outbox_pending)."""
    async with session_scope() as session:
        rows = await session.exec(
            select(OutboxMessage.bot_instance_id)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
            .distinct()
        )
        return set(rows.all())


class WebhookRejected(DomainError):
    code = "webhook_rejected"


async def accept_webhook_update(bot_id: uuid.UUID, secret: str | None, body: bytes) -> None:
    """Check the secret token first (strangers get 401 whatever they send), then parse the update and
    queue it for the worker (stored before we answer 200)."""
    from chatai_app.services.jobs import enqueue

    if await verify_webhook_secret(bot_id, secret) is None:
        raise WebhookRejected("wrong or missing X-Telegram-Bot-Api-Secret-Token")
    try:
        update = json.loads(body)
    except ValueError as exc:
        raise ValidationFailed({"body": "expected a JSON update"}) from exc
    if not isinstance(update, dict):
        raise ValidationFailed({"body": "expected a JSON update"})
    if not isinstance(update.get("update_id"), int):
        raise ValidationFailed({"update_id": "an update needs an integer update_id"})
    async with session_scope() as session:
        await enqueue(session=session, task=TELEGRAM_UPDATE_TASK, args={"bot_id": str(bot_id), "update": update},
                      queue="telegram", lock=f"bot:{bot_id}")  # fmt: skip


async def process_webhook_update(bot_id: uuid.UUID, update: dict[str, Any]) -> str:
    async with session_scope() as session:
        bot = await session.get(BotInstance, bot_id)
    if bot is None or not bot.enabled:
        return "gone"
    active = ActiveBot(bot.id, bot.tenant_id, bot.assistant_id, bot.username, "", bot.mode, bot.update_offset)
    inbound = inbound_from_json(update, bot.username)
    if inbound is None:
        press = telegram_feedback.callback_from_json(update)
        if press is None:
            return "ignored"
        await _answer_press(decrypt(bot.token_encrypted), active, press)
        return "feedback"
    outcome = await handle_update(active, inbound)
    await record_status(bot.id, status="running", offset=max(bot.update_offset, inbound.update_id + 1))
    await events.publish("telegram.outbox", bot.tenant_id, bot_id=bot.id)
    return outcome


async def _answer_press(token: str, bot: ActiveBot, press: telegram_feedback.InboundCallback) -> None:
    """A 👍/👎 press that came by webhook: record it, answer it, redraw the keyboard (Telegram's refusal of either
    call, e.g. a query too old to answer, loses nothing: the vote is stored)."""
    answer = await telegram_feedback.handle_callback(bot, press)
    try:
        await call_bot_api(token, "answerCallbackQuery", callback_query_id=press.callback_id, text=answer.text)
        if answer.markup and answer.chat_id is not None and answer.telegram_message_id is not None:
            await call_bot_api(token, "editMessageReplyMarkup", chat_id=answer.chat_id,
                               message_id=answer.telegram_message_id, reply_markup=answer.markup)  # fmt: skip
    except TelegramError:
        return


async def verify_webhook_secret(bot_id: uuid.UUID, secret: str | None) -> ActiveBot | None:
    async with session_scope() as session:
        bot = await session.get(BotInstance, bot_id)
    if bot is None or not bot.enabled or bot.mode != "webhook" or not secret:
        return None
    if not secrets.compare_digest(bot.webhook_secret_hash, _secret_hash(secret)):
        return None
    return ActiveBot(bot.id, bot.tenant_id, bot.assistant_id, bot.username, "", bot.mode, bot.update_offset)


@dataclass(frozen=True)
class InboundMessage:
    """What the adapter extracted from a Telegram update (no aiogram types cross this line)."""

    update_id: int
    chat_id: int
    chat_type: str = "private"
    text: str | None = None
    user_name: str = ""
    mentions_bot: bool = False
    language_code: str = ""


def inbound_from_json(update: dict[str, Any], bot_username: str) -> InboundMessage | None:
    """Plain fields from a Bot API Update (webhook JSON or a parsed polling update); None if not a message."""
    message = update.get("message")
    if not isinstance(message, dict) or "chat" not in message:
        return None
    text = message.get("text")
    mention = f"@{bot_username}".lower()
    replied = ((message.get("reply_to_message") or {}).get("from") or {}).get("username") == bot_username
    user = message.get("from") or {}
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return InboundMessage(
        update_id=int(update["update_id"]), chat_id=int(message["chat"]["id"]),
        chat_type=message["chat"].get("type", "private"), text=text, user_name=name,
        mentions_bot=bool(bot_username) and (replied or (isinstance(text, str) and mention in text.lower())),
        language_code=str(user.get("language_code") or ""),
    )  # fmt: skip


# Where a long reply may be cut, best first: a paragraph, a line, a sentence end, a word (group 1 is dropped).
_BREAKS = (
    re.compile(r"(\n[ \t]*\n\s*)"),
    re.compile(r"(\n\s*)"),
    re.compile(r"(?<=[.!?…])[\"'»”)\]]*(\s+)"),
    re.compile(r"(\s+)"),
)


def _cut(text: str, limit: int) -> tuple[int, int]:
    """(end of this piece, start of the next one) for a text longer than `limit`."""
    window = text[: limit + 1]  # a break right after the limit still leaves a full piece
    for pattern in _BREAKS:
        cuts = [(m.start(1), m.end(1)) for m in pattern.finditer(window) if limit // 2 < m.start(1) <= limit]
        if cuts:
            return cuts[-1]
    return limit, limit


def split_for_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, else a line, a sentence, a word boundary."""
    pieces, rest = [], text.strip()
    while len(rest) > limit:
        end, start = _cut(rest, limit)
        pieces.append(rest[:end].rstrip())
        rest = rest[start:].lstrip()
    return [*pieces, rest] if rest else pieces


def _outbox_insert(
    bot: ActiveBot, chat_id: int, message_id: int | None, text: str, *, rated: bool = False
) -> Any | None:
    """Outbox rows for one message; `rated`: an assistant answer, whose last part carries the 👍/👎 buttons."""
    rows = [
        {"tenant_id": bot.tenant_id, "bot_instance_id": bot.id, "chat_id": chat_id, "dialog_message_id": message_id,
         "part": part, "payload": {"text": piece}, "attempts": 0, "last_error": ""}
        for part, piece in enumerate(split_for_telegram(text))
    ]  # fmt: skip
    if not rows:
        return None
    if rated and message_id is not None:
        rows[-1]["payload"]["reply_markup"] = telegram_feedback.keyboard(bot.id, chat_id, message_id)
    stmt = insert(OutboxMessage).values(rows)
    if message_id is not None:
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["bot_instance_id", "dialog_message_id", "part"],
            index_where=sa.text("dialog_message_id IS NOT NULL"),
        )
    return stmt


async def _enqueue(bot: ActiveBot, chat_id: int, message_id: int | None, text: str) -> None:
    if (stmt := _outbox_insert(bot, chat_id, message_id, text)) is not None:
        async with session_scope() as session:
            await session.exec(stmt)


async def enqueue_reply(
    bot: ActiveBot, chat_id: int, message_id: int, text: str, *, session: AsyncSession | None = None
) -> None:
    """Queue a stored dialog message (AI or operator) for delivery, once per message; in the caller's
    transaction when a session is given, so the message and its delivery commit together."""
    if session is None:
        await _enqueue(bot, chat_id, message_id, text)
    elif (stmt := _outbox_insert(bot, chat_id, message_id, text)) is not None:
        await session.exec(stmt)


async def _reply_after(user_message_id: int) -> tuple[int, str] | None:
    """The reply already stored for a message the engine saw before (a redelivered update)."""
    async with session_scope() as session:
        user_message = await session.get(DialogMessage, user_message_id)
        if user_message is None:
            return None
        row = (
            await session.exec(
                select(DialogMessage.id, DialogMessage.content)
                .where(DialogMessage.dialog_id == user_message.dialog_id, DialogMessage.id > user_message_id,
                       DialogMessage.role.in_(("assistant", "system")))
                .order_by(DialogMessage.id)
                .limit(1)
            )
        ).first()  # fmt: skip
    return (row[0], row[1]) if row else None


async def _language(bot: ActiveBot, message: InboundMessage) -> str:
    """The assistant's fixed language, else the user's Telegram language, else English."""
    async with session_scope() as session:
        assistant = await session.get(Assistant, bot.assistant_id)
    if assistant and assistant.language in GREETING:
        return assistant.language
    return message.language_code[:2] if message.language_code[:2] in GREETING else "en"


def _processed(bot: ActiveBot, update_id: int) -> Any:
    return (
        insert(TelegramUpdate)
        .values(bot_instance_id=bot.id, update_id=update_id, tenant_id=bot.tenant_id, processed_at=utcnow())
        .on_conflict_do_update(index_elements=["bot_instance_id", "update_id"], set_={"processed_at": utcnow()})
    )


async def _already_processed(bot: ActiveBot, update_id: int) -> bool:
    rows = await _core(
        sa.select(TelegramUpdate.processed_at).where(
            TelegramUpdate.bot_instance_id == bot.id, TelegramUpdate.update_id == update_id
        )
    )
    return bool(rows) and rows[0][0] is not None


async def handle_update(bot: ActiveBot, message: InboundMessage, *, never_seen: bool = False) -> str:
    """Engine call plus outbox for one update, safe to repeat: a redelivered update never answers twice.
    The reply's outbox rows and the update's `processed` mark commit together, in one transaction.
    `never_seen`: the caller knows no one handled this update before (an id above every id on record when it
    took the bot, and above every one it has handled since), so the processed check is skipped."""
    if not never_seen and await _already_processed(bot, message.update_id):
        return "duplicate"
    outcome, reply = await _dispatch(bot, message)
    rated = outcome == "answered"  # the assistant's answer: 👍/👎 under it
    queued = _outbox_insert(bot, message.chat_id, reply[0], reply[1], rated=rated) if reply is not None else None
    await _core(*([queued] if queued is not None else []), _processed(bot, message.update_id))
    return outcome


async def _dispatch(bot: ActiveBot, message: InboundMessage) -> tuple[str, tuple[int | None, str] | None]:
    """The outcome and the reply to queue (dialog message id or None, text)."""
    if message.chat_type != "private" and not message.mentions_bot:
        return "ignored", None  # in groups the bot speaks only when addressed
    if message.text is None:
        return "non_text", (None, NON_TEXT[await _language(bot, message)])
    text = message.text.replace(f"@{bot.username}", "").strip() if bot.username else message.text.strip()
    if text.startswith("/start"):
        async with session_scope() as session:
            assistant = await session.get(Assistant, bot.assistant_id)
        greeting = (assistant.greeting if assistant else "") or GREETING[await _language(bot, message)]
        return "greeted", (None, greeting)
    result = await handle_incoming(
        Incoming(bot.tenant_id, bot.assistant_id, "telegram", str(message.chat_id), text or message.text,
                 channel_message_id=f"tg:{message.update_id}", end_user_name=message.user_name, bot_instance_id=bot.id),
        resume_unanswered=True,  # one fleet holds a bot, so a redelivery is never concurrent with the first try
    )  # fmt: skip
    reply = (result.reply_message_id, result.reply_text) if result.reply_message_id else None
    if result.outcome == "duplicate":
        reply = await _reply_after(result.user_message_id)
    return result.outcome, (reply if reply and reply[1] else None)


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    chat_id: int
    text: str
    attempts: int
    reply_markup: dict[str, Any] | None = None  # the 👍/👎 buttons under an answer


async def next_outgoing(bot_id: uuid.UUID, limit: int = 30) -> list[OutgoingMessage]:
    """Messages due now, oldest first; a chat whose oldest message must wait holds back its later ones."""
    return (await outgoing_round(bot_id, limit))[0]


async def outgoing_round(bot_id: uuid.UUID, limit: int = 30) -> tuple[list[OutgoingMessage], float | None]:
    """Messages due now, oldest first, and in how many seconds the first held-back one falls due (None: none).

    A chat whose oldest message must wait (a retry delay) holds back its later ones. A message still marked
    `sending` waits too: its sender may be mid-call, or died after Telegram took it. After SENDING_GRACE_S it
    is sent again (at least once: Telegram has no idempotency key)."""
    o = OutboxMessage
    rows = await _core(
        sa.select(o.id, o.chat_id, o.payload, o.attempts, o.not_before, o.sending_at)
        .where(o.bot_instance_id == bot_id, o.sent_at.is_(None), o.failed_at.is_(None))
        .order_by(o.id)
        .limit(limit * 4)
    )
    now, held, due = utcnow(), set(), []
    unsettled = now - timedelta(seconds=SENDING_GRACE_S)
    waits: list[float] = []
    for row in rows:
        if row.chat_id in held:
            continue
        if row.not_before is not None and row.not_before > now:
            waits.append((row.not_before - now).total_seconds())
        elif row.sending_at is not None and row.sending_at > unsettled:
            waits.append((row.sending_at - unsettled).total_seconds())
        else:
            due.append(OutgoingMessage(row.id or 0, row.chat_id, row.payload["text"], row.attempts,
                                       row.payload.get("reply_markup")))  # fmt: skip
            continue
        held.add(row.chat_id)
    if len(due) > limit or len(rows) == limit * 4:
        waits.append(0.0)  # more than one round's worth: come back at once
    return due[:limit], (max(min(waits), 0.0) if waits else None)


async def mark_sending(outbox_id: int) -> None:
    """Before the call to Telegram: from here until the result is recorded, a crash may duplicate it."""
    await _core(sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(sending_at=utcnow()))


async def mark_sent(outbox_id: int, telegram_message_id: int | None = None) -> None:
    await _core(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(sent_at=utcnow(), telegram_message_id=telegram_message_id)
    )


async def mark_retry(outbox_id: int, *, delay_s: float, error: str, give_up: bool = False) -> None:
    """Telegram refused or could not be reached: try again after `delay_s`, or give up (the reason is kept).
    Until then the chat's later messages wait, so a long reply never arrives out of order."""
    values: dict[str, Any] = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": error[:500],
        "sending_at": None,
        "not_before": sa.func.now() + sa.text(f"interval '{max(delay_s, 0):.3f} seconds'"),
    }
    if give_up:
        values["failed_at"] = utcnow()
    await _core(sa.update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))
