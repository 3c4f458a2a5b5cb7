"""The website widget: its public settings, the origin allow-list, anonymous visitors and their dialog.

A visitor is identified by a token the server signs (`<visitor id>.<HMAC>`), kept in the visitor's
browser; the widget dialog's chat id is derived from it, so one visitor cannot read another's dialog.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, AuditLog, Dialog, DialogMessage, Document, DocumentFile
from chatai_app.services import feedback, handoff, presence, ratelimit
from chatai_app.services.errors import AuthenticationRequired, DomainError, NotFound, PermissionDenied
from chatai_app.settings import get_settings

CHANNEL = "widget"
VISIBLE_ROLES = ("user", "assistant", "operator", "system")
DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "title": "",
    "colour": "#2563eb",
    "position": "right",
    "language": "auto",
    "greeting": "",
    "allowed_origins": [],  # empty: any site may embed the widget
    "handoff_button": True,
    "link_sources": True,  # sources are named and their cited passage shown
    "share_source_files": False,  # visitors may download the source files (signed links that expire)
    "daily_spend_cap_minor": 0,  # the most the widget may spend per day (0: no cap)
}
SOURCE_LINK_TTL_S = 3600
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class OriginNotAllowed(PermissionDenied):
    code = "origin_not_allowed"


def settings_for(assistant: Assistant) -> dict[str, Any]:
    return {**DEFAULTS, **(assistant.widget_settings or {})}


def normalise_origin(value: str) -> str:
    parts = urlsplit(value.strip().lower())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else value.strip().lower()


def validate_settings(value: object) -> str | None:
    """An error message for bad widget settings, None when they are fine."""
    if not isinstance(value, dict):
        return "an object of widget settings"
    checks = {
        "enabled": lambda v: isinstance(v, bool),
        "title": lambda v: isinstance(v, str) and len(v) <= 80,
        "colour": lambda v: isinstance(v, str) and bool(COLOUR.match(v)),
        "position": lambda v: v in ("left", "right"),
        "language": lambda v: v in ("auto", "en", "ru"),
        "greeting": lambda v: isinstance(v, str) and len(v) <= 500,
        "allowed_origins": lambda v: (
            isinstance(v, list)
            and len(v) <= 50
            and all(isinstance(o, str) and ORIGIN.match(normalise_origin(o)) for o in v)
        ),
        "handoff_button": lambda v: isinstance(v, bool),
        "link_sources": lambda v: isinstance(v, bool),
        "share_source_files": lambda v: isinstance(v, bool),
        "daily_spend_cap_minor": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**9,
    }
    bad = sorted(k for k, v in value.items() if k not in checks or not checks[k](v))
    if not bad:
        return None
    if bad == ["allowed_origins"]:
        return "allowed origins look like https://shop.example.com or https://*.example.com (no path)"
    return f"invalid {', '.join(bad)} (colour like #2563eb, position left|right, language auto|en|ru)"


def origin_allowed(allowed: list[str], origin: str | None, own_origin: str) -> bool:
    """An empty list allows any caller; otherwise our own pages or a listed site, and a call without an
    Origin (a script, not a browser on the site) is refused."""
    if not allowed:
        return True
    if not origin:
        return False
    origin = normalise_origin(origin)
    if origin == normalise_origin(own_origin):
        return True
    for entry in map(normalise_origin, allowed):
        if entry == origin:
            return True
        if "*." in entry:
            scheme, _, host = entry.partition("://*.")
            if origin.startswith(f"{scheme}://") and origin.split("://", 1)[1].endswith(f".{host}"):
                return True
    return False


async def load_assistant(*, session: AsyncSession, assistant_id: uuid.UUID) -> Assistant:
    """The assistant behind a public widget; NotFound when it does not exist or its widget is off."""
    assistant = await session.get(Assistant, assistant_id)
    if assistant is None or not assistant.is_active or not settings_for(assistant)["enabled"]:
        raise NotFound("This chat is not available")
    return assistant


async def public_config(*, session: AsyncSession, assistant: Assistant) -> dict[str, Any]:
    widget = settings_for(assistant)
    online = await presence.operators_online(session=session, tenant_id=assistant.tenant_id, assistant_id=assistant.id)
    return {
        "assistant_id": str(assistant.id),
        "title": widget["title"] or assistant.name,
        "colour": widget["colour"],
        "position": widget["position"],
        "language": widget["language"] if widget["language"] != "auto" else assistant.language,
        "greeting": widget["greeting"] or assistant.greeting,
        "handoff_button": widget["handoff_button"],
        "operators_online": online > 0,
    }


def _signature(secret_key: str, assistant_id: uuid.UUID, visitor_id: str, origin: str) -> str:
    message = f"widget:{assistant_id}:{visitor_id}:{normalise_origin(origin) if origin else ''}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue_visitor_token(*, secret_key: str, assistant_id: uuid.UUID, origin: str | None = None) -> str:
    """A visitor's identity, bound to the site (Origin) it was issued to: it works from that site only."""
    visitor_id = secrets.token_hex(16)
    return f"{visitor_id}.{_signature(secret_key, assistant_id, visitor_id, origin or '')}"


