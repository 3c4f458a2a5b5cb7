"""Handoff between the AI and human operators: state changes on the dialog, each one audited.

Triggers: a keyword, the end user's button, fallbacks (the AI could not answer N times in a row, the
model says it cannot help, the user repeats the question, an LLM outage) and a zero balance. A dialog
waiting longer than the assistant's `wait_timeout_s` goes back to the AI or offers the offline form.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, Dialog, DialogStatus, HandoffAudit
from chatai_app.models._base import utcnow
from chatai_app.services.assistant_scope import AssistantScope, check_dialog
from chatai_app.services.errors import Conflict, NotFound, ValidationFailed

DEFAULT_KEYWORDS = ("оператор", "человек", "живой", "human", "operator", "live agent", "real person")
DEFAULTS: dict[str, Any] = {
    "fallback_after": 2,  # unanswered AI replies in a row before a human is called (0: never)
    "repeat_detection": True,  # the user asking the same thing again calls a human
    "on_llm_failure": "apology",  # or "handoff"
    "wait_timeout_s": 300,  # nobody took the dialog within this time ...
    "on_timeout": "ai",  # ... so the AI resumes, or "offline_form" asks for a contact
    "priority": 0,
}
REPEAT_SIMILARITY = 0.85
CANNOT_HELP = re.compile(
    r"\b(i (?:cannot|can't|can not|am unable to) help|i (?:do not|don't) (?:know|have (?:that|this) information)|"
    r"не могу (?:помочь|ответить)|не знаю|нет (?:такой|этой) информации)",
    re.IGNORECASE,
)


def settings_for(assistant: Assistant) -> dict[str, Any]:
    return {**DEFAULTS, **(assistant.handoff_settings or {})}


def validate_settings(value: object) -> str | None:
    """An error message for bad handoff settings, None when they are fine."""
    if not isinstance(value, dict):
        return "an object of handoff settings"
    checks = {
        "fallback_after": lambda v: isinstance(v, int) and 0 <= v <= 10,
        "repeat_detection": lambda v: isinstance(v, bool),
        "on_llm_failure": lambda v: v in ("apology", "handoff"),
        "wait_timeout_s": lambda v: isinstance(v, int) and 30 <= v <= 86400,
        "on_timeout": lambda v: v in ("ai", "offline_form"),
        "priority": lambda v: isinstance(v, int) and -10 <= v <= 10,
    }
    bad = [k for k, v in value.items() if k not in checks or not checks[k](v)]
    if bad:
        return (
            f"invalid {', '.join(sorted(bad))}: fallback_after 0–10, repeat_detection true/false, on_llm_failure "
            "apology|handoff, wait_timeout_s 30–86400, on_timeout ai|offline_form, priority -10–10"
        )
    return None


def handoff_keyword(assistant: Assistant, text: str) -> str | None:
    """The keyword in the user's text that asks for a human, if any."""
    lowered = text.lower()
    keywords = [k.lower() for k in (assistant.handoff_keywords or DEFAULT_KEYWORDS) if k.strip()]
    return next((k for k in keywords if k in lowered), None)


def says_cannot_help(reply: str) -> bool:
    return bool(CANNOT_HELP.search(reply))


def is_repeat(question: str, previous: str | None) -> bool:
    if not previous:
        return False
    a, b = (" ".join(re.findall(r"\w+", s.lower())) for s in (question, previous))
    return len(a) >= 8 and SequenceMatcher(None, a, b).ratio() >= REPEAT_SIMILARITY


def _audit(
    session: AsyncSession, dialog: Dialog, action: str, reason: str, actor: uuid.UUID | None, **details: object
) -> None:
    session.add(
        HandoffAudit(tenant_id=dialog.tenant_id, dialog_id=dialog.id, action=action, reason=reason,
                     actor_user_id=actor, details=dict(details))
    )  # fmt: skip


async def load_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> Dialog:
    dialog = await session.get(Dialog, dialog_id, with_for_update=True)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Dialog not found")
    check_dialog(dialog, assistants)
    return dialog


def request_handoff(
    session: AsyncSession,
    dialog: Dialog,
    *,
    reason: str,
    actor: uuid.UUID | None = None,
    priority: int = 0,
    **details: object,
) -> bool:
    """The dialog waits in the operators' queue; the AI stops answering it. False if it already waits."""
    if dialog.status in (DialogStatus.waiting, DialogStatus.operator):
        return False
    dialog.status, dialog.handoff_requested_at, dialog.priority = DialogStatus.waiting, utcnow(), priority
    dialog.meta = {**(dialog.meta or {}), "misses": 0, "offline_form": False, "contact_left": False}
    session.add(dialog)
    _audit(session, dialog, "requested", reason, actor, **details)
    return True


def take(session: AsyncSession, dialog: Dialog, *, operator_id: uuid.UUID) -> None:
    if dialog.status == DialogStatus.operator and dialog.assigned_operator_id not in (None, operator_id):
        raise Conflict("Another operator has already taken this dialog")
    if dialog.status == DialogStatus.operator:
        return
    waited = (utcnow() - dialog.handoff_requested_at).total_seconds() if dialog.handoff_requested_at else None
    dialog.status, dialog.assigned_operator_id = DialogStatus.operator, operator_id
    session.add(dialog)
    _audit(session, dialog, "taken", "operator", operator_id, waited_s=round(waited, 1) if waited else None)


