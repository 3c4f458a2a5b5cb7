"""Assistants list page: the workspace's assistants, a create form, archive / restore and delete (with what
goes with it)."""

from __future__ import annotations

import uuid
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
    loaded: bool = False
    pending_delete: str = ""  # the assistant whose deletion is being confirmed
    footprint: dict[str, str] = {}

    async def _reload(self) -> None:
        _, context = await signed_in(self)
        async with session_scope() as session:
            found = await assistants.list_assistants(session=session, tenant_id=context.tenant_id)
        self.items = [
            {"id": str(a.id), "name": a.name, "language": a.language, "archived": "yes" if a.archived else ""}
            for a in found
        ]
        self.loaded = True

    @rx.event
    async def load(self):
        try:
            await self._reload()
        except DomainError:
            return rx.redirect("/login")
        return None

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

    @rx.event
    async def ask_delete(self, assistant_id: str):
        """Open the confirmation with the counts of what would be deleted."""
        session_state, context = await signed_in(self)
        try:
            async with session_scope() as session:
                found = await assistants.footprint(
                    session=session, tenant_id=context.tenant_id, assistant_id=uuid.UUID(assistant_id)
                )
        except (DomainError, ValueError) as exc:
            return rx.toast.error(session_state.message(exc if isinstance(exc, DomainError) else "Assistant not found"))
        self.pending_delete = assistant_id
        self.footprint = {k: str(v) for k, v in vars(found).items()}
        return None

    @rx.event
    def cancel_delete(self):
        self.pending_delete, self.footprint = "", {}

    @rx.event
    async def confirm_delete(self):
        session_state, context = await signed_in(self)
        target, self.pending_delete = self.pending_delete, ""
        try:
            await assistants.delete_assistant(tenant_id=context.tenant_id, assistant_id=uuid.UUID(target))
        except (DomainError, ValueError) as exc:
            return rx.toast.error(session_state.message(exc if isinstance(exc, DomainError) else "Assistant not found"))
        await self._reload()
        return rx.toast.success(session_state.message("Assistant deleted"))

    @rx.event
    async def set_archived(self, assistant_id: str, archived: bool):
        session_state, context = await signed_in(self)
        try:
            await assistants.set_archived(
                tenant_id=context.tenant_id, assistant_id=uuid.UUID(assistant_id), archived=archived
            )
        except (DomainError, ValueError) as exc:
            return rx.toast.error(session_state.message(exc if isinstance(exc, DomainError) else "Assistant not found"))
        await self._reload()
        return rx.toast.success(session_state.message("Assistant archived" if archived else "Assistant restored"))
