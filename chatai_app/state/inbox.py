"""Operator inbox: the queue, my dialogs, a live transcript, take / reply / release / close, notes,
canned replies, typing hints, presence. Live over the page's websocket: one background task per open
page follows the process-wide event hub; the page's heartbeat (every 20 s) keeps it and presence alive."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.models import DialogStatus
from chatai_app.models._base import utcnow
from chatai_app.outages import OutageLog
from chatai_app.services import dialogs, inbox, presence
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import DomainError, NotFound, ValidationFailed
from chatai_app.services.events import Event, get_event_hub
from chatai_app.services.permissions import Permission
from chatai_app.state.dialogs import source_labels
from chatai_app.state.live import LiveContext, claim, served_here
from chatai_app.state.session import SessionState, context_of, signed_in

log = logging.getLogger(__name__)
LIVE_OUTAGES = OutageLog(log)
PAGE_GONE_AFTER_S = 70  # no heartbeat for this long: the page was closed
TYPING_SHOWN_S = 5
T = TypeVar("T")
LIVE_EVENTS = ("message.created", "dialog.updated", "handoff.", "presence.changed", "typing")


def _ago(moment: datetime | None) -> str:
    """How long ago, as "<n> s" or "<n> min" (the page shows the unit through the catalogue)."""
    if moment is None:
        return ""
    seconds = int((utcnow() - moment).total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 else f"{max(seconds, 0)} s"


def _item(i: inbox.InboxItem) -> dict[str, str]:
    waited, _, waited_unit = _ago(i.waiting_since).partition(" ")
    return {
        "id": str(i.id), "user": i.user, "contact": i.contact, "channel": i.channel, "assistant": i.assistant_name,
        "status": i.status, "priority": str(i.priority), "waited": waited, "waited_unit": waited_unit,
        "unread": str(i.unread) if i.unread else "", "operator": i.operator_name, "preview": i.preview,
        "visitor_no": str(i.visitor_no) if i.visitor_no else "", "language": i.language, "page": i.page,
    }  # fmt: skip


def _own_copy(value: T) -> T:
    """A page's own copy of a value other pages may share (lists of rows, a row); plain values as they are."""
    if isinstance(value, list):
        return [dict(row) if isinstance(row, dict) else row for row in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return dict(value)  # type: ignore[return-value]
    return value


def _line(m: dialogs.MessageOut) -> dict[str, str]:
    return {"id": str(m.id), "role": m.role, "content": m.content, "time": f"{m.created_at:%H:%M}",
            "sources": source_labels(m.sources)}  # fmt: skip


@dataclass
class _Snapshot:
    items: list[dict[str, str]]  # rows as the page shows them, built once for every page sharing the read
    counts: dict[str, int]
    colleagues: list[dict[str, str]]
    header: dict[str, str]
    messages: list[dict[str, str]]
    earlier: list[dict[str, str]]


async def _items(context: AuthContext, view: str) -> list[dict[str, str]]:
    async with session_scope() as session:
        found = await inbox.list_inbox(session=session, tenant_id=context.tenant_id, operator_id=context.user_id,
                                       view=view, assistants=context.assistants)  # fmt: skip
    return [_item(i) for i in found]


async def _counts(context: AuthContext) -> dict[str, int]:
    async with session_scope() as session:
        return await inbox.counts(session=session, tenant_id=context.tenant_id, operator_id=context.user_id,
                                  assistants=context.assistants)  # fmt: skip


async def _people(tenant_id: uuid.UUID) -> list[presence.Colleague]:
    async with session_scope() as session:
        return await presence.colleagues(session=session, tenant_id=tenant_id)


@dataclass
class _Dialog:
    header: inbox.InboxItem
    messages: list[dict[str, str]]
    earlier: list[dict[str, str]]


async def _dialog(context: AuthContext, selected: str) -> _Dialog | None:
    """The open dialog; None when it is gone or no longer in the operator's assistants."""
    where = {"tenant_id": context.tenant_id, "dialog_id": uuid.UUID(selected), "assistants": context.assistants}
    try:
        async with session_scope() as session:
            header = await inbox.dialog_header(session=session, **where)
            lines = [_line(m) for m in await dialogs.transcript(session=session, **where)]
            earlier = [
                {"id": str(e.id), "when": f"{e.last_message_at:%Y-%m-%d}" if e.last_message_at else "",
                 "status": e.status, "preview": e.preview}
                for e in await inbox.earlier_dialogs(session=session, **where)
            ]  # fmt: skip
    except NotFound:
        return None
    return _Dialog(header, lines, earlier)


def unseen(event: Event, view: str, selected: str) -> bool:
    """A message in a dialog the AI is handling (or closed), neither open on the page nor in its list: no queue,
    counter or shown preview changes (a busy workspace's AI chats would otherwise reload every operator page)."""
    return (
        event.type == "message.created"
        and event.data.get("status") in (DialogStatus.ai, DialogStatus.closed)
        and view != "all"
        and event.data.get("dialog_id") != selected
    )


class SharedReads:
    """One database read for every open page that needs the same thing after the same events.

    An event wakes every page of the process at once (100 operator connections: 100 identical reloads). A page
    asks for a read no older than the hub's event count when it asks; a read started at that count or later
    (in flight or done) already reflects every event up to it, so the page shares it instead of starting its own.
    What a page itself just changed is read afresh by its own handler, not here."""

    KEEP = 1000

    def __init__(self) -> None:
        self._reads: dict[tuple[object, ...], tuple[int, asyncio.Future[object]]] = {}

    async def get(self, key: tuple[object, ...], generation: int, read: Callable[[], Awaitable[T]]) -> T:
        found = self._reads.get(key)
        if found is None or found[0] < generation:
            if len(self._reads) >= self.KEEP:
                self._reads = {k: v for k, v in self._reads.items() if not v[1].done()}
            found = (generation, asyncio.ensure_future(read()))
            self._reads[key] = found
        return await asyncio.shield(found[1])  # type: ignore[return-value]


LIVE_READS = SharedReads()


async def _snapshot(context: AuthContext, view: str, selected: str, *, shared_after: int | None = None) -> _Snapshot:
    """Everything the page shows, read outside the state lock (other events of the page are not held up).
    `shared_after`: the hub's event count this must reflect; reads are then shared with other pages (the queue
    and colleagues by workspace, counters by operator, the open dialog by dialog)."""
    tenant, me, scope = context.tenant_id, context.user_id, context.assistants  # scope: an operator's assistants

    async def read(key: tuple[object, ...], load: Callable[[], Awaitable[T]]) -> T:
        return await (load() if shared_after is None else LIVE_READS.get(key, shared_after, load))

    items = await read(("items", tenant, scope, view, me if view == "mine" else None), lambda: _items(context, view))
    counts = await read(("counts", tenant, scope, me), lambda: _counts(context))
    people = await read(("people", tenant), lambda: _people(tenant))
    header: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    earlier: list[dict[str, str]] = []
    if selected:
        found = await read(("dialog", tenant, scope, selected), lambda: _dialog(context, selected))
        if found is not None:
            mine = found.header.status == "operator" and found.header.operator_id == me
            header = {**_item(found.header), "mine": "yes" if mine else ""}
            lines, earlier = found.messages, found.earlier
    colleagues = [{"name": p.name, "status": p.status} for p in people if p.user_id != me]
    return _Snapshot(items, counts, colleagues, header, lines, earlier)


class InboxState(rx.State):
    required_permission: ClassVar[Permission] = Permission.dialogs
    view: str = "queue"
    items: list[dict[str, str]] = []
    queue_count: int = 0
    mine_count: int = 0
    unread_total: int = 0
    selected: str = ""
    header: dict[str, str] = {}
    messages: list[dict[str, str]] = []
    draft: str = ""
    draft_id: str = ""  # the composer's id of the message being written: a repeated send is stored once
    sending: bool = False
    pane: str = "list"  # phones show one pane at a time: list -> chat (-> details)
    earlier: list[dict[str, str]] = []
    note_mode: bool = False
    canned: list[dict[str, str]] = []
    colleagues: list[dict[str, str]] = []
    my_status: str = "online"
    visitor_typing: bool = False
    error: str = ""
    live: bool = False
    _live_owner: str = ""  # which process's task serves the page (chatai_app/state/live.py)
    _last_beat: float = 0.0  # wall clock: the state moves between processes (and machines)
    _typing_until: float = 0.0
    _last_typing_sent: float = 0.0

    async def _context(self) -> AuthContext:
        return (await signed_in(self))[1]

    async def _reload(self, context: AuthContext) -> int:
        """Lists, counters, colleagues and the open dialog; returns how much the queue grew."""
        return self._apply(await _snapshot(context, self.view, self.selected))

    def _apply(self, snap: _Snapshot) -> int:
        """Only what changed is set: an unchanged list would still be type-checked, serialised and sent to the
        page (100 open inboxes woken by one event). Rows shared with other pages are copied, never aliased."""
        grew = snap.counts["queue"] - self.queue_count
        shown = {"items": snap.items, "queue_count": snap.counts["queue"], "mine_count": snap.counts["mine"],
                 "unread_total": snap.counts["unread"], "colleagues": snap.colleagues, "header": snap.header,
                 "messages": snap.messages, "earlier": snap.earlier}  # fmt: skip
        for name, value in shown.items():
            if getattr(self, name) != value:
                setattr(self, name, _own_copy(value))
        return grew

    @rx.var
    def canned_matches(self) -> list[dict[str, str]]:
        """Canned replies offered while the draft starts with '/': '/deliv' filters by title."""
        if not self.draft.startswith("/") or "\n" in self.draft:
            return []
        wanted = self.draft[1:].strip().lower()
        return [c for c in self.canned if wanted in c["title"].lower()][:8]

    async def _share_count(self) -> None:
        (await self.get_state(SessionState)).waiting_count = self.queue_count

    @rx.event
    async def load(self):
        try:
            context = await self._context()
        except DomainError:
            return rx.redirect("/login")
        self._last_beat = time.time()
        async with session_scope() as session:
            await presence.heartbeat(
                session=session, tenant_id=context.tenant_id, user_id=context.user_id, status=self.my_status
            )
            self.canned = [
                {"id": str(c.id), "title": c.title, "content": c.content}
                for c in await inbox.canned_replies(session=session, tenant_id=context.tenant_id)
            ]
        await self._reload(context)
        await self._share_count()
        if not self.draft_id:
            self.draft_id = uuid.uuid4().hex
        self.my_status = (await self.get_state(SessionState)).presence
        return InboxState.follow

    @rx.event
    async def heartbeat(self, _: str = ""):
        """From the page every 20 s: presence stays fresh; the live task knows the page is still open."""
        self._last_beat = time.time()
        try:
            context = await self._context()
        except DomainError:
            return None
        self.my_status = (await self.get_state(SessionState)).presence
        async with session_scope() as session:
            changed = await presence.heartbeat(
                session=session, tenant_id=context.tenant_id, user_id=context.user_id, status=self.my_status
            )
        if changed:
            from chatai_app.services import events

            await events.publish("presence.changed", context.tenant_id, user_id=context.user_id)
        if served_here(self.live, self._live_owner):
            return None
        await self._reload(context)  # no live task serves the page here: catch up on what it missed
        return InboxState.follow

    @rx.event
    async def set_my_status(self, status: str):
        self.my_status = status if status in ("online", "away") else "online"
        return await self.heartbeat()

    @rx.event
    async def set_view(self, view: str):
        self.view = view if view in inbox.VIEWS else "queue"
        await self._reload(await self._context())

    @rx.event
    def show_pane(self, pane: str):
        self.pane = pane if pane in ("list", "chat", "details") else "list"

    @rx.event
    async def open_dialog(self, dialog_id: str):
        context = await self._context()
        self.selected, self.draft, self.error, self.visitor_typing = dialog_id, "", "", False
        self.pane, self.draft_id = "chat", uuid.uuid4().hex
        try:
            async with session_scope() as session:
                await inbox.mark_read(session=session, tenant_id=context.tenant_id, dialog_id=uuid.UUID(dialog_id),
                                      assistants=context.assistants)  # fmt: skip
            await self._reload(context)
            if not self.header:
                raise NotFound("Dialog not found")
        except (DomainError, ValueError):
            self.selected, self.header, self.messages, self.pane = "", {}, [], "list"
            return rx.toast.error((await self.get_state(SessionState)).message("Dialog not found"))
        return rx.call_script("window.chataiStick && window.chataiStick(true)")

    async def _act(self, action: str):
        context = await self._context()
        operation = {"take": inbox.take_dialog, "release": inbox.release_dialog, "close": inbox.close_dialog}[action]
        failed = None
        try:
            await operation(
                tenant_id=context.tenant_id, operator_id=context.user_id, dialog_id=uuid.UUID(self.selected),
                assistants=context.assistants,
            )  # fmt: skip
        except DomainError as exc:
            failed = rx.toast.error((await self.get_state(SessionState)).message(exc))
        await self._reload(context)
        await self._share_count()
        return failed

    @rx.event
    async def take(self):
        return await self._act("take")

    @rx.event
    async def release(self):
        return await self._act("release")

    @rx.event
    async def close(self):
        return await self._act("close")

    @rx.event
    async def set_draft(self, text: str):
        self.draft = text
        now = time.time()
        if self.selected and not self.note_mode and text and now - self._last_typing_sent > 3:
            self._last_typing_sent = now
            context = await self._context()
            await inbox.typing(tenant_id=context.tenant_id, dialog_id=uuid.UUID(self.selected), actor="operator")

    @rx.event
    def set_note_mode(self, value: bool):
        self.note_mode = value

    @rx.event
    async def send(self, form: dict[str, str] | None = None):
        """Send the reply (or note). The box is cleared at once and the button disabled while it goes out; the
        composer's message id makes a second click (or a retry) store and deliver it only once."""
        form = form or {}
        text = (form.get("text") or self.draft).strip()  # the form has what the debounced draft may not yet
        client_id = form.get("draft_id") or self.draft_id
        if self.sending or not text or not self.selected:
            return
        self.sending, self.draft, self.error = True, "", ""
        yield rx.set_value("inbox-draft", "")
        context = await self._context()
        session_state = await self.get_state(SessionState)
        try:
            if self.note_mode:
                await inbox.add_note(tenant_id=context.tenant_id, operator_id=context.user_id,
                                     dialog_id=uuid.UUID(self.selected), text=text,
                                     assistants=context.assistants)  # fmt: skip
            else:
                await inbox.reply(
                    tenant_id=context.tenant_id, operator_id=context.user_id, dialog_id=uuid.UUID(self.selected),
                    text=text, client_message_id=client_id, assistants=context.assistants,
                )  # fmt: skip
            self.draft_id = uuid.uuid4().hex
        except ValidationFailed as exc:
            self.sending, self.draft = False, text
            yield [rx.set_value("inbox-draft", text),
                   rx.toast.error(session_state.message(next(iter(exc.fields.values()))))]  # fmt: skip
            return
        except DomainError as exc:
            self.sending, self.draft = False, text
            yield [rx.set_value("inbox-draft", text), rx.toast.error(session_state.message(exc))]
            return
        await self._reload(context)
        self.sending = False
        yield rx.call_script("window.chataiStick && window.chataiStick(true)")

    @rx.event
    def use_canned(self, canned_id: str):
        found = next((c for c in self.canned if c["id"] == canned_id), None)
        if found:
            typed = "" if self.draft.startswith("/") else self.draft
            self.draft = (typed + "\n" if typed else "") + found["content"]
            return [rx.set_value("inbox-draft", self.draft), rx.set_focus("inbox-draft")]
        return None

    @rx.event
    async def add_canned(self, form: dict[str, str]):
        context = await self._context()
        try:
            async with session_scope() as session:
                added = await inbox.add_canned_reply(
                    session=session, tenant_id=context.tenant_id, title=form.get("title", ""),
                    content=form.get("content", ""),
                )  # fmt: skip
        except ValidationFailed as exc:
            return rx.toast.error("; ".join((await self.get_state(SessionState)).field_messages(exc).values()))
        self.canned = sorted([*self.canned, {"id": str(added.id), "title": added.title, "content": added.content}],
                             key=lambda c: c["title"])  # fmt: skip
        self.error = ""
        return rx.set_value("canned-title", "")

    @rx.event
    async def delete_canned(self, canned_id: str):
        context = await self._context()
        try:
            async with session_scope() as session:
                await inbox.delete_canned_reply(
                    session=session, tenant_id=context.tenant_id, canned_id=uuid.UUID(canned_id)
                )
        except DomainError as exc:
            return rx.toast.error((await self.get_state(SessionState)).message(exc))
        self.canned = [c for c in self.canned if c["id"] != canned_id]
        return None

    @rx.event(background=True)
    async def follow(self):
        """Live updates while the page is open; one bus subscription per process serves every page."""
        async with self:
            if served_here(self.live, self._live_owner):
                return
            mine = claim()  # a task of a dead node, or of the node the websocket left, no longer serves it
            self.live, self._live_owner = True, mine
            token = (await self.get_state(SessionState)).session_token
        try:
            live = LiveContext(token, self.required_permission, await context_of(token, self.required_permission))
            async for update in self._follow(live, mine):
                yield update
        except DomainError:
            return
        finally:
            async with self:
                if self._live_owner == mine:
                    self.live, self._live_owner = False, ""

    async def _follow(self, live: LiveContext, mine: str):
        tenant = str((await live.current()).tenant_id)
        async with get_event_hub().listen() as queue:
            # What arrived between the page's own read (load, on every (re)connect) and this subscription
            # would otherwise wait for the next event: one catch-up read now that nothing more can be missed.
            if update := await self._live_reload(await live.current()):
                yield update
            while True:
                async with self:
                    if self._live_owner != mine or time.time() - self._last_beat > PAGE_GONE_AFTER_S:
                        return  # superseded (the page moved to another process) or closed
                    if self.visitor_typing and time.time() > self._typing_until:
                        self.visitor_typing = False
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=2)
                except TimeoutError:
                    continue
                if (
                    event.tenant_id != tenant
                    or not event.type.startswith(LIVE_EVENTS)
                    or unseen(event, self.view, self.selected)
                ):
                    continue
                if event.type == "typing":
                    async with self:
                        if event.data.get("actor") == "visitor" and event.data.get("dialog_id") == self.selected:
                            self.visitor_typing, self._typing_until = True, time.time() + TYPING_SHOWN_S
                    continue
                await _settle(queue)  # one reload for a burst (a message, its handoff, the notice)
                if update := await self._live_reload(await live.current()):
                    yield update

    async def _live_reload(self, context: AuthContext):
        """Reload what the page shows (a read shared with the pages woken by the same events); the title's
        counter, and a notification when the queue grew. Which view and dialog the page shows is read without
        the state's lock and checked under it before applying (read again if the page moved on meanwhile): one
        lock, state write and delta per page and event instead of two (100 pages woken at once; issue 16)."""
        generation = get_event_hub().generation
        view, selected = self.view, self.selected
        for _ in range(2):
            try:
                snap = await _snapshot(context, view, selected, shared_after=generation)
            except Exception as exc:  # the database briefly away or busy: the page stays live
                if not LIVE_OUTAGES.report(exc, where="inbox live reload"):
                    log.exception("inbox live reload failed")
                return None  # the next event reloads it
            async with self:
                if (self.view, self.selected) == (view, selected):
                    grew = self._apply(snap)
                    title = self.queue_count
                    await self._share_count()
                    break
                view, selected = self.view, self.selected
        else:
            return None  # the page keeps moving: its own handlers read what it shows
        if grew > 0:
            return rx.call_script(f"window.chataiNotify && window.chataiNotify({title})")
        return rx.call_script(f"window.chataiTitle && window.chataiTitle({title})")


async def _settle(queue: asyncio.Queue, quiet_s: float = 0.01, at_most_s: float = 0.15) -> None:
    """Let a burst of events arrive; they are covered by the reload that follows. One action's events are
    published back to back (a handoff and its notice arrive within a few ms), so a short quiet ends the burst."""
    loop = asyncio.get_running_loop()
    until = loop.time() + at_most_s
    while loop.time() < until:
        try:
            await asyncio.wait_for(queue.get(), timeout=quiet_s)
        except TimeoutError:
            return
