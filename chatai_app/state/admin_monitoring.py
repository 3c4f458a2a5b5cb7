"""/admin/monitoring (charts and health) and /admin/trace (what happened to one message): platform admins only;
every handler re-checks the role (the shared `_AdminBase._guarded`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from chatai_app.services import logbook, monitoring, tracing
from chatai_app.services.errors import NotFound
from chatai_app.settings import get_settings
from chatai_app.state.admin_console import _AdminBase
from chatai_app.state.session import SessionState

HOURS = ("6", "24", "72", "168")


class AdminMonitoringState(_AdminBase):
    hours: str = "24"
    messages: list[dict[str, Any]] = []  # hour + a count per channel
    llm: list[dict[str, Any]] = []  # hour, replies, p50_ms, p95_ms, errors
    jobs: list[dict[str, Any]] = []  # hour, deferred, succeeded, failed
    queues: list[dict[str, str]] = []
    depth: dict[str, str] = {}
    bots: list[dict[str, Any]] = []  # status, count
    failing_bots: list[dict[str, str]] = []
    figures: dict[str, str] = {}  # operators online/away, widget streams and active widget dialogs
    health: list[dict[str, str]] = []
    updated: str = ""

    async def _refresh(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            hours = int(self.hours)
            self.messages = await monitoring.messages_per_hour(session=session, hours=hours)
            self.llm = await monitoring.llm_per_hour(session=session, hours=hours)
            jobs = await monitoring.jobs(session=session, hours=hours)
            self.jobs, self.depth = jobs.per_hour, {k: str(v) for k, v in jobs.depth.items()}
            self.queues = [{k: str(v) for k, v in q.items()} for q in jobs.queues]
            bots = await monitoring.bots(session=session)
            self.bots = [{"status": s, "count": n} for s, n in sorted(bots.by_status.items())]
            self.failing_bots = bots.failing
            operators = await monitoring.operators_online(session=session)
            widget = await monitoring.widget_activity(session=session)
            self.figures = {
                "online": str(operators["online"]),
                "away": str(operators["away"]),
                "streams": str(widget["streams"]),
                "active_dialogs": str(widget["active_dialogs"]),
                "messages": str(sum(sum(v for k, v in m.items() if k != "hour") for m in self.messages)),
                "llm_errors": str(sum(m["errors"] for m in self.llm)),
                "bots": str(sum(b["count"] for b in self.bots)),
            }
            checks = await monitoring.health(session=session, redis_url=get_settings().redis_url)
            self.health = [{"name": h.name, "state": h.state, "detail": h.detail} for h in checks]
            self.updated = f"{datetime.now(UTC):%H:%M:%S} UTC"

        return await self._guarded(work)

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._refresh()

    @rx.event
    async def refresh(self):
        return await self._refresh()

    @rx.event
    async def set_hours(self, value: str):
        self.hours = value if value in HOURS else "24"
        return await self._refresh()


class AdminTraceState(_AdminBase):
    """One message's trace, by message id (`/admin/trace?message=ID`) or the messages of a dialog (`?dialog=ID`,
    the link on a log record)."""

    trace: dict[str, str] = {}
    steps: list[dict[str, str]] = []  # stage, at, took, width (percent of the whole turn), state
    facts: list[dict[str, str]] = []
    dialog_messages: list[dict[str, str]] = []
    dialog_logs: list[dict[str, str]] = []
    not_found: bool = False

    def _query(self, name: str) -> str:
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(str(self.router.url)).query).get(name, [""])[0][:64]

    async def _open(self, message_id: str, dialog_id: str) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            self.trace, self.steps, self.facts, self.not_found = {}, [], [], False
            self.dialog_messages, self.dialog_logs = [], []
            dialog = _uuid(dialog_id)
            if message_id.isdigit():
                try:
                    found = await tracing.message_trace(session=session, message_id=int(message_id))
                except NotFound:
                    self.not_found = True
                    return
                self._show(found)
                dialog = found.dialog_id
            if dialog is not None:
                listed = await tracing.dialog_messages(session=session, dialog_id=dialog)
                self.dialog_messages = [{"id": str(i), "text": text[:160]} for i, text in listed]
                records = await logbook.recent(session=session, dialog_id=dialog, limit=50)
                self.dialog_logs = [
                    {"at": r.created_at[11:19], "level": r.level, "message": r.message[:500], "request": r.request_id}
                    for r in records
                ]

        return await self._guarded(work)

    def _show(self, found: tracing.MessageTrace) -> None:
        total = max((s.at_ms or 0.0 for s in found.steps), default=0.0) or 1.0
        self.trace = {
            "message_id": str(found.message_id),
            "reply_id": str(found.reply_id or ""),
            "tenant": str(found.tenant_id),
            "dialog": str(found.dialog_id),
            "channel": found.channel,
            "question": found.question[:500],
            "reply": found.reply[:1000],
            "outcome": found.outcome,
            "received_at": found.received_at.replace("T", " "),
            "total": f"{total:.0f} ms" if total > 1 else "—",
        }
        self.steps = [
            {
                "stage": s.stage,
                "at": "—" if s.at_ms is None else f"{s.at_ms:.1f} ms",
                "took": "" if s.took_ms is None else f"+{s.took_ms:.1f} ms",
                "width": f"{max(1.0, 100 * (s.took_ms or 0) / total):.0f}%" if s.took_ms is not None else "0%",
                "state": "done" if s.at_ms is not None else "skipped",
            }
            for s in found.steps
        ]
        self.facts = [{"name": k, "value": str(v)} for k, v in sorted(found.facts.items())]

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._open(self._query("message"), self._query("dialog"))

    @rx.event
    async def open(self, form: dict[str, str]):
        message_id = form.get("message_id", "").strip().lstrip("#")
        if not message_id.isdigit():
            return rx.toast.error((await self.get_state(SessionState)).message("Enter a message number"))
        return await self._open(message_id, "")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