def release(session: AsyncSession, dialog: Dialog, *, operator_id: uuid.UUID | None, reason: str = "operator") -> None:
    """Back to the AI."""
    if dialog.status == DialogStatus.ai:
        raise Conflict("The AI already handles this dialog")
    _back_to_ai(session, dialog)
    _audit(session, dialog, "released", reason, operator_id)


def _back_to_ai(session: AsyncSession, dialog: Dialog) -> None:
    dialog.status, dialog.assigned_operator_id, dialog.handoff_requested_at = DialogStatus.ai, None, None
    dialog.meta = {**(dialog.meta or {}), "misses": 0}
    session.add(dialog)


def close(session: AsyncSession, dialog: Dialog, *, operator_id: uuid.UUID | None) -> None:
    if dialog.status == DialogStatus.closed:
        raise Conflict("The dialog is already closed")
    dialog.status, dialog.assigned_operator_id, dialog.handoff_requested_at = DialogStatus.closed, None, None
    dialog.unread_count = 0
    session.add(dialog)
    _audit(session, dialog, "closed", "operator", operator_id)


def record_offline_form(session: AsyncSession, dialog: Dialog, *, name: str, contact: str) -> None:
    name, contact = name.strip(), contact.strip()
    errors = {}
    if not 1 <= len(name) <= 200:
        errors["name"] = "Write your name (up to 200 characters)"
    if not 3 <= len(contact) <= 200:
        errors["contact"] = "Leave an e-mail or a phone number (3 to 200 characters)"
    if errors:
        raise ValidationFailed(errors)
    dialog.end_user_name, dialog.end_user_contact = name, contact
    dialog.meta = {**(dialog.meta or {}), "contact_left": True}
    if dialog.status not in (DialogStatus.waiting, DialogStatus.operator):
        dialog.status, dialog.handoff_requested_at = DialogStatus.waiting, utcnow()
    session.add(dialog)
    _audit(session, dialog, "offline_form", "no_operator", None, contact=contact)


async def queue_position(session: AsyncSession, dialog: Dialog) -> int | None:
    """1 for the next dialog an operator will see; None when the dialog is not waiting."""
    if dialog.status != DialogStatus.waiting or dialog.handoff_requested_at is None:
        return None
    ahead = sa.or_(
        Dialog.priority > dialog.priority,
        sa.and_(Dialog.priority == dialog.priority, Dialog.handoff_requested_at < dialog.handoff_requested_at),
    )
    stmt = select(sa.func.count()).where(
        Dialog.tenant_id == dialog.tenant_id, Dialog.status == DialogStatus.waiting, ahead
    )
    return int((await session.exec(stmt)).one()) + 1


@dataclass(frozen=True)
class TimedOut:
    dialog_id: uuid.UUID
    tenant_id: uuid.UUID
    action: str  # ai | offline_form


async def expire_waiting(*, session: AsyncSession) -> list[TimedOut]:
    """Dialogs nobody took within their assistant's wait time: back to the AI, or the offline form offered."""
    now = utcnow()
    rows = (
        await session.exec(
            select(Dialog, Assistant)
            .join(Assistant, Assistant.id == Dialog.assistant_id)
            .where(Dialog.status == DialogStatus.waiting, Dialog.handoff_requested_at.is_not(None))
            .with_for_update(of=Dialog, skip_locked=True)
        )
    ).all()
    expired = []
    for dialog, assistant in rows:
        rules = settings_for(assistant)
        already_offered = (dialog.meta or {}).get("offline_form")
        if already_offered or now - dialog.handoff_requested_at < timedelta(seconds=rules["wait_timeout_s"]):
            continue
        if rules["on_timeout"] == "offline_form":
            dialog.meta = {**(dialog.meta or {}), "offline_form": True}
            session.add(dialog)
            _audit(session, dialog, "timeout", "offline_form", None, waited_s=rules["wait_timeout_s"])
        else:
            _back_to_ai(session, dialog)
            _audit(session, dialog, "timeout", "ai_resumed", None, waited_s=rules["wait_timeout_s"])
        expired.append(TimedOut(dialog.id, dialog.tenant_id, rules["on_timeout"]))
    return expired


@dataclass(frozen=True)
class AuditEntry:
    action: str
    reason: str
    actor_user_id: uuid.UUID | None
    details: dict[str, Any]
    created_at: str


async def history(
    *, session: AsyncSession, tenant_id: uuid.UUID, dialog_id: uuid.UUID, assistants: AssistantScope = None
) -> list[AuditEntry]:
    """Every handoff request, take, release, timeout and close of a dialog, oldest first."""
    dialog = await session.get(Dialog, dialog_id)
    if dialog is None or dialog.tenant_id != tenant_id:
        raise NotFound("Dialog not found")
    check_dialog(dialog, assistants)
    stmt = select(HandoffAudit).where(HandoffAudit.dialog_id == dialog_id).order_by(HandoffAudit.id)
    return [
        AuditEntry(a.action, a.reason, a.actor_user_id, a.details, a.created_at.isoformat())
        for a in (await session.exec(stmt)).all()
    ]
