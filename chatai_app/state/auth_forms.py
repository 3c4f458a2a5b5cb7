"""Login and sign-up forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.db import session_scope
from chatai_app.services import auth, funnel, two_factor
from chatai_app.services.auth_sessions import OpenedSession
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.state.session import SessionState

OpenWith = Callable[[AsyncSession, SessionState], Awaitable[OpenedSession]]


async def _open_web_session(form_state: Any, open_with: OpenWith) -> Any:
    """Run the sign-in or sign-up service; show field or form errors, or remember the session and go home."""
    session_state = await form_state.get_state(SessionState)
    try:
        async with session_scope() as session:
            opened = await open_with(session, session_state)
    except ValidationFailed as exc:
        form_state.field_errors = session_state.field_messages(exc)
        return None
    except two_factor.TwoFactorRequired as exc:  # issue 14: the password was right; ask for the code
        form_state.challenge = exc.challenge
        return None
    except DomainError as exc:
        form_state.error = session_state.message(exc)
        return None
    finally:
        form_state.submitting = False
    session_state.remember(opened.token, opened.context)
    return rx.redirect("/")


class LoginState(rx.State):
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False
    challenge: str = ""  # set when the account has two-factor on: the form asks for the code next

    @rx.event
    def restart(self) -> None:
        self.challenge, self.error, self.field_errors = "", "", {}

    @rx.event
    async def submit_code(self, form: dict[str, str]):
        self.error, self.field_errors, self.submitting = "", {}, True
        yield

        async def second_step(session: AsyncSession, session_state: SessionState) -> OpenedSession:
            return await auth.complete_sign_in(
                session=session, policy=auth.default_policy(), challenge=self.challenge,
                code=form.get("code", ""), client=session_state.client_info(), kind="web",
            )  # fmt: skip

        result = await _open_web_session(self, second_step)
        if result is not None:
            self.challenge = ""
        yield result

    @rx.event
    async def submit(self, form: dict[str, str]):
        self.error, self.field_errors, self.submitting = "", {}, True
        yield

        async def sign_in(session: AsyncSession, session_state: SessionState) -> OpenedSession:
            return await auth.sign_in(
                session=session, policy=auth.default_policy(), email=form.get("email", ""),
                password=form.get("password", ""), client=session_state.client_info(), kind="web",
            )  # fmt: skip

        yield await _open_web_session(self, sign_in)


class SignUpState(rx.State):
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False
    challenge: str = ""

    @rx.event
    async def submit(self, form: dict[str, str]):
        self.error, self.field_errors, self.submitting = "", {}, True
        yield

        async def register(session: AsyncSession, session_state: SessionState) -> OpenedSession:
            opened = await auth.register(
                session=session, policy=auth.default_policy(), email=form.get("email", ""),
                password=form.get("password", ""), full_name=form.get("full_name", ""),
                workspace_name=form.get("workspace_name", ""), locale=session_state.lang,
                client=session_state.client_info(), kind="web",
            )  # fmt: skip
            await funnel.record_signup(  # issue 14: the sign-up funnel (the form carries the landing's anonymous id)
                session=session, visitor_id=form.get("visitor_id", ""), tenant_id=opened.context.tenant_id
            )
            return opened

        yield await _open_web_session(self, register)
