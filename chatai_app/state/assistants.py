"""Assistants list page: the workspace's assistants and a create form."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import assistants
from chatai_app.services.errors import DomainError, ValidationFailed
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in


class AssistantsState(rx.State):
    required_permission: ClassVar[Permission] = Permission.assistants_manage
    items: list[dict[str, str]] = []
    name_error: str = ""

    @rx.event
    async def load(self):
        try:
            _, context = await signed_in(self)
        except DomainError:
            return rx.redirect("/login")
        async with session_scope() as session:
            found = await assistants.list_assistants(session=session, tenant_id=context.tenant_id)
        self.items = [{"id": str(a.id), "name": a.name, "language": a.language} for a in found]

    @rx.event
    async def create(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        self.name_error = ""
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                created = await assistants.create_assistant(
                    session=session, tenant_id=context.tenant_id, name=form.get("name", "")
                )
        except ValidationFailed as exc:
            self.name_error = session_state.message(exc.fields.get("name", exc.message))
            return None
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return rx.redirect(f"/assistants/{created.id}")
