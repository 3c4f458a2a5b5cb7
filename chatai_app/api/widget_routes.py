"""The website widget's public endpoints: a thin JSON + server-sent-events API (no per-visitor app state).

`/widget.js` is the loader a tenant pastes on their site; `/widget/chat/{assistant_id}` is a full-page
chat (for a link or an iframe, with CSP `frame-ancestors` from the allow-list); `/api/widget/v1/...` is
what both call. The Origin of every call is checked against the assistant's allow-list (middleware).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from chatai_app.api.chat_routes import sse, stream_turn
from chatai_app.api.deps import public
from chatai_app.api.errors import request_id_of
from chatai_app.db import session_scope
from chatai_app.models import Assistant, Dialog
from chatai_app.services import conversation, events, feedback, inbox, widget
from chatai_app.services.conversation import Incoming
from chatai_app.services.errors import NotFound
from chatai_app.services.events import get_event_hub
from chatai_app.services.monitoring import counted_stream
from chatai_app.services.prompting import question_language
from chatai_app.settings import get_settings

router = APIRouter(tags=["widget"], dependencies=[public("the website widget: signed visitor tokens, rate limits")])
PREFIX = "/api/widget/v1/"
LOADER = Path(__file__).resolve().parents[1] / "static" / "widget.js"
KEEPALIVE_S = 15.0
STREAM_FOR_S = 15 * 60  # the browser's EventSource reconnects after this, with Last-Event-ID
JS = "application/javascript; charset=utf-8"  # the host page may declare no charset at all
VISITOR_EVENTS = ("message.created", "handoff.", "dialog.updated", "typing")


@lru_cache
def loader_bytes() -> tuple[bytes, bytes]:
    """widget.js as it is, and gzipped (served pre-compressed: the loader is on every page of a site)."""
    raw = LOADER.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


@router.get("/widget.js", include_in_schema=False)
async def widget_loader(request: Request) -> Response:
    raw, packed = loader_bytes()
    headers = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=JS, headers=headers)
    return Response(raw, media_type=JS, headers=headers)


@router.get("/widget/chat/{assistant_id}", include_in_schema=False)
async def chat_page(assistant_id: uuid.UUID) -> HTMLResponse:
    async with session_scope() as session:
        assistant = await widget.load_assistant(session=session, assistant_id=assistant_id)
        allowed = widget.settings_for(assistant)["allowed_origins"]
        title = widget.settings_for(assistant)["title"] or assistant.name
    ancestors = " ".join(["'self'", *map(widget.normalise_origin, allowed)]) if allowed else "*"
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        f"<title>{_escape(title)}</title></head><body style='margin:0'>"
        f"<script src='/widget.js' data-assistant='{assistant_id}' data-mode='page'></script></body></html>"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": f"frame-ancestors {ancestors}"})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


class OriginGuard:
    """Refuses widget API calls from sites outside the assistant's allow-list; answers CORS for the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._cache: dict[str, tuple[float, list[str] | None]] = {}

    async def _allowed_origins(self, assistant_id: str) -> list[str] | None:
        cached = self._cache.get(assistant_id)
        if cached and time.monotonic() - cached[0] < 5:
            return cached[1]
        try:
            async with session_scope() as session:
                assistant = await session.get(Assistant, uuid.UUID(assistant_id))
                value = widget.settings_for(assistant)["allowed_origins"] if assistant else None
        except ValueError:
            value = None
        self._cache[assistant_id] = (time.monotonic(), value)
        return value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        origin = effective_origin(headers)
        assistant_id = scope["path"][len(PREFIX) :].split("/", 1)[0]
        allowed = await self._allowed_origins(assistant_id)
        if allowed is not None and not widget.origin_allowed(allowed, origin, get_settings().base_url):
            body = json.dumps({"error": "origin_not_allowed", "message": f"The site {origin} is not allowed to "
                               "use this chat; add it to the widget's allowed sites"}).encode()  # fmt: skip
            await _respond(send, 403, body, origin)
            return
        if scope["method"] == "OPTIONS" and origin:
            await _respond(send, 204, b"", origin, preflight=True)
            return

        async def with_cors(message: Any) -> None:
            if message["type"] == "http.response.start" and origin:
                message = {**message, "headers": [*_cors(origin), *message.get("headers", [])]}
            await send(message)

        await self.app(scope, receive, with_cors)