def visitor_id_from(*, secret_key: str, assistant_id: uuid.UUID, token: str | None, origin: str | None = None) -> str:
    visitor_id, _, signature = (token or "").partition(".")
    expected = _signature(secret_key, assistant_id, visitor_id, origin or "") if visitor_id else ""
    if not visitor_id or not hmac.compare_digest(signature, expected):
        raise AuthenticationRequired("The visitor token is missing or invalid; start a new chat")
    return visitor_id


async def throttle(*, action: str, ip: str, assistant_id: uuid.UUID, visitor_id: str | None = None) -> None:
    """Rate limits of the public widget: per IP and per assistant (and per visitor for messages);
    RateLimited (429 + Retry-After) past any of them. Counted in Redis when configured."""
    settings = get_settings()
    if action == "visitor":
        limits = {f"w:visitor:ip:{ip}": settings.widget_visitors_per_ip_per_minute}
    else:  # "message"; "feedback" (thumbs) has buckets of its own with the same limits
        kind = "fb" if action == "feedback" else "msg"
        limits = {
            f"w:{kind}:visitor:{visitor_id}": settings.widget_messages_per_visitor_per_minute,
            f"w:{kind}:ip:{ip}": settings.widget_messages_per_ip_per_minute,
            f"w:{kind}:assistant:{assistant_id}": settings.widget_messages_per_assistant_per_minute,
        }
    await ratelimit.enforce_each(ratelimit.default_limiter(), limits)


class SpendCapReached(DomainError):
    code = "daily_limit_reached"

    def __init__(self) -> None:
        super().__init__("This chat has reached its limit for today; please try again tomorrow")


async def ensure_within_spend_cap(*, session: AsyncSession, assistant: Assistant) -> None:
    """The optional daily spend cap of the widget channel; the owner gets one notice a day when it is hit."""
    cap = int(settings_for(assistant)["daily_spend_cap_minor"] or 0)
    if not cap:
        return
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    spent = (
        await session.exec(
            sa.select(sa.func.coalesce(sa.func.sum(DialogMessage.cost_minor), 0))
            .join(Dialog, Dialog.id == DialogMessage.dialog_id)
            .where(Dialog.tenant_id == assistant.tenant_id, Dialog.assistant_id == assistant.id,
                   Dialog.channel == CHANNEL, DialogMessage.created_at >= today)
        )
    ).scalar_one()  # fmt: skip
    if spent < cap:
        return
    already = await session.exec(
        sa.select(AuditLog.id).where(AuditLog.tenant_id == assistant.tenant_id, AuditLog.action == "widget.spend_cap",
                                     AuditLog.target_id == str(assistant.id), AuditLog.created_at >= today).limit(1)
    )  # fmt: skip
    if already.first() is None:
        meta = {"cap_minor": cap, "spent_minor": int(spent)}
        session.add(AuditLog(tenant_id=assistant.tenant_id, action="widget.spend_cap", target_type="assistant",
                             target_id=str(assistant.id), meta=meta))  # fmt: skip
        await session.commit()
    raise SpendCapReached()


def chat_id(visitor_id: str) -> str:
    return f"w:{visitor_id}"


async def find_dialog(*, session: AsyncSession, assistant: Assistant, visitor_id: str) -> Dialog | None:
    stmt = select(Dialog).where(
        Dialog.tenant_id == assistant.tenant_id, Dialog.assistant_id == assistant.id,
        Dialog.channel == CHANNEL, Dialog.external_chat_id == chat_id(visitor_id),
    )  # fmt: skip
    return (await session.exec(stmt)).first()


@dataclass(frozen=True)
class VisitorView:
    dialog_id: str | None
    status: str
    queue_position: int | None
    offline_form: bool
    messages: list[dict[str, Any]]


def _link_signature(assistant_id: uuid.UUID, document_id: str, expires: int) -> str:
    message = f"source:{assistant_id}:{document_id}:{expires}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def source_file_link(assistant_id: uuid.UUID, document_id: str, *, now: float | None = None) -> str:
    """A download link for one source file that stops working after SOURCE_LINK_TTL_S."""
    expires = int((now or time.time()) + SOURCE_LINK_TTL_S)
    signature = _link_signature(assistant_id, document_id, expires)
    return f"/api/widget/v1/{assistant_id}/documents/{document_id}?expires={expires}&signature={signature}"


