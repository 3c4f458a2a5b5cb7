"""Login and sign-up forms."""

from __future__ import annotations

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import auth
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.state.session import SessionState


class LoginState(rx.State):
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    async def submit(self, form: dict[str, str]):
        self.error, self.field_errors, self.submitting = "", {}, True
        yield
        session_state = await self.get_state(SessionState)
        try:
            async with session_scope() as session:
                opened = await auth.sign_in(
                    session=session,
                    policy=auth.default_policy(),
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    client=session_state.client_info(),
                    kind="web",
                )
        except DomainError as exc:
            self.error, self.submitting = session_state.message(exc), False
            return
        session_state.remember(opened.token, opened.context)
        self.submitting = False
        yield rx.redirect("/")


class SignUpState(rx.State):
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    async def submit(self, form: dict[str, str]):
        self.error, self.field_errors, self.submitting = "", {}, True
        yield
        session_state = await self.get_state(SessionState)
        try:
            async with session_scope() as session:
                opened = await auth.register(
                    session=session,
                    policy=auth.default_policy(),
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    full_name=form.get("full_name", ""),
                    workspace_name=form.get("workspace_name", ""),
                    locale=session_state.lang,
                    client=session_state.client_info(),
                    kind="web",
                )
        except ValidationFailed as exc:
            self.field_errors = {k: session_state.message(v) for k, v in exc.fields.items()}
            self.submitting = False
            return
        except DomainError as exc:
            self.error, self.submitting = session_state.message(exc), False
            return
        session_state.remember(opened.token, opened.context)
        self.submitting = False
        yield rx.redirect("/")
