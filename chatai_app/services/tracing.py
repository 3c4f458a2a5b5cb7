"""What happened to one message: received -> stored -> retrieved -> LLM -> charged -> delivered, with timings.

The engine keeps a `Trace` per turn (a monotonic clock, marks in memory) and writes it as JSON into the reply's
own row (`dialog_messages.trace`) in the statement that stores the reply: recording costs no round trip.
Delivery is read afterwards: a Telegram reply is delivered when its outbox row was sent; the widget, the API
and the playground stream the reply to the open request, so it is delivered when it is committed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Dialog, DialogMessage, OutboxMessage
from chatai_app.models._base import utcnow
from chatai_app.services import logbook
from chatai_app.services.errors import NotFound

STAGES = ("received", "stored", "retrieved", "llm", "charged", "delivered")


@dataclass
class Trace:
    """Stage marks of one turn, in milliseconds since the message was received."""

    received_at: datetime = field(default_factory=utcnow)
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def mark(self, stage: str, **facts: Any) -> None:
        self.stages[stage] = round((time.perf_counter() - self.started) * 1000, 1)
        self.facts.update(facts)

    def as_json(self, user_message_id: int | None, outcome: str) -> dict[str, Any]:
        return {
            "user_message_id": user_message_id,
            "received_at": self.received_at.isoformat(),
            "stages": dict(self.stages),
            "outcome": outcome,
            **{k: v for k, v in self.facts.items() if k != "user_message_id"},
        }


_current: ContextVar[Trace | None] = ContextVar("turn_trace", default=None)


@contextmanager
def recording(tenant_id: uuid.UUID) -> Iterator[Trace]:
    """One turn: its trace, and its tenant (then dialog) on every log record written meanwhile."""
    trace = Trace()
    token = _current.set(trace)
    with logbook.turn_context(tenant_id):
        try:
            yield trace
        finally:
            _current.reset(token)


def mark(stage: str, **facts: Any) -> None:
    if (trace := _current.get()) is not None:
        trace.mark(stage, **facts)


def mark_stored(dialog_id: uuid.UUID, message_id: int) -> None:
    """The user's message is stored: later log records of this turn name its dialog."""
    logbook.dialog_context.set(dialog_id)
    if (trace := _current.get()) is not None:
        trace.mark("stored")
        trace.facts["user_message_id"] = message_id


def row(outcome: str, *, charged: bool = False) -> dict[str, Any] | None:
    """The JSON for the reply's row (None outside a turn); marks `charged` (or `replied`: nothing was charged)."""
    if (trace := _current.get()) is None:
        return None
    trace.mark("charged" if charged else "replied")
    return trace.as_json(trace.facts.get("user_message_id"), outcome)


@dataclass(frozen=True)
class Step:
    stage: str  # one of STAGES
    at_ms: float | None  # since received; None: the stage did not happen (or is not known)
    took_ms: float | None  # since the previous stage that happened
    note: str = ""


@dataclass(frozen=True)
class MessageTrace:
    message_id: int  # the user's message
    reply_id: int | None
    tenant_id: uuid.UUID
    dialog_id: uuid.UUID
    channel: str
    question: str
    reply: str
    outcome: str
    received_at: str
    steps: list[Step]
    facts: dict[str, Any]


async def _reply_for(session: AsyncSession, message: DialogMessage) -> DialogMessage | None:
    if message.role != "user":
        return message if message.trace else None
    stmt = (
        select(DialogMessage)
        .where(
            DialogMessage.dialog_id == message.dialog_id,
            DialogMessage.id > message.id,  # type: ignore[operator]
            DialogMessage.trace["user_message_id"].as_integer() == message.id,  # type: ignore[index]
        )
        .order_by(DialogMessage.id)  # type: ignore[arg-type]
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def _delivered_ms(session: AsyncSession, dialog: Dialog, reply: DialogMessage, received: datetime) -> float:
    if dialog.channel != "telegram":
        return float((reply.trace or {}).get("stages", {}).get("charged") or _last(reply.trace or {}))
    sent = (
        await session.exec(
            select(sa.func.max(OutboxMessage.sent_at)).where(
                OutboxMessage.dialog_message_id == reply.id, OutboxMessage.tenant_id == dialog.tenant_id
            )
        )
    ).one()
    return -1.0 if sent is None else round((sent - received).total_seconds() * 1000, 1)


def _last(trace: dict[str, Any]) -> float:
    return max((float(v) for v in (trace.get("stages") or {}).values()), default=0.0)


def _steps(stages: dict[str, float], delivered: float | None) -> list[Step]:
    marks = {"received": 0.0, **stages}
    if delivered is not None and delivered >= 0:
        marks["delivered"] = delivered
    steps, previous = [], 0.0
    for stage in STAGES:
        at = marks.get(stage)
        if at is None:
            steps.append(Step(stage, None, None))
            continue
        steps.append(Step(stage, float(at), round(float(at) - previous, 1)))
        previous = float(at)
    return steps


async def message_trace(*, session: AsyncSession, message_id: int, tenant_id: uuid.UUID | None = None) -> MessageTrace:
    """The trace of a user's message (or of the reply to it). `tenant_id`: only within that workspace (owners);
    None for platform admins."""
    message = await session.get(DialogMessage, message_id)
    if message is None or (tenant_id is not None and message.tenant_id != tenant_id):
        raise NotFound("Message not found")
    reply = await _reply_for(session, message)
    question = message
    if reply is not None and message.role != "user" and (reply.trace or {}).get("user_message_id"):
        question = await session.get(DialogMessage, int(reply.trace["user_message_id"])) or message  # type: ignore[index]
    dialog = await session.get(Dialog, question.dialog_id)
    assert dialog is not None
    trace = dict(reply.trace or {}) if reply is not None else {}
    received = datetime.fromisoformat(trace["received_at"]) if trace.get("received_at") else question.created_at
    delivered = await _delivered_ms(session, dialog, reply, received) if reply is not None else None
    facts = {k: v for k, v in trace.items() if k not in ("user_message_id", "received_at", "stages", "outcome")}
    return MessageTrace(
        message_id=question.id or 0,
        reply_id=reply.id if reply is not None else None,
        tenant_id=question.tenant_id,
        dialog_id=question.dialog_id,
        channel=dialog.channel,
        question=question.content,
        reply=reply.content if reply is not None else "",
        outcome=str(trace.get("outcome") or ("no reply" if reply is None else reply.status)),
        received_at=received.isoformat(timespec="seconds"),
        steps=_steps(trace.get("stages") or {"stored": 0.0}, delivered),
        facts=facts,
    )


async def dialog_messages(*, session: AsyncSession, dialog_id: uuid.UUID, limit: int = 50) -> list[tuple[int, str]]:
    """The users' messages of a dialog (newest first, id and text), to pick one to trace from a log record."""
    stmt = (
        select(DialogMessage.id, DialogMessage.content)
        .where(DialogMessage.dialog_id == dialog_id, DialogMessage.role == "user")
        .order_by(DialogMessage.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    return [(int(i), str(c)) for i, c in (await session.exec(stmt)).all()]