def check_source_link(assistant_id: uuid.UUID, document_id: uuid.UUID, expires: int, signature: str) -> None:
    expected = _link_signature(assistant_id, str(document_id), expires)
    if not hmac.compare_digest(signature, expected) or expires < time.time():
        raise NotFound("This download link is invalid or has expired; open the chat again for a fresh one")


def _public_source(source: dict[str, Any], assistant_id: uuid.UUID, share_files: bool) -> dict[str, Any]:
    document_id = source.get("document_id")
    url = source_file_link(assistant_id, str(document_id)) if share_files and document_id else None
    page = str(source.get("url") or "")  # a website page (issue 15): the visitor follows the link to it
    href = page if page.startswith(("https://", "http://")) else None
    return {"n": source.get("n"), "title": source.get("document") or "Q&A", "page": source.get("page"),
            "passage": source.get("text") or "", "url": url, "href": href}  # fmt: skip


def _public_message(message: DialogMessage, assistant: Assistant) -> dict[str, Any]:
    settings = settings_for(assistant)
    shown = message.sources if settings["link_sources"] else []
    sources = [_public_source(s, assistant.id, settings["share_source_files"]) for s in shown]
    return {"id": message.id, "role": message.role, "text": message.content, "sources": sources,
            "at": message.created_at.isoformat()}  # fmt: skip


async def visitor_view(
    *, session: AsyncSession, assistant: Assistant, dialog: Dialog | None, after_id: int = 0
) -> VisitorView:
    """What the visitor sees: messages after `after_id` (never internal notes), status, place in the queue."""
    if dialog is None:
        return VisitorView(None, "new", None, False, [])
    stmt = (
        select(DialogMessage)
        .where(DialogMessage.dialog_id == dialog.id, DialogMessage.id > after_id,
               DialogMessage.role.in_(VISIBLE_ROLES))
        .order_by(DialogMessage.id)
        .limit(200)
    )  # fmt: skip
    messages = [_public_message(m, assistant) for m in (await session.exec(stmt)).all()]
    answers = [m["id"] for m in messages if m["role"] == "assistant"]
    votes = await feedback.feedback_for_messages(session=session, tenant_id=dialog.tenant_id, message_ids=answers)
    for m in messages:
        if m["role"] == "assistant":
            m["feedback"] = votes.get(m["id"])  # the visitor's 👍/👎 on this answer, None before a vote
    meta = dialog.meta or {}
    online = await presence.operators_online(
        session=session, tenant_id=dialog.tenant_id, assistant_id=dialog.assistant_id
    )
    offer_form = (
        dialog.status == "waiting" and not meta.get("contact_left") and (bool(meta.get("offline_form")) or online == 0)
    )
    position = await handoff.queue_position(session, dialog)
    return VisitorView(str(dialog.id), dialog.status, position, offer_form, messages)


async def source_document(
    *, session: AsyncSession, assistant: Assistant, document_id: uuid.UUID
) -> tuple[str, str, bytes]:
    """A cited document of this assistant (name, type, bytes), when it shares its source files."""
    if not settings_for(assistant)["share_source_files"]:
        raise NotFound("This assistant does not share its source files")
    row = (
        await session.exec(
            select(Document.filename, Document.mime_type, DocumentFile.content)
            .join(DocumentFile, DocumentFile.document_id == Document.id)
            .where(Document.id == document_id, Document.assistant_id == assistant.id,
                   Document.tenant_id == assistant.tenant_id, Document.status == "ready")
        )
    ).first()  # fmt: skip
    if row is None:
        raise NotFound("Document not found")
    return row[0], row[1], row[2]


async def leave_contact(*, assistant: Assistant, visitor_id: str, name: str, contact: str) -> int:
    """The offline form: the visitor's name and contact go on the dialog, which waits for an operator."""
    from chatai_app.db import session_scope
    from chatai_app.services import delivery

    async with session_scope() as session:
        dialog = await find_dialog(session=session, assistant=assistant, visitor_id=visitor_id)
        if dialog is None:
            raise NotFound("Write a message first")
        dialog = await handoff.load_for_update(session, assistant.tenant_id, dialog.id)
        handoff.record_offline_form(session, dialog, name=name, contact=contact)
        notice = await delivery.notify(session, dialog, "contact_left", contact=contact.strip())
    await delivery.announce(dialog, notice.id, "dialog.updated")
    assert notice.id is not None
    return notice.id
