"""The platform admins' console pages (issue 14): users and workspaces, the database explorer, logs and the e-mail
outbox. Every state's rule is `platform.admin`: handlers re-check it on every call."""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import admin_console, db_explorer, logbook, mail, two_factor
from chatai_app.services.errors import AuthenticationRequired, DomainError, PermissionDenied, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in


def _rub(minor: int) -> str:
    return f"{minor / 100:,.2f}".replace(",", " ") + " ₽"


def _date(value: str) -> str:
    return value[:16].replace("T", " ")


class _AdminBase(rx.State):
    """Shared by the console's pages: the refusal message when the caller is not a platform admin."""

    required_permission: ClassVar[Permission] = Permission.platform_admin
    denied: str = ""

    async def _guarded(self, work: Any) -> Any:
        session_state = await self.get_state(SessionState)
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                return await work(session, context, session_state)
        except AuthenticationRequired:
            return rx.redirect("/login")
        except PermissionDenied as exc:
            self.denied = session_state.message(exc)
        except ValidationFailed as exc:
            return rx.toast.error("; ".join(session_state.field_messages(exc).values()))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return None


class AdminConsoleState(_AdminBase):
    query: str = ""
    users: list[dict[str, str]] = []
    workspaces: list[dict[str, str]] = []
    selected: dict[str, str] = {}
    usage: list[dict[str, str]] = []
    assistants: list[dict[str, str]] = []
    bots: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    audit: list[dict[str, str]] = []
    plans: list[str] = []
    admin_2fa_required: bool = False
    blocking_user_id: str = ""  # the user whose Block dialog is open
    blocking_email: str = ""

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._search()

    async def _search(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            users = await admin_console.search_users(session=session, query=self.query)
            spaces = await admin_console.search_tenants(session=session, query=self.query)
            self.admin_2fa_required = await two_factor.admin_policy(session=session)
            self.users = [
                {
                    "id": str(u.id),
                    "email": u.email,
                    "name": u.full_name,
                    "admin": "yes" if u.platform_role == "admin" else "",
                    "blocked": "yes" if u.blocked else "",
                    "reason": u.blocked_reason,
                    "verified": "yes" if u.email_verified else "",
                    "two_factor": "yes" if u.two_factor else "",
                    "last_login": _date(u.last_login_at),
                    "workspaces": str(u.workspaces),
                }
                for u in users
            ]
            self.workspaces = [
                {
                    "id": str(t.id),
                    "name": t.name,
                    "owner": t.owner_email,
                    "plan": t.plan_code,
                    "balance": _rub(t.balance_minor),
                    "blocked": "yes" if t.blocked else "",
                    "members": str(t.members),
                }
                for t in spaces
            ]

        return await self._guarded(work)

    @rx.event
    async def search(self, form: dict[str, str]):
        self.query = form.get("query", "")[:200]
        return await self._search()

    async def _open(self, tenant_id: str) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            d = await admin_console.tenant_detail(session=session, tenant_id=uuid.UUID(tenant_id))
            t = d.tenant
            self.selected = {
                "id": str(t.id),
                "name": t.name,
                "owner": t.owner_email,
                "owner_id": str(d.owner_id or ""),
                "owner_blocked": "yes" if d.owner_blocked else "",
                "plan": t.plan_code,
                "balance": _rub(t.balance_minor),
                "blocked": "yes" if t.blocked else "",
                "reason": t.blocked_reason,
                "dialogs": str(d.dialogs_total),
                "messages_30d": str(d.messages_30d),
                "created": _date(t.created_at),
            }
            self.usage = [
                {"resource": k, "used": str(v), "limit": str(d.limits.get(k, "∞"))} for k, v in d.usage.items()
            ]
            self.assistants = [{k: str(v) for k, v in a.items()} for a in d.assistants]
            self.bots = [{k: str(v) for k, v in b.items()} for b in d.bots]
            self.members = [{k: str(v) for k, v in m.items()} for m in d.members]
            self.audit = [
                {
                    "action": a["action"],
                    "at": _date(str(a["created_at"])),
                    "meta": json.dumps(a["meta"], ensure_ascii=False)[:200],
                }
                for a in d.audit
            ]
            self.plans = d.plans

        return await self._guarded(work)

    @rx.event
    async def open_workspace(self, tenant_id: str):
        return await self._open(tenant_id)

    @rx.event
    def close_workspace(self) -> None:
        self.selected = {}

    async def _change(self, work: Any, done: str, tenant_id: str = "") -> Any:
        async def run(session: Any, context: Any, session_state: SessionState) -> str:
            await work(session, context, session_state.client_info().ip)
            return session_state.message(done)

        result = await self._guarded(run)
        if not isinstance(result, str):
            return result
        await self._search()
        if tenant_id:
            await self._open(tenant_id)
        return rx.toast.success(result)

    @rx.event
    def ask_block_user(self, user_id: str, email: str) -> None:
        self.blocking_user_id, self.blocking_email = user_id, email

    @rx.event
    def cancel_block_user(self) -> None:
        self.blocking_user_id = self.blocking_email = ""

    @rx.event
    def dialog_open_changed(self, is_open: bool) -> None:
        if not is_open:
            self.blocking_user_id = self.blocking_email = ""

    @rx.event
    async def block_user(self, form: dict[str, str]):
        user_id, self.blocking_user_id, self.blocking_email = self.blocking_user_id, "", ""
        if not user_id:
            return None

        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.block_user(
                session=session, actor=context, user_id=uuid.UUID(user_id), reason=form.get("reason", ""), ip=ip
            )

        return await self._change(work, "User blocked; their sessions have ended", self.selected.get("id", ""))

    @rx.event
    async def unblock_user(self, user_id: str):
        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.unblock_user(session=session, actor=context, user_id=uuid.UUID(user_id), ip=ip)

        return await self._change(work, "User unblocked", self.selected.get("id", ""))

    @rx.event
    async def block_workspace(self, form: dict[str, str]):
        tenant_id = self.selected.get("id", "")

        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.block_tenant(
                session=session, actor=context, tenant_id=uuid.UUID(tenant_id), reason=form.get("reason", ""), ip=ip
            )

        return await self._change(work, "Workspace blocked", tenant_id)

    @rx.event
    async def unblock_workspace(self):
        tenant_id = self.selected.get("id", "")

        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.unblock_tenant(session=session, actor=context, tenant_id=uuid.UUID(tenant_id), ip=ip)

        return await self._change(work, "Workspace unblocked", tenant_id)

    @rx.event
    async def set_plan(self, plan_code: str):
        tenant_id = self.selected.get("id", "")

        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.set_plan(
                session=session, actor=context, tenant_id=uuid.UUID(tenant_id), plan_code=plan_code, ip=ip
            )

        return await self._change(work, "Plan changed", tenant_id)

    @rx.event
    async def adjust_balance(self, form: dict[str, str]):
        tenant_id = self.selected.get("id", "")

        async def work(session: Any, context: Any, ip: str) -> None:
            await admin_console.adjust_balance(
                session=session,
                actor=context,
                tenant_id=uuid.UUID(tenant_id),
                amount_rub=form.get("amount", ""),
                reason=form.get("reason", ""),
                ip=ip,
            )

        return await self._change(work, "Balance adjusted", tenant_id)

    @rx.event
    async def set_policy(self, required: bool):
        async def work(session: Any, context: Any, ip: str) -> None:
            await two_factor.set_admin_policy(session=session, required=bool(required), actor=context.user_id)

        return await self._change(work, "Saved")


class AdminDbState(_AdminBase):
    tables: list[dict[str, str]] = []
    table: str = ""
    columns: list[str] = []
    rows: list[list[str]] = []
    filters: dict[str, str] = {}
    page: int = 1
    total: int = 0
    page_size: int = 25

    @rx.event
    async def load(self):
        self.denied = ""

        async def work(session: Any, context: Any, _: SessionState) -> None:
            self.tables = [
                {"name": t.name, "rows": f"{'~' if t.estimated else ''}{t.rows}", "size": t.size}
                for t in await db_explorer.list_tables(session=session)
            ]

        return await self._guarded(work)

    async def _rows(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            result = await db_explorer.rows(
                session=session, table=self.table, page=self.page, page_size=self.page_size, filters=self.filters
            )
            self.columns = [c.name + (" 🔒" if c.masked else "") for c in result.columns]
            self.rows, self.total = result.rows, result.total

        return await self._guarded(work)

    @rx.event
    async def open_table(self, name: str):
        self.table, self.page, self.filters = name, 1, {}
        return await self._rows()

    @rx.event
    async def apply_filters(self, form: dict[str, str]):
        self.filters = {k.removeprefix("f_"): v for k, v in form.items() if k.startswith("f_") and v.strip()}
        self.page = 1
        return await self._rows()

    @rx.event
    async def next_page(self):
        if self.page * self.page_size < self.total:
            self.page += 1
        return await self._rows()

    @rx.event
    async def previous_page(self):
        self.page = max(1, self.page - 1)
        return await self._rows()

    @rx.var
    def filter_columns(self) -> list[str]:
        return [c for c in self.columns if not c.endswith("🔒")]


class AdminLogsState(_AdminBase):
    records: list[dict[str, str]] = []
    level: str = "INFO"
    text: str = ""
    tenant: str = ""

    @rx.event
    def set_level(self, level: str) -> None:
        self.level = level

    async def _load(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            tenant_id = uuid.UUID(self.tenant) if self.tenant.strip() else None
            found = await logbook.recent(
                session=session, level=self.level, text=self.text, tenant_id=tenant_id, limit=200
            )
            self.records = [
                {
                    "at": _date(r.created_at),
                    "level": r.level,
                    "logger": r.logger,
                    "process": r.process,
                    "message": r.message[:2000],
                    "tenant": r.tenant_id,
                    "request": r.request_id,
                    "dialog": r.dialog_id,  # links to its trace (/admin/trace)
                }
                for r in found
            ]

        return await self._guarded(work)

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._load()

    @rx.event
    async def filter(self, form: dict[str, str]):
        self.text, self.tenant = form.get("text", "")[:200], form.get("tenant", "")[:36]
        try:
            uuid.UUID(self.tenant) if self.tenant.strip() else None
        except ValueError:
            self.tenant = ""
            return rx.toast.error((await self.get_state(SessionState)).message("Enter a workspace id (UUID)"))
        return await self._load()


class AdminOutboxState(_AdminBase):
    messages: list[dict[str, str]] = []
    query: str = ""

    async def _load(self) -> Any:
        async def work(session: Any, context: Any, _: SessionState) -> None:
            found = await mail.list_outbox(session=session, query=self.query, limit=100)
            self.messages = [
                {
                    "id": str(m.id),
                    "to": m.to_address,
                    "subject": m.subject,
                    "body": m.body_text,
                    "status": m.status,
                    "kind": m.kind,
                    "at": _date(m.created_at),
                    "error": m.last_error,
                }
                for m in found
            ]

        return await self._guarded(work)

    @rx.event
    async def load(self):
        self.denied = ""
        return await self._load()

    @rx.event
    async def search(self, form: dict[str, str]):
        self.query = form.get("query", "")[:200]
        return await self._load()
