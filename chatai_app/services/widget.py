"""The website widget: its public settings, the origin allow-list, anonymous visitors and their dialog.

A visitor is identified by a token the server signs (`<visitor id>.<HMAC>`), kept in the visitor's
browser; the widget dialog's chat id is derived from it, so one visitor cannot read another's dialog.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.models import Assistant, Dialog, DialogMessage, Document, DocumentFile
from chatai_app.services import handoff, presence
from chatai_app.services.errors import AuthenticationRequired, NotFound, PermissionDenied

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
    "link_sources": True,
}
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
    }
    bad = sorted(k for k, v in value.items() if k not in checks or not checks[k](v))
    if not bad:
        return None
    if bad == ["allowed_origins"]:
        return "allowed origins look like https://shop.example.com or https://*.example.com (no path)"
    return f"invalid {', '.join(bad)} (colour like #2563eb, position left|right, language auto|en|ru)"


def origin_allowed(allowed: list[str], origin: str | None, own_origin: str) -> bool:
    """No Origin header (not a browser's cross-site call), our own pages, an empty list or a listed site."""
    if not origin or not allowed:
        return True
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
    online = await presence.operators_online(session=session, tenant_id=assistant.tenant_id)
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


def _signature(secret_key: str, assistant_id: uuid.UUID, visitor_id: str) -> str:
    message = f"widget:{assistant_id}:{visitor_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue_visitor_token(*, secret_key: str, assistant_id: uuid.UUID) -> str:
    visitor_id = secrets.token_hex(16)
    return f"{visitor_id}.{_signature(secret_key, assistant_id, visitor_id)}"


def visitor_id_from(*, secret_key: str, assistant_id: uuid.UUID, token: str | None) -> str:
    visitor_id, _, signature = (token or "").partition(".")
    expected = _signature(secret_key, assistant_id, visitor_id) if visitor_id else ""
    if not visitor_id or not hmac.compare_digest(signature, expected):
        raise AuthenticationRequired("The visitor token is missing or invalid; start a new chat")
    return visitor_id


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


def _public_message(message: DialogMessage, assistant_id: uuid.UUID, link_sources: bool) -> dict[str, Any]:
    sources = [
        {"n": s.get("n"), "title": s.get("document") or "Q&A", "page": s.get("page"),
         "url": f"/api/widget/v1/{assistant_id}/documents/{s['document_id']}"
         if link_sources and s.get("document_id") else None}
        for s in message.sources
    ]  # fmt: skip
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
    link = settings_for(assistant)["link_sources"]
    messages = [_public_message(m, assistant.id, link) for m in (await session.exec(stmt)).all()]
    meta = dialog.meta or {}
    online = await presence.operators_online(session=session, tenant_id=dialog.tenant_id)
    offer_form = (
        dialog.status == "waiting" and not meta.get("contact_left") and (bool(meta.get("offline_form")) or online == 0)
    )
    position = await handoff.queue_position(session, dialog)
    return VisitorView(str(dialog.id), dialog.status, position, offer_form, messages)


async def source_document(
    *, session: AsyncSession, assistant: Assistant, document_id: uuid.UUID
) -> tuple[str, str, bytes]:
    """A cited document of this assistant (name, type, bytes), for the sources' links."""
    if not settings_for(assistant)["link_sources"]:
        raise NotFound("Sources are not shared for this assistant")
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
