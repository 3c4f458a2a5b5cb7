"""Knowledge gaps page (issue 14): questions the assistants could not answer or handed to a human, grouped, with a
one-click Q&A pair that answers them from then on."""

from __future__ import annotations

import uuid
from typing import ClassVar

import reflex as rx

from chatai_app.db import session_scope
from chatai_app.services import knowledge_gaps
from chatai_app.services.errors import AuthenticationRequired, DomainError, PermissionDenied
from chatai_app.services.permissions import Permission
from chatai_app.state.session import SessionState, signed_in

REASONS = {
    "no_answer": "no answer",
    "keyword": "asked for a human",
    "cannot_help": "cannot help",
    "repeated_question": "repeated",
    "button": "asked for a human",
    "llm_outage": "model down",
    "no_funds": "no balance",
}


class GapsState(rx.State):
    required_permission: ClassVar[Permission] = Permission.assistants_manage
    gaps: list[dict[str, str]] = []
    denied: str = ""

    async def _refresh(self) -> None:
        _, context = await signed_in(self)
        async with session_scope() as session:
            groups = await knowledge_gaps.list_gaps(session=session, tenant_id=context.tenant_id)
        self.gaps = [
            {
                "key": f"{g.assistant_id}:{i}",
                "assistant_id": g.assistant_id,
                "assistant": g.assistant_name,
                "question": g.question,
                "count": str(g.count),
                "last_seen": g.last_seen[:16].replace("T", " "),
                "reasons": ", ".join(f"{r} ×{n}" for r, n in g.reasons.items()),
                "examples": " · ".join(e for e in g.examples if e != g.question)[:400],
            }
            for i, g in enumerate(groups)
        ]

    @rx.event
    async def load(self):
        self.denied = ""
        try:
            await self._refresh()
        except AuthenticationRequired:
            return rx.redirect("/login")
        except PermissionDenied as exc:
            self.denied = (await self.get_state(SessionState)).message(exc)
        return None

    @rx.event
    async def answer(self, form: dict[str, str]):
        session_state = await self.get_state(SessionState)
        try:
            _, context = await signed_in(self)
            async with session_scope() as session:
                await knowledge_gaps.answer_gap(
                    session=session,
                    tenant_id=context.tenant_id,
                    assistant_id=uuid.UUID(form.get("assistant_id", "")),
                    question=form.get("question", ""),
                    answer=form.get("answer", ""),
                )
            await self._refresh()
        except ValueError:
            return rx.toast.error(session_state.message("Assistant not found"))
        except DomainError as exc:
            return rx.toast.error(session_state.message(exc))
        return rx.toast.success(session_state.message("Q&A pair added: the assistant answers this from now on"))
