"""Account security pages (issue 14): two-factor set-up, recovery codes, the session list with "sign out
everywhere else", e-mail verification; and the public forgot/reset-password and verify-email pages."""

from __future__ import annotations

import uuid
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import account_links, auth, auth_sessions, two_factor
from chatai_app.services.errors import AuthenticationRequired, DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in
from chatai_app.state.team import query_token


def _browser(user_agent: str) -> str:
    for name in ("Edg", "OPR", "Firefox", "Chrome", "Safari"):
        if name in user_agent:
            return {"Edg": "Edge", "OPR": "Opera"}.get(name, name)
    return user_agent[:40] or "—"


class SecurityState(rx.State):
    required_permission: ClassVar[Permission] = Permission.profile
    enabled: bool = False
    required: bool = False
    codes_left: int = 0
    email_verified: bool = True
    setup_secret: str = ""
    setup_qr: str = ""
    recovery_codes: list[str] = []
    sessions: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}

    async def _refresh(self) -> None:
        session_state, context = await signed_in(self)
        async with session_scope() as session:
            status = await two_factor.status(session=session, user_id=context.user_id)
            rows = await auth_sessions.list_sessions(
                session=session, user_id=context.user_id, current_token=session_state.session_token
            )
        self.enabled, self.required, self.codes_left = status.enabled, status.required, status.recovery_codes_left
        self.email_verified = context.email_verified
        self.sessions = [
            {
                "id": str(r.id),
                "kind": r.kind,
                "started": r.created_at[:16].replace("T", " "),
                "ip": r.ip or "—",
                "browser": _browser(r.user_agent),
                "current": "yes" if r.current else "",
            }
            for r in rows
        ]

    @rx.event
    async def load(self):
        self.field_errors, self.setup_secret, self.setup_qr, self.recovery_codes = {}, "", "", []
        try:
            await self._refresh()
        except AuthenticationRequired:
            return rx.redirect("/login")
        except DomainError as exc:
            return rx.toast.error((await self.get_state(SessionState)).message(exc))
        return None

    async def _fail(self, exc: DomainError) -> object:
        session_state = await self.get_state(SessionState)
        if isinstance(exc, ValidationFailed):
            self.field_errors = session_state.field_messages(exc)
            return None
        return rx.toast.error(session_state.message(exc))

    @rx.event
    async def start_setup(self):
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                setup = await two_factor.begin_setup(session=session, user_id=context.user_id)
        except DomainError as exc:
            return await self._fail(exc)
        self.setup_secret, self.setup_qr, self.field_errors = setup.secret, setup.qr_svg_data_uri, {}
        return None

    @rx.event
    async def confirm_setup(self, form: dict[str, str]):
        self.field_errors = {}
        try:
            session_state, context = await signed_in(self)
            async with session_scope() as session:
                codes = await two_factor.enable(
                    session=session,
                    user_id=context.user_id,
                    code=form.get("code", ""),
                    ip=session_state.client_info().ip,
                )
            await self._refresh()
        except DomainError as exc:
            return await self._fail(exc)
        self.recovery_codes, self.setup_secret, self.setup_qr = codes, "", ""
        return rx.toast.success(session_state.message("Two-factor authentication is on"))

    @rx.event
    async def new_codes(self, form: dict[str, str]):
        self.field_errors = {}
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                codes = await two_factor.regenerate_codes(
                    session=session, user_id=context.user_id, code=form.get("code", "")
                )
            await self._refresh()
        except DomainError as exc:
            return await self._fail(exc)
        self.recovery_codes = codes
        return None

    @rx.event
    async def disable(self, form: dict[str, str]):
        self.field_errors = {}
        try:
            session_state, context = await signed_in(self)
            async with session_scope() as session:
                await two_factor.disable(
                    session=session,
                    user_id=context.user_id,
                    password=form.get("password", ""),
                    code=form.get("code", ""),
                    ip=session_state.client_info().ip,
                )
            await self._refresh()
        except DomainError as exc:
            return await self._fail(exc)
        self.recovery_codes = []
        return rx.toast.success(session_state.message("Two-factor authentication is off"))

    @rx.event
    async def end_session(self, session_id: str):
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                await auth_sessions.revoke_user_session(
                    session=session, user_id=context.user_id, session_id=uuid.UUID(session_id)
                )
            await self._refresh()
        except DomainError as exc:
            return await self._fail(exc)
        return None

    @rx.event
    async def sign_out_elsewhere(self):
        try:
            session_state, context = await signed_in(self)
            async with session_scope() as session:
                ended = await auth_sessions.revoke_all(
                    session=session, user_id=context.user_id, keep_token=session_state.session_token
                )
            await self._refresh()
        except DomainError as exc:
            return await self._fail(exc)
        return rx.toast.success(f"{session_state.message('Other sessions ended')}: {ended}")

    @rx.event
    async def resend_verification(self):
        try:
            session_state, context = await signed_in(self)
            async with session_scope() as session:
                await account_links.send_verification(session=session, user_id=context.user_id, lang=session_state.lang)
        except DomainError as exc:
            return await self._fail(exc)
        return rx.toast.success(session_state.message("Verification e-mail sent"))


class ForgotPasswordState(rx.State):
    """Public: the answer is the same whether or not the address has an account."""

    sent: bool = False
    error: str = ""

    @rx.event
    async def submit(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.error = ""
        try:
            async with session_scope() as session:
                await auth.request_password_reset(
                    session=session,
                    policy=auth.default_policy(),
                    email=form.get("email", ""),
                    client=session_state.client_info(),
                    lang=session_state.lang,
                )
        except DomainError as exc:
            self.error = session_state.message(exc)
            return
        self.sent = True


class ResetPasswordState(rx.State):
    """Public: the e-mailed link is the credential (30 minutes, once)."""

    token: str = ""
    email: str = ""
    invalid: str = ""
    done: bool = False
    field_errors: dict[str, str] = {}

    @rx.event
    async def load(self):
        session_state = await self.get_state(SessionState)
        self.token, self.invalid, self.done, self.field_errors = query_token(self), "", False, {}
        try:
            async with session_scope() as session:
                self.email = await account_links.reset_link_email(session=session, token=self.token)
        except DomainError as exc:
            self.invalid = session_state.message(exc)

    @rx.event
    async def submit(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.field_errors = {}
        try:
            async with session_scope() as session:
                await account_links.reset_password(
                    session=session,
                    token=self.token,
                    new_password=form.get("password", ""),
                    ip=session_state.client_info().ip,
                )
        except ValidationFailed as exc:
            self.field_errors = session_state.field_messages(exc)
            return
        except DomainError as exc:
            self.invalid = session_state.message(exc)
            return
        session_state._forget()
        self.done = True


class VerifyEmailState(rx.State):
    """Public: opening the e-mailed link confirms the address."""

    verified: bool = False
    invalid: str = ""

    @rx.event
    async def load(self):
        session_state = await self.get_state(SessionState)
        self.verified, self.invalid = False, ""
        try:
            async with session_scope() as session:
                await account_links.verify_email(session=session, token=query_token(self))
        except DomainError as exc:
            self.invalid = session_state.message(exc)
            return
        self.verified = True
