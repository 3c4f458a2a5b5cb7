"""JSON API for conversations: assistant settings, chat (JSON or a server-sent event stream), dialogs."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from chatai_app.api.deps import AssistantsManager, AssistantsReader, CurrentContext, DbSession, DialogsUser
from chatai_app.api.errors import request_id_of
from chatai_app.services import assistants, conversation, dialogs, handoff, inbox
from chatai_app.services.conversation import Incoming, StreamSink, TurnResult
from chatai_app.services.errors import DomainError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["conversations"])


class ChatIn(BaseModel):
    text: str = Field(max_length=8000)
    conversation_id: str = Field(default="", max_length=100, description="your id for the end user's conversation")
    message_id: str | None = Field(default=None, max_length=100, description="idempotency key of this message")


@router.get("/assistants/{assistant_id}")
async def get_assistant(assistant_id: uuid.UUID, context: AssistantsReader, session: DbSession) -> dict[str, Any]:
    assistant = await assistants.get_assistant(session=session, tenant_id=context.tenant_id, assistant_id=assistant_id)
    return assistants.settings_of(assistant)


@router.patch("/assistants/{assistant_id}")
async def update_assistant(
    assistant_id: uuid.UUID, changes: dict[str, Any], context: AssistantsManager
) -> dict[str, Any]:
    return await assistants.apply_settings(tenant_id=context.tenant_id, assistant_id=assistant_id, changes=changes)


def _incoming(context: CurrentContext, assistant_id: uuid.UUID, body: ChatIn) -> Incoming:
    return Incoming(
        tenant_id=context.tenant_id,
        assistant_id=assistant_id,
        channel="api",
        external_chat_id=body.conversation_id or f"api-{context.user_id}",
        text=body.text,
        channel_message_id=body.message_id,
    )


class QueueSink(StreamSink):
    """Collects the streamed reply for an SSE response: `delta` pieces and `reset` before a retry."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def delta(self, text: str) -> None:
        await self.queue.put(("delta", text))

    async def reset(self) -> None:
        await self.queue.put(("reset", ""))

    async def drain(self, task: asyncio.Task[object]) -> AsyncIterator[bytes]:
        """SSE events until the engine's task is done and every piece is out. The task's end is queued behind its
        last piece, so `done` follows at once (it waited for a 0.1 s poll: a handoff's or a notice's answer, which
        streams nothing, came ~100 ms late; issue 16)."""
        task.add_done_callback(lambda _: self.queue.put_nowait(("end", "")))
        while (item := await self.queue.get())[0] != "end":
            kind, text = item
            yield sse(kind, {"text": text})


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


@router.post("/assistants/{assistant_id}/chat")
async def chat(
    assistant_id: uuid.UUID,
    body: ChatIn,
    context: AssistantsManager,
    request: Request,
    stream: bool = Query(default=False),
) -> Any:
    """Send the end user's message; the reply comes back whole, or streamed as `delta` events then `done`."""
    incoming = _incoming(context, assistant_id, body)
    if not stream:
        return asdict(await conversation.handle_incoming(incoming))
    return stream_turn(incoming, asdict, request_id=request_id_of(request))


def stream_turn(
    incoming: Incoming,
    summary: Callable[[TurnResult], object],
    headers: dict[str, str] | None = None,
    request_id: str = "-",
) -> StreamingResponse:
    """The engine's turn as server-sent events: `delta` (and `reset` before a retry) while the reply is
    generated, then `done` with `summary(turn)`, or `error`. Bad input is refused before the stream starts."""
    conversation._validate(incoming)
    sink = QueueSink()
    task = asyncio.create_task(conversation.handle_incoming(incoming, sink=sink))

    async def events() -> AsyncIterator[bytes]:
        async for chunk in sink.drain(task):
            yield chunk
        try:
            yield sse("done", summary(task.result()))
        except DomainError as exc:
            yield sse("error", {"error": exc.code, "message": exc.message})
        except Exception:  # never internals to the client: the log has them, under the request id
            log.exception("turn failed (request %s)", request_id)
            yield sse("error", {"error": "internal", "message": f"Something went wrong (request id {request_id})"})

    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/dialogs")
async def list_dialogs(
    context: DialogsUser,
    session: DbSession,
    channel: str | None = None,
    status: str | None = None,
    assistant_id: uuid.UUID | None = None,
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
) -> list[dict[str, Any]]:
    filters = dialogs.DialogFilter(channel=channel, status=status, assistant_id=assistant_id, text=q)
    return [
        asdict(d)
        for d in await dialogs.list_dialogs(
            session=session, tenant_id=context.tenant_id, filters=filters, limit=limit, assistants=context.assistants
        )
    ]


class OperatorReplyIn(BaseModel):
    text: str = Field(max_length=8000)
    message_id: str | None = Field(
        default=None, max_length=64, description="the client's id of this reply: a repeated send is stored once"
    )


@router.post("/dialogs/{dialog_id}/reply", status_code=201)
async def operator_reply(dialog_id: uuid.UUID, body: OperatorReplyIn, context: DialogsUser) -> dict[str, int]:
    """An operator answers the end user on the dialog's own channel (Telegram via the outbox)."""
    message_id = await inbox.reply(
        tenant_id=context.tenant_id,
        operator_id=context.user_id,
        dialog_id=dialog_id,
        text=body.text,
        client_message_id=body.message_id or "",
        assistants=context.assistants,
    )
    return {"message_id": message_id}


@router.get("/dialogs/{dialog_id}/messages")
async def transcript(dialog_id: uuid.UUID, context: DialogsUser, session: DbSession) -> list[dict[str, Any]]:
    return [
        asdict(m)
        for m in await dialogs.transcript(
            session=session, tenant_id=context.tenant_id, dialog_id=dialog_id, assistants=context.assistants
        )
    ]


@router.get("/dialogs/{dialog_id}/handoff-audit")
async def handoff_audit(dialog_id: uuid.UUID, context: DialogsUser, session: DbSession) -> list[dict[str, Any]]:
    """Who asked for a human, who took, released or closed the dialog, and why."""
    entries = await handoff.history(
        session=session, tenant_id=context.tenant_id, dialog_id=dialog_id, assistants=context.assistants
    )
    return [asdict(e) for e in entries]
