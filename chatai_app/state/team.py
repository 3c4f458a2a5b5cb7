"""The Team page (members, roles, invitations) and the public page that accepts an invitation (issue 14)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import auth_sessions, team
from chatai_app.services.auth import default_policy
from chatai_app.services.errors import AuthenticationRequired, DomainError, PermissionDenied, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in


def query_token(state: rx.State) -> str:
    """The `token` query parameter of the page's URL (e-mailed links)."""
    values = parse_qs(urlsplit(str(state.router.url)).query).get("token", [""])
    return values[0][:600]


def _date(value: str) -> str:
    return value[:16].replace("T", " ")


class TeamState(rx.State):
    required_permission: ClassVar[Permission] = Permission.team_manage
    members: list[dict[str, str]] = []
    invites: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    invite_role: str = "operator"
    my_role: str = ""
    my_id: str = ""
    denied: str = ""
    loaded: bool = False
    assistants: list[dict[str, str]] = []  # the workspace's assistants, for the operator's assistant picker
    assign_user: str = ""  # the operator whose assistants are being chosen ("" while the picker is closed)
    assign_email: str = ""
    assign_all: bool = True
    assign_picked: list[str] = []

    @rx.event
    def set_invite_role(self, role: str) -> None:
        self.invite_role = role if role in ("admin", "operator") else "operator"

    async def _refresh(self) -> None:
        _, context = await signed_in(self)
        async with session_scope() as session:
            data = await team.team(session=session, tenant_id=context.tenant_id)
        self.my_role, self.my_id = context.role, str(context.user_id)
        manageable = {"owner": ("admin", "operator"), "admin": ("operator",)}.get(context.role, ())
        self.members = [
            {
                "user_id": str(m.user_id),
                "email": m.email,
                "name": m.full_name,
                "role": m.role,
                "joined": _date(m.joined_at),
                "last_login": _date(m.last_login_at),
                "two_factor": "yes" if m.two_factor else "",
                "blocked": "yes" if m.blocked else "",
                "manageable": "yes" if m.role in manageable and str(m.user_id) != self.my_id else "",
                "scope": "all" if m.assistant_ids is None else "some",
                "scope_count": str(len(set(m.assistant_ids or ()) & {a_id for a_id, _ in data.assistants})),
                "scope_ids": ",".join(m.assistant_ids or ()),
            }
            for m in data.members
        ]
        self.assistants = [{"id": a_id, "name": name} for a_id, name in data.assistants]
        self.invites = [
            {
                "id": str(i.id),
                "email": i.email,
                "role": i.role,
                "sent": _date(i.last_sent_at),
                "count": str(i.sent_count),
                "expires": _date(i.expires_at),
                "expired": "yes" if i.expired else "",
                "manageable": "yes" if i.role in manageable else "",
            }
            for i in data.invites
        ]

    @rx.event
    async def load(self):
        self.denied, self.field_errors = "", {}
        try:
            await self._refresh()
        except AuthenticationRequired:
            return rx.redirect("/login")
        except PermissionDenied as exc:
            self.denied = (await self.get_state(SessionState)).message(exc)
        self.loaded = True
        return None

    async def _act(self, work: Any, done: str) -> Any:
        session_state = await self.get_state(SessionState)
        self.field_errors = {}
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                await work(session, context, session_state)
            await self._refresh()
        except ValidationFailed as exc:
            self.field_errors = session_state.field_messages(exc)
            return None
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return rx.toast.success(session_state.message(done))

    @rx.event
    async def invite(self, form: dict[str, str]):
        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.invite(
                session=session,
                actor=context,
                email=form.get("email", ""),
                role=self.invite_role,
                lang=session_state.lang,
                ip=session_state.client_info().ip,
            )

        return await self._act(work, "Invitation sent")

    @rx.event
    async def resend(self, invite_id: str):
        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.resend(
                session=session,
                actor=context,
                invite_id=uuid.UUID(invite_id),
                lang=session_state.lang,
                ip=session_state.client_info().ip,
            )

        return await self._act(work, "Invitation sent again")

    @rx.event
    async def revoke(self, invite_id: str):
        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.revoke(
                session=session, actor=context, invite_id=uuid.UUID(invite_id), ip=session_state.client_info().ip
            )

        return await self._act(work, "Invitation revoked")

    @rx.event
    async def change_role(self, user_id: str, role: str):
        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.change_role(
                session=session, actor=context, user_id=uuid.UUID(user_id), role=role, ip=session_state.client_info().ip
            )

        return await self._act(work, "Role changed")

    @rx.event
    async def remove(self, user_id: str):
        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.remove(
                session=session, actor=context, user_id=uuid.UUID(user_id), ip=session_state.client_info().ip
            )

        return await self._act(work, "Member removed; their sessions have ended")

    @rx.event
    def open_assign(self, user_id: str) -> None:
        member = next((m for m in self.members if m["user_id"] == user_id and m["role"] == "operator"), None)
        if member is None:
            return
        self.assign_user, self.assign_email, self.field_errors = user_id, member["email"], {}
        self.assign_all = member["scope"] == "all"
        self.assign_picked = [i for i in member["scope_ids"].split(",") if i]

    @rx.event
    def assign_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.assign_user = ""

    @rx.event
    def set_assign_all(self, value: str) -> None:
        self.assign_all, self.field_errors = value == "all", {}

    @rx.event
    def toggle_assign(self, assistant_id: str, checked: bool) -> None:
        kept, self.field_errors = [i for i in self.assign_picked if i != assistant_id], {}
        self.assign_picked = [*kept, assistant_id] if checked else kept

    @rx.event
    async def save_assign(self):
        chosen = None if self.assign_all else [uuid.UUID(i) for i in self.assign_picked]

        async def work(session: Any, context: Any, session_state: SessionState) -> None:
            await team.set_assistants(
                session=session, actor=context, user_id=uuid.UUID(self.assign_user), assistant_ids=chosen,
                ip=session_state.client_info().ip,
            )  # fmt: skip

        done = await self._act(work, "Assistants saved")
        if not self.field_errors:
            self.assign_user = ""
        return done


