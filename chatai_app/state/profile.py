"""Profile page: name, interface language, password."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import accounts
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in


class ProfileState(rx.State):
    required_permission: ClassVar[Permission] = Permission.profile
    full_name: str = ""
    locale: str = "en"
    field_errors: dict[str, str] = {}
    error: str = ""

    @rx.event
    def set_locale(self, locale: str) -> None:
        self.locale = locale

    @rx.event
    async def load(self):
        try:
            _, context = await signed_in(self)
        except DomainError:
            return rx.redirect("/login")
        self.full_name, self.locale = context.full_name, context.locale
        self.field_errors, self.error = {}, ""

    @rx.event
    async def save_profile(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.field_errors = {}
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                await accounts.update_profile(
                    session=session,
                    user_id=context.user_id,
                    full_name=form.get("full_name", ""),
                    locale=form.get("locale", "en"),
                )
        except ValidationFailed as exc:
            self.field_errors = session_state.field_messages(exc)
            return
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        self.full_name, self.locale = form.get("full_name", "").strip(), form.get("locale", "en")
        session_state.user_name, session_state.lang = self.full_name, self.locale
        return rx.toast.success(session_state.message("Saved"))

    @rx.event
    async def change_password(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.field_errors = {}
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                await accounts.change_password(
                    session=session,
                    user_id=context.user_id,
                    current=form.get("current_password", ""),
                    new=form.get("new_password", ""),
                )
        except ValidationFailed as exc:
            self.field_errors = session_state.field_messages(exc)
            return
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return rx.toast.success(session_state.message("Password changed"))
