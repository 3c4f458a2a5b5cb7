"""Handoff between the AI and human operators: state changes on the dialog, each one audited."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, Dialog, DialogStatus, HandoffAudit
from chatai_app.models._base import utcnow

DEFAULT_KEYWORDS = ("оператор", "человек", "живой", "human", "operator", "live agent", "real person")


def handoff_keyword(assistant: Assistant, text: str) -> str | None:
    """The keyword in the user's text that asks for a human, if any."""
    lowered = text.lower()
    keywords = [k.lower() for k in (assistant.handoff_keywords or DEFAULT_KEYWORDS) if k.strip()]
    return next((k for k in keywords if k in lowered), None)


def _audit(
    session: AsyncSession, dialog: Dialog, action: str, reason: str, actor: uuid.UUID | None, **details: object
) -> None:
    session.add(
        HandoffAudit(tenant_id=dialog.tenant_id, dialog_id=dialog.id, action=action, reason=reason,
                     actor_user_id=actor, details=dict(details))
    )  # fmt: skip


def request_handoff(
    session: AsyncSession, dialog: Dialog, *, reason: str, actor: uuid.UUID | None = None, **details: object
) -> None:
    """The dialog waits in the operators' queue; the AI stops answering it."""
    if dialog.status in (DialogStatus.waiting, DialogStatus.operator):
        return
    dialog.status, dialog.handoff_requested_at = DialogStatus.waiting, utcnow()
    session.add(dialog)
    _audit(session, dialog, "requested", reason, actor, **details)


def take(session: AsyncSession, dialog: Dialog, *, operator_id: uuid.UUID) -> None:
    dialog.status, dialog.assigned_operator_id = DialogStatus.operator, operator_id
    session.add(dialog)
    _audit(session, dialog, "taken", "operator", operator_id)


def release(session: AsyncSession, dialog: Dialog, *, operator_id: uuid.UUID | None, reason: str = "operator") -> None:
    dialog.status, dialog.assigned_operator_id, dialog.handoff_requested_at = DialogStatus.ai, None, None
    session.add(dialog)
    _audit(session, dialog, "released", reason, operator_id)
