"""Knowledge page of one assistant: uploads and website imports with live progress, Q&A pairs, a retrieval tester."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import assistants, telegram
from chatai_app.services.accounts import AuthContext
from chatai_app.services.errors import DomainError, NotFound, ValidationFailed
from chatai_app.services.knowledge import documents, qa, retrieval, websites
from chatai_app.services.permissions import Permission
from chatai_app.settings import get_settings
from chatai_app.state.live import claim, served_here
from chatai_app.state.routing import id_after
from chatai_app.state.session import SessionState, context_of, signed_in

WATCH_INTERVAL_S = 1.0
WATCH_LIMIT_S = 15 * 60


def _document_row(d: documents.DocumentOut) -> dict[str, str]:
    return {
        "id": str(d.id),
        "filename": d.filename,
        "status": d.status,
        "progress": str(round(d.progress * 100)),
        "chunks": str(d.chunk_count),
        "pages": str(d.page_count or ""),
        "size": f"{d.size_bytes / 1024:.0f} KB",
        "error": d.error,
    }


def _website_row(s: websites.SourceOut) -> dict[str, str]:
    return {
        "id": str(s.id), "url": s.start_url, "status": s.status, "progress": str(round(s.progress * 100)),
        "pages": str(s.documents), "changes": f"{s.pages_added} / {s.pages_changed} / {s.pages_removed}",
        "error": s.error, "recrawl": str(s.recrawl_hours),
        "last": s.last_crawled_at[:16].replace("T", " ") if s.last_crawled_at else "",
    }  # fmt: skip


@dataclass(frozen=True)
class _Snapshot:
    assistant_id: uuid.UUID
    name: str
    documents: list[documents.DocumentOut]
    pairs: list[qa.QAOut]
    bots: list[telegram.BotOut]
    sites: list[websites.SourceOut]


async def _fetch(tenant_id: uuid.UUID, assistant_id: uuid.UUID) -> _Snapshot:
    async with session_scope() as session:
        assistant = await assistants.get_assistant(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        docs = await documents.list_documents(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        pairs = await qa.list_qa(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
        bots = await telegram.list_bots(session=session, tenant_id=tenant_id)
        sites = await websites.list_sources(session=session, tenant_id=tenant_id, assistant_id=assistant_id)
    return _Snapshot(assistant.id, assistant.name, docs, pairs, bots, sites)


class KnowledgeState(rx.State):
    required_permission: ClassVar[Permission] = Permission.assistants_manage
    assistant_name: str = ""
    current_assistant: str = ""
    documents: list[dict[str, str]] = []
    qa_pairs: list[dict[str, str]] = []
    results: list[dict[str, str]] = []
    upload_errors: list[str] = []
    qa_errors: dict[str, str] = {}
    import_report: str = ""
    watching: bool = False
    _watch_owner: str = ""  # which process's task refreshes the page (chatai_app/state/live.py)
    not_found: bool = False
    bots: list[dict[str, str]] = []
    bot_error: str = ""
    bot_mode: str = "polling"
    websites: list[dict[str, str]] = []
    website_errors: dict[str, str] = {}
    website_recrawl: str = "0"

    def _assistant_id(self) -> uuid.UUID:
        return id_after(self.router.url.path, "assistants")

    async def _reload(self, context: AuthContext) -> None:
        self._apply(await _fetch(context.tenant_id, self._assistant_id()))

    def _apply(self, snapshot: _Snapshot) -> None:
        self.assistant_name, self.current_assistant = snapshot.name, str(snapshot.assistant_id)
        self.bots = [
            {"id": str(b.id), "username": b.username, "hint": b.token_hint, "mode": b.mode, "status": b.status,
             "enabled": "yes" if b.enabled else "", "error": b.last_error,
             "last_update": f"{b.last_update_at:%Y-%m-%d %H:%M:%S}" if b.last_update_at else ""}
            for b in snapshot.bots
            if b.assistant_id == snapshot.assistant_id
        ]  # fmt: skip
        self.documents = [_document_row(d) for d in snapshot.documents]
        self.websites = [_website_row(s) for s in snapshot.sites]
        self.qa_pairs = [{"id": str(p.id), "question": p.question, "answer": p.answer} for p in snapshot.pairs]

    @rx.var
    def busy(self) -> bool:
        return any(d["status"] in ("pending", "processing") for d in self.documents) or any(
            s["status"] in ("pending", "crawling") for s in self.websites
        )

    @rx.event
    async def load(self):
        try:
            _, context = await signed_in(self)
            await self._reload(context)
        except NotFound:
            self.not_found = True
            return None
        except DomainError:
            return rx.redirect("/login")
        self.not_found, self.results, self.upload_errors = False, [], []
        return KnowledgeState.watch_progress if self.busy else None

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        session_state, context = await signed_in(self)
        self.upload_errors = []
        if not files:
            self.upload_errors = [session_state.message("Choose a file first")]
            return None
        limit = get_settings().max_upload_bytes
        for file in files:
            data = await file.read()
            try:
                async with session_scope() as session:
                    await documents.add_document(
                        session=session,
                        tenant_id=context.tenant_id,
                        assistant_id=self._assistant_id(),
                        filename=file.name or "",
                        data=data,
                        max_bytes=limit,
                    )
            except DomainError as exc:
                self.upload_errors.append(session_state.message(exc))
        await self._reload(context)
        return [rx.clear_selected_files("kb_upload"), KnowledgeState.watch_progress]

    @rx.event(background=True)
    async def watch_progress(self):
        """Refresh documents every second while any is being indexed (progress bars move live)."""
        async with self:
            if served_here(self.watching, self._watch_owner):
                return
            mine = claim()
            self.watching, self._watch_owner = True, mine
            token, assistant_id = (await self.get_state(SessionState)).session_token, self._assistant_id()
        try:
            for _ in range(int(WATCH_LIMIT_S / WATCH_INTERVAL_S)):
                await asyncio.sleep(WATCH_INTERVAL_S)
                context = await context_of(token, self.required_permission)  # re-checked on every refresh
                snapshot = await _fetch(context.tenant_id, assistant_id)
                async with self:
                    if self._watch_owner != mine:
                        return  # the page moved to another process
                    self._apply(snapshot)
                    if not self.busy:
                        break
        finally:
            async with self:
                if self._watch_owner == mine:
                    self.watching, self._watch_owner = False, ""

    @rx.event
    async def reindex(self, document_id: str):
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                await documents.reindex_document(
                    session=session, tenant_id=context.tenant_id, document_id=uuid.UUID(document_id)
                )
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return KnowledgeState.watch_progress

    @rx.event
    async def delete_document(self, document_id: str):
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                await documents.delete_document(
                    session=session, tenant_id=context.tenant_id, document_id=uuid.UUID(document_id)
                )
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return None

    @rx.event
    def set_website_recrawl(self, value: str) -> None:
        self.website_recrawl = value if value in ("0", "24", "168") else "0"

    @rx.event
    async def add_website(self, form: dict[str, str]):
        """Queue a website import (the job worker crawls it); progress shows live."""
        session_state, context = await signed_in(self)
        self.website_errors = {}

        def number(name: str, default: int) -> int:
            try:
                return int(form.get(name) or default)
            except ValueError:
                return -1

        try:
            async with session_scope() as session:
                await websites.add_website(
                    session=session, tenant_id=context.tenant_id, assistant_id=self._assistant_id(),
                    url=form.get("website_url", ""), max_pages=number("max_pages", 50),
                    max_depth=number("max_depth", 2), recrawl_hours=int(self.website_recrawl),
                )  # fmt: skip
        except ValidationFailed as exc:
            self.website_errors = session_state.field_messages(exc)
            return None
        except DomainError as exc:
            self.website_errors = {"url": session_state.message(exc)}
            return None
        await self._reload(context)
        return [rx.set_value("website_url", ""), KnowledgeState.watch_progress]

    @rx.event
    async def recrawl_website(self, source_id: str):
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                await websites.recrawl(session=session, tenant_id=context.tenant_id, source_id=uuid.UUID(source_id))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return KnowledgeState.watch_progress

    @rx.event
    async def delete_website(self, source_id: str):
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                await websites.delete_source(
                    session=session, tenant_id=context.tenant_id, source_id=uuid.UUID(source_id)
                )
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return None

    @rx.event
    async def add_qa(self, form: dict[str, str]):
        session_state, context = await signed_in(self)
        self.qa_errors = {}
        try:
            async with session_scope() as session:
                await qa.create_qa(
                    session=session,
                    tenant_id=context.tenant_id,
                    assistant_id=self._assistant_id(),
                    question=form.get("question", ""),
                    answer=form.get("answer", ""),
                )
        except ValidationFailed as exc:
            self.qa_errors = session_state.field_messages(exc)
            return None
        await self._reload(context)
        return rx.set_value("question", "")

    @rx.event
    async def delete_qa(self, qa_id: str):
        _, context = await signed_in(self)
        async with session_scope() as session:
            await qa.delete_qa(session=session, tenant_id=context.tenant_id, qa_id=uuid.UUID(qa_id))
        await self._reload(context)

    @rx.event
    async def import_csv(self, files: list[rx.UploadFile]):
        session_state, context = await signed_in(self)
        reports = []
        for file in files:
            try:
                async with session_scope() as session:
                    report = await qa.import_qa_csv(
                        session=session,
                        tenant_id=context.tenant_id,
                        assistant_id=self._assistant_id(),
                        data=await file.read(),
                    )
                reports.append(f"{file.name}: {report.imported} imported" + "".join(f"; {e}" for e in report.errors))
            except DomainError as exc:
                reports.append(f"{file.name}: {session_state.message(exc)}")
        self.import_report = " ".join(reports)
        await self._reload(context)
        return rx.clear_selected_files("qa_csv")

    @rx.event
    def set_bot_mode(self, mode: str) -> None:
        self.bot_mode = mode if mode in telegram.MODES else "polling"

    @rx.event
    async def connect_bot(self, form: dict[str, str]):
        session_state, context = await signed_in(self)
        self.bot_error = ""
        try:
            bot = await telegram.connect_bot(
                tenant_id=context.tenant_id, assistant_id=self._assistant_id(), token=form.get("token", ""),
                mode=self.bot_mode,
            )  # fmt: skip
        except ValidationFailed as exc:
            self.bot_error = session_state.message(next(iter(exc.fields.values())))
            return None
        except DomainError as exc:
            self.bot_error = session_state.message(exc)
            return None
        await self._reload(context)
        return [rx.set_value("bot-token", ""), rx.toast.success(f"@{bot.username}")]

    @rx.event
    async def toggle_bot(self, bot_id: str, enabled: bool):
        session_state, context = await signed_in(self)
        try:
            await telegram.set_enabled(tenant_id=context.tenant_id, bot_id=uuid.UUID(bot_id), enabled=enabled)
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return None

    @rx.event
    async def change_bot_mode(self, bot_id: str, mode: str):
        """Polling <-> webhook for a connected bot (Telegram is told at once when the bot is on)."""
        session_state, context = await signed_in(self)
        try:
            await telegram.set_mode(tenant_id=context.tenant_id, bot_id=uuid.UUID(bot_id), mode=mode)
        except ValidationFailed as exc:
            await self._reload(context)
            return rx.toast.error(session_state.message(next(iter(exc.fields.values()))))
        except DomainError as exc:
            await self._reload(context)
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return None

    @rx.event
    async def remove_bot(self, bot_id: str):
        """Asked for after the confirmation dialog: the bot is forgotten and its webhook released."""
        session_state, context = await signed_in(self)
        try:
            await telegram.remove_bot(tenant_id=context.tenant_id, bot_id=uuid.UUID(bot_id))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        await self._reload(context)
        return None

    @rx.event
    async def search(self, form: dict[str, str]):
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                hits = await retrieval.search(
                    session=session,
                    tenant_id=context.tenant_id,
                    assistant_id=self._assistant_id(),
                    query=form.get("query", ""),
                    k=5,
                )
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        self.results = [
            {
                "text": h.text if h.kind == "chunk" else f"{h.text} → {h.answer}",
                "source": h.document_name or "Q&A",
                "page": str(h.page or ""),
                "score": f"{h.score:.4f}",
            }
            for h in hits
        ]
        return None