def effective_origin(headers: Any) -> str | None:
    """The calling site: the Origin header, or our own origin for same-origin calls that carry none
    (a browser's same-origin GET; it says so in Sec-Fetch-Site)."""
    origin = headers.get("origin")
    if not origin and headers.get("sec-fetch-site") == "same-origin":
        return get_settings().base_url
    return origin


def _cors(origin: str, preflight: bool = False) -> list[tuple[bytes, bytes]]:
    headers = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")]
    if preflight:
        headers += [(b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                    (b"access-control-allow-headers", b"content-type, x-visitor-token"),
                    (b"access-control-max-age", b"600")]  # fmt: skip
    return headers


async def _respond(send: Send, status: int, body: bytes, origin: str | None, preflight: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), *(_cors(origin, preflight) if origin else [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


VisitorToken = Annotated[str | None, Header(alias="X-Visitor-Token")]


async def _visitor(request: Request, assistant_id: uuid.UUID, token: str | None) -> tuple[Assistant, str]:
    async with session_scope() as session:
        assistant = await widget.load_assistant(session=session, assistant_id=assistant_id)
    visitor = widget.visitor_id_from(
        secret_key=get_settings().secret_key, assistant_id=assistant_id, token=token,
        origin=effective_origin(request.headers),
    )  # fmt: skip
    return assistant, visitor


def _ip(request: Request) -> str:
    return request.client.host if request.client else "-"


@router.get(PREFIX + "{assistant_id}/config")
async def config(assistant_id: uuid.UUID) -> dict[str, Any]:
    async with session_scope() as session:
        assistant = await widget.load_assistant(session=session, assistant_id=assistant_id)
        return await widget.public_config(session=session, assistant=assistant)


@router.post(PREFIX + "{assistant_id}/visitor", status_code=201)
async def new_visitor(assistant_id: uuid.UUID, request: Request) -> dict[str, str]:
    """A visitor token for the calling site (allowed sites only; the token works from that site only)."""
    async with session_scope() as session:
        await widget.load_assistant(session=session, assistant_id=assistant_id)
    await widget.throttle(action="visitor", ip=_ip(request), assistant_id=assistant_id)
    token = widget.issue_visitor_token(
        secret_key=get_settings().secret_key, assistant_id=assistant_id, origin=effective_origin(request.headers)
    )
    return {"token": token}


async def _view(assistant: Assistant, visitor: str, after: int) -> dict[str, Any]:
    async with session_scope() as session:
        dialog = await widget.find_dialog(session=session, assistant=assistant, visitor_id=visitor)
        return asdict(await widget.visitor_view(session=session, assistant=assistant, dialog=dialog, after_id=after))


@router.get(PREFIX + "{assistant_id}/messages")
async def messages(
    assistant_id: uuid.UUID, request: Request, token: VisitorToken = None, after: int = Query(0, ge=0)
) -> dict[str, Any]:
    assistant, visitor = await _visitor(request, assistant_id, token)
    return await _view(assistant, visitor, after)


class SendIn(BaseModel):
    text: str = Field(max_length=8000)
    message_id: str | None = Field(default=None, max_length=64, description="the widget's id of this message")
    name: str = Field(default="", max_length=200)
    page: str = Field(default="", max_length=300, description="the path of the page the widget is on")


@router.post(PREFIX + "{assistant_id}/messages")
async def send_message(
    assistant_id: uuid.UUID, body: SendIn, request: Request, token: VisitorToken = None
) -> StreamingResponse:
    """The visitor's message; the reply streams back as `delta` events, then `done` with the stored turn.
    Rate-limited per visitor, IP and assistant; refused once the widget's daily spend cap is reached."""
    assistant, visitor = await _visitor(request, assistant_id, token)
    await widget.throttle(action="message", ip=_ip(request), assistant_id=assistant.id, visitor_id=visitor)
    async with session_scope() as session:
        await widget.ensure_within_spend_cap(session=session, assistant=assistant)
    incoming = Incoming(
        assistant.tenant_id, assistant.id, widget.CHANNEL, widget.chat_id(visitor), body.text,
        channel_message_id=f"w:{body.message_id}" if body.message_id else None, end_user_name=body.name,
        meta={"page": body.page[:300]} if body.page.startswith("/") else {},
    )  # fmt: skip
    return stream_turn(
        incoming,
        lambda turn: {"outcome": turn.outcome, "dialog_id": str(turn.dialog_id)},
        headers={"Cache-Control": "no-store"},
        request_id=request_id_of(request),
    )


def _language(assistant: Assistant, hint: str) -> str:
    return question_language(hint, assistant.language if hint not in ("en", "ru") else hint)


@router.post(PREFIX + "{assistant_id}/handoff")
async def ask_for_human(
    assistant_id: uuid.UUID, request: Request, token: VisitorToken = None, language: str = Query("auto", max_length=5)
) -> dict[str, Any]:
    assistant, visitor = await _visitor(request, assistant_id, token)
    await widget.throttle(action="message", ip=_ip(request), assistant_id=assistant.id, visitor_id=visitor)
    await conversation.request_human(
        tenant_id=assistant.tenant_id, assistant_id=assistant.id, channel=widget.CHANNEL,
        external_chat_id=widget.chat_id(visitor), language=_language(assistant, language),
    )  # fmt: skip
    return await _view(assistant, visitor, 0)


class ContactIn(BaseModel):
    name: str = Field(max_length=200)
    contact: str = Field(max_length=200)


@router.post(PREFIX + "{assistant_id}/contact")
async def leave_contact(
    assistant_id: uuid.UUID, body: ContactIn, request: Request, token: VisitorToken = None
) -> dict[str, Any]:
    assistant, visitor = await _visitor(request, assistant_id, token)
    await widget.throttle(action="message", ip=_ip(request), assistant_id=assistant.id, visitor_id=visitor)
    await widget.leave_contact(assistant=assistant, visitor_id=visitor, name=body.name, contact=body.contact)
    return await _view(assistant, visitor, 0)


class FeedbackIn(BaseModel):
    message_id: int = Field(ge=1, le=2**63 - 1, description="the assistant answer being rated")
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=feedback.MAX_COMMENT)


@router.post(PREFIX + "{assistant_id}/feedback")
async def rate_answer(
    assistant_id: uuid.UUID, body: FeedbackIn, request: Request, token: VisitorToken = None
) -> dict[str, Any]:
    """👍/👎 on an assistant answer of the visitor's own conversation; voting again changes the vote."""
    assistant, visitor = await _visitor(request, assistant_id, token)
    await widget.throttle(action="feedback", ip=_ip(request), assistant_id=assistant.id, visitor_id=visitor)
    async with session_scope() as session:
        dialog = await widget.find_dialog(session=session, assistant=assistant, visitor_id=visitor)
        if dialog is None:
            raise NotFound("Answer not found in this conversation")
        vote = await feedback.record_feedback(
            session=session, tenant_id=assistant.tenant_id, dialog_id=dialog.id, message_id=body.message_id,
            rating=body.rating, channel=widget.CHANNEL, voter=visitor, comment=body.comment,
        )  # fmt: skip
    if vote.changed:
        await events.publish("feedback.recorded", assistant.tenant_id, dialog_id=str(dialog.id),
                             message_id=vote.message_id, rating=vote.rating)  # fmt: skip
    return {"message_id": vote.message_id, "rating": vote.rating}


@router.post(PREFIX + "{assistant_id}/typing", status_code=204)
async def visitor_typing(assistant_id: uuid.UUID, request: Request, token: VisitorToken = None) -> Response:
    assistant, visitor = await _visitor(request, assistant_id, token)
    async with session_scope() as session:
        dialog = await widget.find_dialog(session=session, assistant=assistant, visitor_id=visitor)
    if dialog is not None:
        await inbox.typing(tenant_id=assistant.tenant_id, dialog_id=dialog.id, actor="visitor")
    return Response(status_code=204)


DOWNLOAD_TYPES = {"application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@router.get(PREFIX + "{assistant_id}/documents/{document_id}")
async def source_document(
    assistant_id: uuid.UUID,
    document_id: uuid.UUID,
    expires: int = Query(ge=0),
    signature: str = Query(max_length=64),
) -> Response:
    """A source file, when its assistant shares them: through a signed link that expires, always as a
    download (never rendered on our origin), text as text/plain, in a sandbox."""
    widget.check_source_link(assistant_id, document_id, expires, signature)
    async with session_scope() as session:
        assistant = await widget.load_assistant(session=session, assistant_id=assistant_id)
        name, mime, content = await widget.source_document(
            session=session, assistant=assistant, document_id=document_id
        )
    safe = name.encode("ascii", "replace").decode().replace('"', "").replace("\\", "")
    headers = {
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    media_type = mime if mime in DOWNLOAD_TYPES else "text/plain; charset=utf-8"
    return Response(content, media_type=media_type, headers=headers)


@router.get(PREFIX + "{assistant_id}/events")
async def visitor_events(
    assistant_id: uuid.UUID,
    request: Request,
    token: str = Query(max_length=100),
    after: int = Query(0, ge=0),
) -> StreamingResponse:
    """Server-sent events for one visitor's dialog: new messages, status and queue place, operator typing.
    One bus subscription per process serves every connection; an idle connection costs a queue and a task."""
    assistant, visitor = await _visitor(request, assistant_id, token)
    async with session_scope() as session:
        dialog = await widget.find_dialog(session=session, assistant=assistant, visitor_id=visitor)
    if dialog is None:
        return StreamingResponse(iter([sse("state", {"status": "new"})]), media_type="text/event-stream")
    last_event = request.headers.get("last-event-id", "")
    after = max(after, int(last_event) if last_event.isdigit() else 0)
    return StreamingResponse(
        counted_stream(_follow(assistant, dialog, visitor, after)),  # chatai_widget_connections on /metrics
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _follow(assistant: Assistant, dialog: Dialog, visitor: str, after: int) -> AsyncIterator[bytes]:
    dialog_id, tenant = str(dialog.id), str(assistant.tenant_id)
    yield b"retry: 2000\n\n"
    last_state: dict[str, Any] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_FOR_S
    async with get_event_hub().listen() as queue:
        refresh = True
        while loop.time() < deadline:
            if refresh:
                view = await _view(assistant, visitor, after)
                for message in view["messages"]:
                    after = max(after, message["id"])
                    yield f"id: {message['id']}\n".encode() + sse("message", message)
                state = {k: view[k] for k in ("status", "queue_position", "offline_form")}
                if state != last_state:
                    last_state = state
                    yield sse("state", state)
            refresh = False
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if event.tenant_id != tenant or not event.type.startswith(VISITOR_EVENTS):
                continue
            ours = event.data.get("dialog_id") == dialog_id
            if event.type == "typing":
                if ours and event.data.get("actor") == "operator":
                    yield sse("typing", {"who": "operator"})
                continue
            # someone else's handoff moves our place in the queue
            refresh = ours or (last_state.get("status") == "waiting" and event.type.startswith("handoff."))