class AcceptInviteState(rx.State):
    """Public: the e-mailed link is the credential."""

    token: str = ""
    email: str = ""
    role: str = ""
    workspace: str = ""
    inviter: str = ""
    has_account: bool = False
    invalid: str = ""
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    async def load(self):
        session_state = await self.get_state(SessionState)
        self.token, self.invalid, self.error, self.field_errors = query_token(self), "", "", {}
        try:
            async with session_scope() as session:
                preview = await team.preview(session=session, token=self.token)
        except DomainError as exc:
            self.invalid = session_state.message(exc)
            return
        self.email, self.role, self.workspace = preview.email, preview.role, preview.workspace
        self.inviter, self.has_account = preview.inviter, preview.has_account

    @rx.event
    async def accept(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.error, self.field_errors, self.submitting = "", {}, True
        yield
        try:
            async with session_scope() as session:
                context = await team.accept(
                    session=session,
                    token=self.token,
                    password=form.get("password", ""),
                    full_name=form.get("full_name", ""),
                    code=form.get("code", ""),
                    locale=session_state.lang,
                )
                client = session_state.client_info()
                opened = await auth_sessions.open_session(
                    session=session,
                    context=context,
                    kind="web",
                    ttl_s=default_policy().session_ttl_s,
                    user_agent=client.user_agent,
                    ip=client.ip,
                )
        except ValidationFailed as exc:
            self.field_errors = session_state.field_messages(exc)
            return
        except DomainError as exc:
            self.error = session_state.message(exc)
            return
        finally:
            self.submitting = False
        session_state.remember(opened.token, opened.context)
        yield rx.redirect("/inbox" if context.role == "operator" else "/")
