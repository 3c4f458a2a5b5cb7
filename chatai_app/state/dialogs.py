"""Dialogs page: filters, transcript, live refresh from the event bus."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import assistants, dialogs, feedback
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import DomainError, NotFound
from chatai_app.services.events import get_event_hub
from chatai_app.services.permissions import Permission
from chatai_app.state.live import LiveContext, claim, served_here
from chatai_app.state.session import SessionState, context_of, signed_in

LIVE_FOR_S = 30 * 60
LIVE_EVENTS = ("message.created", "dialog.updated", "handoff.", "feedback.")


def _date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _row(d: dialogs.DialogOut) -> dict[str, str]:
    when = d.last_message_at.strftime("%Y-%m-%d %H:%M") if d.last_message_at else ""
    return {
        "id": str(d.id), "assistant": d.assistant_name, "channel": d.channel, "status": d.status,
        "user": d.end_user_name, "when": when, "preview": d.preview, "error": d.last_error,
    }  # fmt: skip


def source_labels(sources: list[dict[str, object]]) -> str:
    return ", ".join(f"{s.get('document') or 'Q&A'}" + (f" p.{s['page']}" if s.get("page") else "") for s in sources)


def _message(m: dialogs.MessageOut, votes: dict[int, str]) -> dict[str, str]:
    sources = source_labels(m.sources)
    return {
        "role": m.role, "content": m.content, "status": m.status, "sources": sources,
        "feedback": votes.get(m.id, ""),  # the end user's 👍/👎 on an assistant answer (issue 14)
        "meta": f"{m.created_at:%H:%M:%S}" + (f" · {m.cost_minor / 100:.2f} ₽" if m.cost_minor else ""),
        "time": f"{m.created_at:%H:%M}",
        **_timing(m.trace),  # issue 14: how long the reply took, from its trace
    }  # fmt: skip


def _timing(trace: dict | None) -> dict[str, str]:
    stages = (trace or {}).get("stages") or {}
    total = max((float(v) for v in stages.values()), default=0.0)
    model = float(stages["llm"]) - float(stages.get("retrieved", 0.0)) if "llm" in stages else 0.0
    return {"took_ms": f"{total:.0f}" if total else "", "model_ms": f"{model:.0f}" if "llm" in stages else ""}


async def _fetch(
    context: AuthContext, filters: dialogs.DialogFilter, selected: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    async with session_scope() as session:
        found = await dialogs.list_dialogs(
            session=session, tenant_id=context.tenant_id, filters=filters, assistants=context.assistants
        )
        lines = (
            await dialogs.transcript(
                session=session,
                tenant_id=context.tenant_id,
                dialog_id=uuid.UUID(selected),
                assistants=context.assistants,
            )
            if selected
            else []
        )
        answers = [m.id for m in lines if m.role == "assistant"]
        votes = await feedback.feedback_for_messages(session=session, tenant_id=context.tenant_id, message_ids=answers)
    return [_row(d) for d in found], [_message(m, votes) for m in lines]


class DialogsState(rx.State):
    required_permission: ClassVar[Permission] = Permission.dialogs
    channel: str = "all"
    status: str = "all"
    assistant: str = "all"
    query: str = ""
    since: str = ""
    until: str = ""
    rows: list[dict[str, str]] = []
    assistant_options: list[list[str]] = []
    selected: str = ""
    transcript: list[dict[str, str]] = []
    live: bool = False
    _live_owner: str = ""  # which process's task serves the page (chatai_app/state/live.py)

    def _filters(self) -> dialogs.DialogFilter:
        return dialogs.DialogFilter(
            channel=None if self.channel == "all" else self.channel,
            status=None if self.status == "all" else self.status,
            assistant_id=None if self.assistant == "all" else uuid.UUID(self.assistant),
            text=self.query.strip() or None,
            since=_date(self.since),
            until=_date(self.until),
        )

    async def _refresh(self, context: AuthContext) -> None:
        self.rows, self.transcript = await _fetch(context, self._filters(), self.selected)

    @rx.event
    async def load(self):
        try:
            _, context = await signed_in(self)
        except DomainError:
            return rx.redirect("/login")
        async with session_scope() as session:
            options = await assistants.list_assistants(session=session, tenant_id=context.tenant_id)
        scope = context.assistants  # an operator assigned to some assistants filters by those only
        self.assistant_options = [[str(a.id), a.name] for a in options if scope is None or a.id in scope]
        await self._refresh(context)
        return DialogsState.follow_events

    @rx.event
    async def apply_filters(self, form: dict[str, str]):
        self.query, self.since, self.until = form.get("query", ""), form.get("since", ""), form.get("until", "")
        _, context = await signed_in(self)
        await self._refresh(context)

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("channel", "status", "assistant"):
            setattr(self, name, value)
        _, context = await signed_in(self)
        await self._refresh(context)

    @rx.event
    async def open_dialog(self, dialog_id: str):
        self.selected = dialog_id
        session_state, context = await signed_in(self)
        try:
            await self._refresh(context)
        except DomainError as exc:
            self.selected = ""
            return rx.toast.error(session_state.message(exc))
        return None

    @rx.event
    def close_transcript(self):
        self.selected, self.transcript = "", []

    @rx.event
    async def clear_filters(self):
        self.channel = self.status = self.assistant = "all"
        self.query = self.since = self.until = ""
        _, context = await signed_in(self)
        await self._refresh(context)
        return [rx.set_value("dialog-search", ""), rx.set_value("dialog-since", ""), rx.set_value("dialog-until", "")]

    @rx.event(background=True)
    async def follow_events(self):
        """Reload when this workspace's dialogs change; one bus subscription per process serves all pages."""
        async with self:
            if served_here(self.live, self._live_owner):
                return
            mine = claim()  # a task of a dead node, or of the node the websocket left, no longer serves it
            self.live, self._live_owner = True, mine
            token = (await self.get_state(SessionState)).session_token
        try:
            live = LiveContext(token, self.required_permission, await context_of(token, self.required_permission))
            tenant = str((await live.current()).tenant_id)
            async with get_event_hub().listen() as queue:
                deadline = asyncio.get_running_loop().time() + LIVE_FOR_S
                caught_up = False  # one read after subscribing: what changed since the page's own read
                while asyncio.get_running_loop().time() < deadline:
                    if caught_up:
                        try:
                            event = await asyncio.wait_for(queue.get(), timeout=5)
                        except TimeoutError:
                            continue
                        if event.tenant_id != tenant or not event.type.startswith(LIVE_EVENTS):
                            continue
                    caught_up = True
                    async with self:
                        if self._live_owner != mine:
                            return  # the page moved to another process
                        filters, selected = self._filters(), self.selected
                    context = await live.current()
                    try:
                        rows, transcript = await _fetch(context, filters, selected)
                    except NotFound:  # the open dialog is no longer this member's (issue 14): the list only
                        rows, transcript = await _fetch(context, filters, "")
                    async with self:
                        self.rows, self.transcript = rows, transcript
        finally:
            async with self:
                if self._live_owner == mine:
                    self.live, self._live_owner = False, ""
