"""The conversation engine: the single entry for every channel's incoming message.

idempotency -> store -> handoff check -> billing authorization -> retrieval -> prompt -> LLM (streamed,
retried) -> store reply with sources and usage -> charge -> publish events. No network I/O inside a transaction;
a failure is recorded on the dialog and the user's message, stored first, is never lost.

Two transactions carry a turn (issue 16): the intake (store the message, read what decides the turn - blocked
workspace, operator, keyword, repeated question, the history - and reserve the reply's price; the user's message
commits even when the reservation does not fit) and the reply (stored with its charge, its trace and the count of
unanswered replies in a row). Other paths (notices, handoff, small talk, LLM failure) add their own.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.models import Assistant, AuditLog, Dialog, DialogMessage, DialogStatus
from chatai_app.models._base import utcnow
from chatai_app.services import (
    admin_console,
    billing,
    capacity,
    events,
    handoff,
    key_pool,
    plans,
    presence,
    smalltalk,
)  # fmt: skip
from chatai_app.services.assistants import get_assistant
from chatai_app.services.early_embeddings import Conversation, EarlyEmbeddings
from chatai_app.services.errors import ValidationFailed
from chatai_app.services.knowledge import relevance, retrieval
from chatai_app.services.llm import Completion, LLMProvider, LLMUnavailable, Prompt, provider_for
from chatai_app.services.prompting import build_prompt, question_language
from chatai_app.services.tracing import mark, mark_stored, recording, row
from chatai_app.settings import get_settings

log = logging.getLogger(__name__)
_early_embeddings = EarlyEmbeddings()
MAX_TEXT = 4000
RETRY_DELAYS_S = (0.5, 1.5)  # three attempts in all
HISTORY_MESSAGES = 20
CHANNELS = ("telegram", "widget", "api", "playground")
APOLOGY = {
    "en": "Sorry, I cannot answer right now. Please try again in a few minutes.",
    "ru": "Извините, сейчас я не могу ответить. Попробуйте, пожалуйста, через несколько минут.",
}
HANDOFF_NOTICE = {
    "en": "I am connecting you with an operator. Please wait a moment.",
    "ru": "Соединяю вас с оператором. Пожалуйста, подождите.",
}
OFFLINE_NOTICE = {
    "en": "No operator is online right now: leave your name and an e-mail or phone, and we will get back to you.",
    "ru": "Сейчас нет операторов в сети: оставьте имя и e-mail или телефон, и мы с вами свяжемся.",
}
NO_FUNDS_NOTICE = {
    "en": "The assistant is unavailable at the moment. Please try again later.",
    "ru": "Ассистент сейчас недоступен. Пожалуйста, попробуйте позже.",
}


class StreamSink:
    """Receives the reply as it is generated; `reset` discards a partial answer before a retry."""

    async def delta(self, text: str) -> None:
        return None

    async def reset(self) -> None:
        return None


@dataclass(frozen=True)
class Incoming:
    tenant_id: uuid.UUID
    assistant_id: uuid.UUID
    channel: str
    external_chat_id: str
    text: str
    channel_message_id: str | None = None
    end_user_name: str = ""
    bot_instance_id: uuid.UUID | None = None
    meta: dict[str, str] = field(default_factory=dict)  # what the channel knows of the end user (widget: page)


@dataclass
class TurnResult:
    dialog_id: uuid.UUID
    user_message_id: int
    outcome: str  # answered | duplicate | handoff | with_operator | no_funds | fallback
    reply_message_id: int | None = None
    reply_text: str = ""
    sources: list[dict[str, object]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_minor: int = 0
    elapsed_ms: float = 0.0
    llm_ms: float = 0.0  # time spent waiting on the model, so platform overhead = elapsed_ms - llm_ms
    handoff_message_id: int | None = None  # a fallback handoff notice stored after the reply


@dataclass(frozen=True)
class _Stored:
    dialog_id: uuid.UUID
    message_id: int
    duplicate: bool
    dialog_status: str
    assistant: Assistant  # loaded (and tenant-checked) once per message


@dataclass
class _Decision:
    """What the intake transaction decided for a new message, with what it read for the reply."""

    action: str  # blocked | with_operator | keyword | repeated | no_funds | reply
    language: str
    keyword: str = ""
    refusal: billing.InsufficientFunds | plans.PlanLimitReached | None = None
    price: int = 0  # reserved
    turn_key: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)  # billing.Account.settings
    lease: key_pool.Lease | None = None  # the settings endpoint when no provider key serves the model


def _validate(incoming: Incoming) -> str:
    text = (incoming.text or "").strip()
    errors = {}
    if not text:
        errors["text"] = "The message is empty"
    elif "\x00" in text:
        errors["text"] = "The message may not contain NUL characters"
    elif len(text) > MAX_TEXT:
        errors["text"] = f"The message is longer than {MAX_TEXT} characters"
    if incoming.channel not in CHANNELS:
        errors["channel"] = f"Unknown channel {incoming.channel!r}"
    if not incoming.external_chat_id or len(incoming.external_chat_id) > 128:
        errors["external_chat_id"] = "A chat id of 1 to 128 characters is required"
    if errors:
        raise ValidationFailed(errors)
    return text


def _bound(model: type[SQLModel], *names: str) -> dict[str, sa.BindParameter[Any]]:
    """Placeholders `v_<name>` typed as `model`'s columns: the hot statements of a turn are built once, not on
    every message (building them was ~40% of SQLAlchemy's time a turn; issue 16)."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    return {name: sa.bindparam(f"v_{name}", type_=columns[name].type) for name in names}


def _values(**values: object) -> dict[str, object]:
    """The parameters of a statement built with `_bound`."""
    return {f"v_{name}": value for name, value in values.items()}


_DIALOG_UPSERT = (
    select(Dialog)
    .from_statement(
        insert(Dialog)
        .values(**_bound(Dialog, "id", "tenant_id", "assistant_id", "channel", "external_chat_id", "bot_instance_id",
                         "end_user_name", "meta"),
                status=str(DialogStatus.ai), priority=0, unread_count=0, last_error="")
        .on_conflict_do_update(constraint="uq_dialogs_channel_chat", set_={"status": Dialog.status})
        .returning(Dialog)
    )
    .execution_options(populate_existing=True)
)  # fmt: skip


async def _dialog_for(session: AsyncSession, incoming: Incoming) -> Dialog:
    """The conversation's dialog, created on its first message, locked until the transaction ends (the no-op
    update of an existing one takes the row lock: one statement)."""
    values = _values(
        id=uuid.uuid4(), tenant_id=incoming.tenant_id, assistant_id=incoming.assistant_id, channel=incoming.channel,
        external_chat_id=incoming.external_chat_id, bot_instance_id=incoming.bot_instance_id,
        end_user_name=incoming.end_user_name[:200], meta=dict(incoming.meta),
    )  # fmt: skip
    return (await session.exec(_DIALOG_UPSERT, params=values)).scalar_one()  # type: ignore[call-overload]


async def _store_incoming(session: AsyncSession, incoming: Incoming, text: str) -> _Stored:
    assistant = await get_assistant(session=session, tenant_id=incoming.tenant_id, assistant_id=incoming.assistant_id)
    dialog = await _dialog_for(session, incoming)
    values = _values(tenant_id=dialog.tenant_id, dialog_id=dialog.id, content=text,
                     channel_message_id=incoming.channel_message_id, last_message_at=utcnow())  # fmt: skip
    message_id = (await session.exec(_INCOMING_INSERT, params=values)).scalar_one_or_none()  # type: ignore[call-overload]
    if message_id is None:  # the channel delivered this message before
        existing = await session.exec(
            select(DialogMessage.id).where(
                DialogMessage.dialog_id == dialog.id,
                DialogMessage.channel_message_id == incoming.channel_message_id,
            )
        )
        return _Stored(dialog.id, existing.one(), True, dialog.status, assistant)
    status = DialogStatus.ai if dialog.status == DialogStatus.closed else dialog.status  # a message reopens it
    return _Stored(dialog.id, message_id, False, status, assistant)


def _incoming_insert() -> sa.Select[tuple[int]]:
    """The user's message (unless the channel delivered it before) and, with it, the dialog marked unread and
    reopened when closed: one statement (they were two; issue 16)."""
    message = _bound(DialogMessage, "tenant_id", "dialog_id", "content", "channel_message_id")
    inserted = (
        insert(DialogMessage)
        .values(**message, role="user", status="ok", sources=[], prompt_tokens=0, completion_tokens=0, cost_minor=0)
        .on_conflict_do_nothing(index_elements=["dialog_id", "channel_message_id"],
                                index_where=sa.text("channel_message_id IS NOT NULL"))
        .returning(DialogMessage.id)
        .cte("inserted")
    )  # fmt: skip
    reopened = sa.case((Dialog.status == DialogStatus.closed, sa.literal(str(DialogStatus.ai))), else_=Dialog.status)
    touched = (
        sa.update(Dialog)
        .where(Dialog.id == message["dialog_id"], sa.exists(sa.select(inserted.c.id)))
        .values(last_message_at=_bound(Dialog, "last_message_at")["last_message_at"],
                unread_count=Dialog.unread_count + 1, status=reopened)
        .cte("touched")
    )  # fmt: skip
    return sa.select(inserted.c.id).add_cte(touched)


_INCOMING_INSERT = _incoming_insert()


async def _save_message(
    dialog_id: uuid.UUID, tenant_id: uuid.UUID, role: str, text: str, *, status: str = "ok", error: str | None = None
) -> int:
    async with session_scope() as session:
        message = DialogMessage(tenant_id=tenant_id, dialog_id=dialog_id, role=role, content=text, status=status,
                                trace=row(status))  # fmt: skip
        session.add(message)
        values: dict[str, object] = {"last_message_at": utcnow()}
        if error is not None:
            values["last_error"] = error[:500]
        await session.exec(sa.update(Dialog).where(Dialog.id == dialog_id).values(**values))
        await session.flush()
        assert message.id is not None
        return message.id


_RECENT = (
    select(DialogMessage.role, DialogMessage.content)
    .where(DialogMessage.dialog_id == sa.bindparam("dialog_id"), DialogMessage.id < sa.bindparam("before_id"),
           DialogMessage.role.in_(("user", "assistant", "operator")), DialogMessage.status == "ok")
    .order_by(DialogMessage.id.desc())
    .limit(HISTORY_MESSAGES)
)  # fmt: skip


async def _recent(session: AsyncSession, dialog_id: uuid.UUID, before_id: int) -> list[tuple[str, str]]:
    """The conversation before a message, newest first: (role, text)."""
    rows = (await session.exec(_RECENT, params={"dialog_id": dialog_id, "before_id": before_id})).all()  # type: ignore[call-overload]
    return [(role, content) for role, content in rows]


def _history(recent: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("user" if role == "user" else "assistant", content) for role, content in reversed(recent)]


async def _retrieve(assistant: Assistant, text: str, early: retrieval.QueryVector | None) -> list[retrieval.Hit]:
    if not assistant.knowledge_enabled:
        return []
    async with session_scope() as session:
        return await retrieval.search(
            session=session, tenant_id=assistant.tenant_id, assistant_id=assistant.id, query=text, k=4, early=early
        )


async def _complete_with_retries(
    assistant: Assistant, prompt: Prompt, sink: StreamSink, lease: key_pool.Lease | None = None
) -> Completion:
    """The offline answerer; or the key pool: the next key after a 429/5xx/timeout within this turn, the settings
    endpoint retried with backoff (key_pool.complete); LLMUnavailable (NoUsableKey too) when nothing answered.
    `lease`: the settings endpoint, when the intake found no key for the model."""

    async def ask(provider: LLMProvider) -> Completion:
        return await provider.complete(
            prompt, model=assistant.model, temperature=float(assistant.temperature),
            max_tokens=assistant.max_tokens, on_delta=sink.delta,
        )  # fmt: skip

    if assistant.provider == "offline":
        return await ask(provider_for("offline"))
    return await key_pool.complete(
        tenant_id=assistant.tenant_id, model=assistant.model, on_failure=sink.reset, retry_delays_s=RETRY_DELAYS_S,
        call=lambda lease: ask(provider_for(assistant.provider, api_key=lease.api_key, base_url=lease.base_url)),
        first=lease,
    )  # fmt: skip


def _sources(hits: list[retrieval.Hit], cited: list[int] | None = None) -> list[dict[str, object]]:
    """The knowledge shown with a reply: every hit, or only those the model cited (its verdict)."""
    return [
        {"n": n, "kind": h.kind, "document_id": h.document_id, "document": h.document_name, "page": h.page,
         "url": h.url, "text": h.text[:300], "score": round(h.score, 5)}
        for n, h in enumerate(hits, start=1)
        if cited is None or n in cited
    ]  # fmt: skip


def _shown_sources(assistant: Assistant, completion: Completion, hits: list[retrieval.Hit]) -> list[dict[str, object]]:
    if not (assistant.citations_enabled and completion.answered):
        return []
    return _sources(hits, completion.cited)


def _missed(completion: Completion) -> bool:
    """A reply that did not answer: nothing relevant found, or the model says it cannot help."""
    return not completion.answered or handoff.says_cannot_help(completion.text)


async def _store_reply(
    assistant: Assistant, dialog_id: uuid.UUID, completion: Completion, hits: list[retrieval.Hit],
    decision: _Decision, channel: str,
) -> tuple[int, int, int]:  # fmt: skip
    """The reply and its charge commit together; a reply that was never stored is never charged. With them, the
    dialog's unanswered replies in a row (returned with the reply's id and cost)."""
    async with session_scope() as session:
        sources = _shown_sources(assistant, completion, hits)
        message = DialogMessage(
            tenant_id=assistant.tenant_id, dialog_id=dialog_id, role="assistant", content=completion.text,
            sources=sources, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
            status="ok" if completion.answered else "no_answer", cost_minor=decision.price,
        )  # fmt: skip
        tokens = completion.prompt_tokens + completion.completion_tokens
        extra = await billing.price_of_tokens(
            session=session, model=assistant.model, tokens=tokens, settings=decision.settings
        )
        if not extra:  # the price reserved before the reply was generated: the reply, its trace and the dialog's
            message.trace = row(message.status, charged=True)  # count of misses in one statement
            values = _values(**{name: getattr(message, name) for name in _REPLY_COLUMNS}, last_message_at=utcnow())
            stored = (await session.exec(_REPLY_INSERTS[_missed(completion)], params=values)).one()  # type: ignore[call-overload]
            return stored[0], message.cost_minor, stored[1]
        session.add(message)
        await session.flush()
        assert message.id is not None
        await _charge_tokens(session, assistant, message, extra, tokens, decision, channel)
        misses = await _count_miss(session, dialog_id, _missed(completion))
        return message.id, message.cost_minor, misses


_REPLY_COLUMNS = ("tenant_id", "dialog_id", "role", "content", "sources", "prompt_tokens", "completion_tokens",
                  "status", "cost_minor", "trace")  # fmt: skip


def _reply_insert(missed: bool) -> sa.Select[tuple[int, int]]:
    """The reply with the dialog's count of misses (parameters: `_REPLY_COLUMNS`, v_last_message_at)."""
    values = _bound(DialogMessage, *_REPLY_COLUMNS)
    inserted = insert(DialogMessage).values(values).returning(DialogMessage.id).cte("inserted")
    counted = _MISS_UPDATES[missed].cte("counted")
    return sa.select(inserted.c.id, counted.c.misses).select_from(inserted.join(counted, sa.true()))


async def _charge_tokens(
    session: AsyncSession, assistant: Assistant, message: DialogMessage, extra: int, tokens: int,
    decision: _Decision, channel: str,
) -> None:  # fmt: skip
    """The per-token part when it still fits; the reserved message price otherwise."""
    try:
        await billing.charge(
            session=session, tenant_id=assistant.tenant_id, amount=extra,
            idempotency_key=f"reply:{message.id}:tokens", reference=f"{channel} reply, tokens",
            meta={"dialog_id": str(message.dialog_id), "message_id": message.id, "tokens": tokens},
            settings=decision.settings,
        )  # fmt: skip
        message.cost_minor += extra
    except billing.InsufficientFunds:
        log.info("reply %s: the token part did not fit the balance; the message price stands", message.id)
    message.trace = row(message.status, charged=True)  # written with the cost: one more statement
    session.add(message)


def handoff_notice(language: str, position: int | None, operators_online: int) -> str:
    ru = language == "ru"
    text = HANDOFF_NOTICE["ru" if ru else "en"]
    if position:
        text += f" Вы {position}-й в очереди." if ru else f" You are number {position} in the queue."
    if not operators_online:
        text += " " + OFFLINE_NOTICE["ru" if ru else "en"]
    return text


async def hand_off(
    dialog_id: uuid.UUID, tenant_id: uuid.UUID, reason: str, language: str, **details: object
) -> tuple[int | None, str]:
    """Put the dialog in the operators' queue with a notice for the end user (their place in the queue);
    (None, "") when it already waits for or talks to an operator."""
    async with session_scope() as session:
        dialog = await handoff.load_for_update(session, tenant_id, dialog_id)
        assistant = await session.get(Assistant, dialog.assistant_id)
        assert assistant is not None
        priority = handoff.settings_for(assistant)["priority"]
        if not handoff.request_handoff(session, dialog, reason=reason, priority=priority, **details):
            return None, ""
        await session.flush()
        position = await handoff.queue_position(session, dialog)
        online = await presence.operators_online(session=session, tenant_id=tenant_id, assistant_id=assistant.id)
        text = handoff_notice(language, position, online)
        notice = DialogMessage(tenant_id=tenant_id, dialog_id=dialog_id, role="system", content=text)
        session.add(notice)
        await session.flush()
        notice_id = notice.id
    await events.publish("handoff.requested", tenant_id, dialog_id=dialog_id, reason=reason)
    await events.publish("message.created", tenant_id, dialog_id=dialog_id, message_id=notice_id)
    return notice_id, text


async def _handoff(result: TurnResult, stored: _Stored, reason: str, language: str, **details: object) -> None:
    result.outcome = "handoff"
    result.reply_message_id, result.reply_text = await hand_off(
        stored.dialog_id, stored.assistant.tenant_id, reason, language, **details
    )


async def _previous_question(
    session: AsyncSession, dialog_id: uuid.UUID, before_id: int, recent: list[tuple[str, str]]
) -> str | None:
    """The user's question before this one: from the recent conversation, else (rare: none among them) read."""
    question = next((content for role, content in recent if role == "user"), None)
    if question is not None or len(recent) < HISTORY_MESSAGES:  # user messages are always stored "ok"
        return question
    stmt = (
        select(DialogMessage.content)
        .where(DialogMessage.dialog_id == dialog_id, DialogMessage.id < before_id, DialogMessage.role == "user")
        .order_by(DialogMessage.id.desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def _count_miss(session: AsyncSession, dialog_id: uuid.UUID, missed: bool) -> int:
    values = _values(dialog_id=dialog_id, last_message_at=utcnow())
    return int((await session.exec(_MISS_UPDATES[missed], params=values)).scalar_one())  # type: ignore[call-overload]


def _miss_update(missed: bool) -> sa.Update:
    """Unanswered AI replies in a row (reset by an answered one), counted in the statement that marks the dialog
    replied to (the row's lock orders concurrent replies); returns `misses`. Parameters: v_dialog_id,
    v_last_message_at."""
    meta = sa.func.coalesce(Dialog.meta, sa.func.jsonb_build_object())
    misses = sa.func.coalesce(meta["misses"].as_integer(), 0) + 1 if missed else sa.literal(0)
    bound = _bound(Dialog, "last_message_at")
    return (
        sa.update(Dialog)
        .where(Dialog.id == sa.bindparam("v_dialog_id"))  # the reply's own dialog_id in _reply_insert
        .values(last_message_at=bound["last_message_at"], last_error="",
                meta=meta.op("||")(sa.func.jsonb_build_object("misses", misses)))
        .returning(Dialog.meta["misses"].as_integer().label("misses"))
    )  # fmt: skip


_MISS_UPDATES = {missed: _miss_update(missed) for missed in (False, True)}
_REPLY_INSERTS = {missed: _reply_insert(missed) for missed in (False, True)}


async def _has_reply(dialog_id: uuid.UUID, message_id: int) -> bool:
    async with session_scope() as session:
        stmt = select(DialogMessage.id).where(
            DialogMessage.dialog_id == dialog_id, DialogMessage.id > message_id, DialogMessage.role != "user"
        )
        return (await session.exec(stmt.limit(1))).first() is not None


async def handle_incoming(
    incoming: Incoming, *, sink: StreamSink | None = None, resume_unanswered: bool = False
) -> TurnResult:
    """`resume_unanswered`: a redelivered message whose first handler died before answering is answered now.
    Only for channels that never deliver one message twice at the same time (Telegram: one fleet holds a bot)."""
    text = _validate(incoming)
    # Queue consumers (Telegram) wait for a slot; callers waiting on an HTTP response get 503 after a while.
    wait_s = None if incoming.channel == "telegram" else get_settings().turn_queue_wait_s
    with recording(incoming.tenant_id):  # issue 14: stage times written with the reply; ids on log records
        async with capacity.turn_slot(wait_s=wait_s):
            return await _turn(incoming, text, sink or StreamSink(), resume_unanswered)


async def _turn(incoming: Incoming, text: str, sink: StreamSink, resume_unanswered: bool) -> TurnResult:
    """The question's embedding starts with the intake (early_embeddings.py); a turn that does not search drops it."""
    conversation = (incoming.assistant_id, incoming.channel, incoming.external_chat_id)
    early = _early_embeddings.start(incoming.assistant_id, conversation, text)
    try:
        return await _turn_with(incoming, text, sink, resume_unanswered, conversation, early)
    finally:
        if early is not None:
            early.cancel()


async def _turn_with(
    incoming: Incoming, text: str, sink: StreamSink, resume_unanswered: bool, conversation: Conversation,
    early: retrieval.QueryVector | None,
) -> TurnResult:  # fmt: skip
    started = time.perf_counter()
    stored, decision = await _intake(incoming, text)
    _early_embeddings.learn(stored.assistant, conversation, stored.dialog_status)
    mark_stored(stored.dialog_id, stored.message_id)
    result = TurnResult(stored.dialog_id, stored.message_id, "duplicate" if stored.duplicate else "answered")
    if stored.duplicate:
        if not resume_unanswered or await _has_reply(stored.dialog_id, stored.message_id):
            return result
        result.outcome = "answered"
        async with session_scope() as session:
            decision = await _decide(session, incoming, text, stored)
    else:
        await events.publish(
            "message.created",
            incoming.tenant_id,
            dialog_id=stored.dialog_id,
            message_id=stored.message_id,
            status=str(stored.dialog_status),  # operators' queue pages skip the AI's own dialogs (issue 16)
        )
    assert decision is not None
    await _respond(incoming, text, stored, decision, result, sink, early)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


async def _intake(incoming: Incoming, text: str) -> tuple[_Stored, _Decision | None]:
    """The message stored and, for a new one, the turn decided and the reply's price reserved: one transaction."""
    async with session_scope() as session:
        stored = await _store_incoming(session, incoming, text)
        return stored, None if stored.duplicate else await _decide(session, incoming, text, stored)


async def _decide(session: AsyncSession, incoming: Incoming, text: str, stored: _Stored) -> _Decision:
    """In order: a suspended workspace (issue 14) answers a notice; a dialog with an operator stays silent; a handoff
    keyword or a repeated question calls a human; else the reply's price is reserved (no_funds when it does not fit:
    the reservation's savepoint is undone, the user's message still commits)."""
    assistant = stored.assistant
    language = question_language(text, assistant.language)
    account = await billing.account(session=session, tenant_id=assistant.tenant_id)
    if account.blocked:
        return _Decision("blocked", language)
    if stored.dialog_status in (DialogStatus.waiting, DialogStatus.operator):
        return _Decision("with_operator", language)
    if keyword := handoff.handoff_keyword(assistant, text):
        return _Decision("keyword", language, keyword=keyword)
    recent = await _recent(session, stored.dialog_id, stored.message_id)
    if handoff.settings_for(assistant)["repeat_detection"] and handoff.is_repeat(
        text, await _previous_question(session, stored.dialog_id, stored.message_id, recent)
    ):
        return _Decision("repeated", language)
    settings = account.settings
    turn_key = f"turn:{stored.message_id}"
    try:
        price = await billing.authorize_reply(
            session=session, tenant_id=assistant.tenant_id, channel=incoming.channel, turn_key=turn_key,
            plan=account.plan, settings=settings,
        )  # fmt: skip
    except (billing.InsufficientFunds, plans.PlanLimitReached) as exc:
        return _Decision("no_funds", language, refusal=exc, settings=settings)
    lease = None
    if assistant.provider != "offline":  # no provider key to count: the endpoint is known now, no transaction later
        lease = await key_pool.settings_lease(session=session, tenant_id=assistant.tenant_id, model=assistant.model)
    return _Decision(
        "reply", language, price=price, turn_key=turn_key, history=_history(recent), settings=settings, lease=lease
    )


async def _respond(
    incoming: Incoming, text: str, stored: _Stored, decision: _Decision, result: TurnResult, sink: StreamSink,
    early: retrieval.QueryVector | None,
) -> None:  # fmt: skip
    assistant, language = stored.assistant, decision.language
    if decision.action == "blocked":
        await _blocked(assistant, stored, result, language)
        return
    if decision.action == "with_operator":
        result.outcome = "with_operator"  # operators see it live; the AI stays silent
        return
    if decision.action == "keyword":
        await _handoff(result, stored, "keyword", language, keyword=decision.keyword)
        return
    if decision.action == "repeated":
        await _handoff(result, stored, "repeated_question", language)
        return
    if decision.refusal is not None:
        await _no_funds(assistant, stored, result, decision, decision.refusal)
        return
    price, turn_key = decision.price, decision.turn_key
    if kind := smalltalk.classify(text):  # greetings, thanks, 'who are you', goodbyes: no knowledge, no charge
        await _release(assistant.tenant_id, price, turn_key)  # (a workspace out of funds still stops above)
        await _small_talk(assistant, stored, result, language, kind)
        return
    try:
        completion, hits = await _generate(assistant, text, decision, sink, result, early)
        result.reply_message_id, result.cost_minor, misses = await _store_reply(
            assistant, stored.dialog_id, completion, hits, decision, incoming.channel
        )
    except BaseException as exc:  # no reply stored: the reservation goes back
        await _release(assistant.tenant_id, price, turn_key)
        if not isinstance(exc, LLMUnavailable):
            raise
        await _llm_fallback(assistant, stored, result, language, exc)
        return
    result.reply_text = completion.text
    result.sources = _shown_sources(assistant, completion, hits)
    result.prompt_tokens, result.completion_tokens = completion.prompt_tokens, completion.completion_tokens
    await events.publish(
        "message.created",
        assistant.tenant_id,
        dialog_id=stored.dialog_id,
        message_id=result.reply_message_id,
        status=str(stored.dialog_status),
    )
    await _fallback_if_missed(result, stored, completion, language, misses)


async def _small_talk(assistant: Assistant, stored: _Stored, result: TurnResult, language: str, kind: str) -> None:
    result.reply_text = smalltalk.reply(kind, language, name=assistant.name, greeting=assistant.greeting)
    result.reply_message_id = await _save_message(stored.dialog_id, assistant.tenant_id, "assistant", result.reply_text)
    await events.publish(
        "message.created",
        assistant.tenant_id,
        dialog_id=stored.dialog_id,
        message_id=result.reply_message_id,
        status=str(stored.dialog_status),
    )


async def _blocked(assistant: Assistant, stored: _Stored, result: TurnResult, language: str) -> None:
    """A suspended workspace's channels answer a notice (admin_console.BLOCKED_NOTICE)."""
    notice = admin_console.BLOCKED_NOTICE["ru" if language == "ru" else "en"]
    result.outcome, result.reply_text = "blocked", notice
    result.reply_message_id = await _save_message(
        stored.dialog_id, assistant.tenant_id, "assistant", notice, status="blocked", error="workspace blocked"
    )


async def _generate(
    assistant: Assistant, text: str, decision: _Decision, sink: StreamSink, result: TurnResult,
    early: retrieval.QueryVector | None,
) -> tuple[Completion, list[retrieval.Hit]]:  # fmt: skip
    hits = _answerable(assistant, text, await _retrieve(assistant, text, early))
    mark("retrieved", hits=len(hits))
    prompt = build_prompt(assistant, text, hits, decision.history)
    llm_started = time.perf_counter()
    completion = await _complete_with_retries(assistant, prompt, sink, decision.lease)
    result.llm_ms = (time.perf_counter() - llm_started) * 1000
    mark("llm", llm_ms=round(result.llm_ms, 1), model=assistant.model, tokens=completion.prompt_tokens
         + completion.completion_tokens)  # fmt: skip
    return completion, hits


def _answerable(assistant: Assistant, question: str, hits: list[retrieval.Hit]) -> list[retrieval.Hit]:
    """The knowledge to answer from: none when the best passage is not good enough evidence that it answers (the
    offline answerer then says 'not found', a miss). The assistant's strictness sets the bar for the offline
    answerer; a model gets everything above the lenient bar and says itself whether the knowledge answers."""
    strictness = assistant.strictness if assistant.provider == "offline" else "lenient"
    return hits if relevance.answers(hits, strictness, question) else []


async def _release(tenant_id: uuid.UUID, price: int, turn_key: str) -> None:
    async with session_scope() as session:
        await billing.release_reply(session=session, tenant_id=tenant_id, price=price, turn_key=turn_key)


async def _fallback_if_missed(
    result: TurnResult, stored: _Stored, completion: Completion, language: str, misses: int
) -> None:
    """After N replies in a row that did not answer (nothing relevant found, or the model says it cannot
    help), a human is called; the reply already given stays."""
    cannot_help = handoff.says_cannot_help(completion.text)
    threshold = int(handoff.settings_for(stored.assistant)["fallback_after"])
    if threshold and misses >= threshold:
        notice_id, notice = await hand_off(
            stored.dialog_id, stored.assistant.tenant_id, "cannot_help" if cannot_help else "no_answer",
            language, misses=misses,
        )  # fmt: skip
        if notice_id is not None:
            result.outcome = "handoff"
            result.reply_text = f"{result.reply_text}\n\n{notice}"
            result.handoff_message_id = notice_id


async def _no_funds(
    assistant: Assistant,
    stored: _Stored,
    result: TurnResult,
    decision: _Decision,
    exc: billing.InsufficientFunds | plans.PlanLimitReached,
) -> None:
    """Out of money or over the plan's monthly messages: stop with a notice, or hand off, as configured;
    the tenant gets a notice on their billing page."""
    language = decision.language
    behaviour = decision.settings.get("billing.zero_balance_behaviour")
    async with session_scope() as session:
        session.add(AuditLog(tenant_id=assistant.tenant_id, action="billing.exhausted", target_type="tenant",
                             meta={"reason": exc.code, "message": exc.message}))  # fmt: skip
    if behaviour == "handoff":
        await _handoff(result, stored, "no_funds", language)
        return
    result.outcome = "no_funds"
    result.reply_text = NO_FUNDS_NOTICE[language]
    result.reply_message_id = await _save_message(
        stored.dialog_id, assistant.tenant_id, "assistant", result.reply_text, status="no_funds", error=exc.message
    )
    await events.publish("billing.exhausted", assistant.tenant_id, reason=exc.code)


async def _llm_fallback(
    assistant: Assistant, stored: _Stored, result: TurnResult, language: str, exc: LLMUnavailable
) -> None:
    """After the retries: hand off, or apologise, as the assistant is configured; never charged."""
    error = f"LLM unavailable: {exc.message}"
    async with session_scope() as session:
        await session.exec(sa.update(Dialog).where(Dialog.id == stored.dialog_id).values(last_error=error[:500]))
    if handoff.settings_for(assistant)["on_llm_failure"] == "handoff":
        await _handoff(result, stored, "llm_outage", language)
        return
    result.outcome = "fallback"
    result.reply_text = APOLOGY[language]
    result.reply_message_id = await _save_message(
        stored.dialog_id, assistant.tenant_id, "assistant", result.reply_text, status="fallback", error=error
    )
    await events.publish("dialog.updated", assistant.tenant_id, dialog_id=stored.dialog_id, error="llm_unavailable")


async def request_human(
    *, tenant_id: uuid.UUID, assistant_id: uuid.UUID, channel: str, external_chat_id: str, language: str
) -> tuple[uuid.UUID, int | None]:
    """The end user asked for a human with a button: the dialog (created if needed) joins the queue."""
    incoming = Incoming(tenant_id, assistant_id, channel, external_chat_id, text="")
    async with session_scope() as session:
        await get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        dialog_id = (await _dialog_for(session, incoming)).id
    notice_id, _ = await hand_off(dialog_id, tenant_id, "button", language)
    return dialog_id, notice_id
