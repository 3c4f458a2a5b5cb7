"""Playground: the tenant chats with an assistant and watches the answer stream, with sources and cost."""

from __future__ import annotations

import time
import uuid
from typing import ClassVar

import reflex as rx

from chatai_app.services.conversation import Incoming, StreamSink, TurnResult, handle_incoming
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.live import claim, served_here
from chatai_app.state.routing import id_after
from chatai_app.state.session import SessionState, assistant_in_route, context_of

FLUSH_EVERY_S = 0.05
MAX_TEXT = 4000  # what the conversation engine accepts (services.conversation.MAX_TEXT)


class _StateSink(StreamSink):
    """Pushes the growing answer to the browser, at most every FLUSH_EVERY_S."""

    def __init__(self, state: PlaygroundState) -> None:
        self.state, self.text, self.flushed_at = state, "", 0.0

    async def delta(self, text: str) -> None:
        self.text += text
        if time.monotonic() - self.flushed_at >= FLUSH_EVERY_S:
            await self._flush()

    async def reset(self) -> None:
        self.text = ""
        await self._flush()

    async def _flush(self) -> None:
        self.flushed_at = time.monotonic()
        async with self.state:
            self.state.streaming_text = self.text


def _source_links(result: TurnResult, assistant_id: uuid.UUID) -> list[dict[str, str]]:
    links = []
    for source in result.sources:
        label = f"[{source['n']}] {source['document'] or 'Q&A'}" + (f", p. {source['page']}" if source["page"] else "")
        href = f"/assistants/{assistant_id}" + (f"?document={source['document_id']}" if source["document_id"] else "")
        links.append({"label": label, "href": href})
    return links


class PlaygroundState(rx.State):
    required_permission: ClassVar[Permission] = Permission.assistants_manage
    assistant_name: str = ""
    provider: str = ""
    messages: list[dict[str, str]] = []
    sources: list[list[dict[str, str]]] = []
    streaming: bool = False
    _stream_owner: str = ""  # which process streams the answer (chatai_app/state/live.py)
    streaming_text: str = ""
    conversation: str = ""
    error: str = ""
    input_error: str = ""

    @rx.event
    async def load(self):
        session_state = await self.get_state(SessionState)
        if self.streaming and not served_here(self.streaming, self._stream_owner):
            # the web node that streamed the answer died (the page reconnected here): it will not finish
            self.streaming, self.streaming_text, self._stream_owner = False, "", ""
        try:
            assistant = await assistant_in_route(self)
        except DomainError as exc:
            self.error = session_state.message(exc)
            return None
        self.assistant_name, self.provider, self.error = assistant.name, f"{assistant.provider} · {assistant.model}", ""
        if not self.conversation:
            self.new_conversation()
        return None

    @rx.event
    def new_conversation(self) -> None:
        self.conversation, self.messages, self.sources, self.streaming_text = uuid.uuid4().hex[:12], [], [], ""

    @rx.event(background=True)
    async def send(self, form: dict[str, str]):
        """Checked before anything is shown: a refused message stays in the box with the reason under it."""
        text = (form.get("message") or "").strip()
        async with self:
            if served_here(self.streaming, self._stream_owner) or not text:
                return  # an answer is streaming (a flag left by a dead web node does not count)
            if len(text) > MAX_TEXT:
                message = f"The message is too long ({len(text)} characters; at most {MAX_TEXT})"
                self.input_error = (await self.get_state(SessionState)).message(message)
                return
            self.input_error = ""
        yield rx.set_value("message", "")
        async with self:
            self.streaming, self.streaming_text, self.error, self._stream_owner = True, "", "", claim()
            self.messages.append({"role": "user", "content": text, "meta": ""})
            self.sources.append([])
            session_state = await self.get_state(SessionState)
            token, lang = session_state.session_token, session_state.lang
            assistant_id, conversation = id_after(self.router.url.path, "assistants"), self.conversation
        try:
            context = await context_of(token, self.required_permission)  # re-checked for every message
            incoming = Incoming(
                context.tenant_id, assistant_id, "playground", f"playground-{context.user_id}-{conversation}", text
            )
            result = await handle_incoming(incoming, sink=_StateSink(self))
        except ValidationFailed as exc:  # the engine's own check: the message is not sent, the text comes back
            async with self:
                self.streaming = False
                self.messages, self.sources = self.messages[:-1], self.sources[:-1]
                self.input_error = (await self.get_state(SessionState)).message(next(iter(exc.fields.values())))
            yield rx.set_value("message", text)
            return
        except DomainError as exc:
            async with self:
                self.streaming, self.error = False, (await self.get_state(SessionState)).message(exc)
            yield rx.toast.error(self.error)
            return
        meta = f"{result.prompt_tokens} + {result.completion_tokens} tokens · {result.cost_minor / 100:.2f} ₽"
        if lang == "ru":
            meta = f"{result.prompt_tokens} + {result.completion_tokens} токенов · {result.cost_minor / 100:.2f} ₽"
        async with self:
            self.messages.append(
                {"role": "assistant", "content": result.reply_text, "meta": meta, "outcome": result.outcome}
            )
            self.sources.append(_source_links(result, assistant_id))
            self.streaming, self.streaming_text = False, ""
